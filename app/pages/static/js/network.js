/* 创新生态云图 — the network picture: creating the vis Network, laying it out (server positions, or a
 * bounded stabilisation in the browser, again after each filter change), fitting it to what is visible,
 * labels by zoom level, the relationships of large views drawn by the map itself, and the 六新 badges.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, style = Ecomap.style, i18n = Ecomap.i18n;

  var STABILIZE_ITERATIONS = 250;
  var STABILIZE_MS = 2000;
  var LAZY_LABELS = 1000;     // views with more nodes (laid out on the server) get labels when zoomed in:
  var LABEL_SCALE = 0.3;      // ... the most important ones from here (12-18 px × 0.3 ≈ vis' drawThreshold 5)
  var LABELLED_FIRST = 150;   // ... that many of them
  var LABEL_ALL_SCALE = 1.5;  // ... and all of them from here (and always the ones looked at)
  var EDGE_HIT_PX = 5;        // how close the pointer must be to a self-drawn relationship to hover it
  var REFIT_ITERATIONS = 120;  // after a filter change, a browser-laid-out view settles this many steps
  var REFIT_MS = 1200;         // ... or for this long, whichever comes first
  var FIT_MS = 400;            // then the picture moves to what is visible in this time

  // A large view opens zoomed out, where vis-network draws no labels (font × scale < drawThreshold)
  // yet still measures every one. It labels nothing at first, its most important nodes once zoomed in
  // far enough to read (a label on each of thousands of nodes is only a blur), and every node closer up.
  var labelTier = 2;     // 0 none, 1 important, 2 all
  var labelled = null;   // tier 1: ids of the nodes that get a label
  // Large views: vis-network spends about 0.1 ms building each edge object (20,000 edges: 2 s), so
  // the map hands it only the nodes and draws the visible relationships itself, as plain lines under
  // the nodes, with its own hover and highlight. Small views let vis-network draw and hover them.
  var drawnEdges = [];   // visible relationships when the map draws them: {id, from, to}
  var hoveredEdge = null;

  function labelFor(type, id) {
    return labelTier === 2 || (labelTier === 1 && labelled.has(id)) ? Ecomap.names.nodeLabel(type, id) : "";
  }
  function mostImportant() {
    return new Set(Array.from(S.records.keys()).sort(function (a, b) { return Ecomap.graph.nodeValue(b) - Ecomap.graph.nodeValue(a); })
      .slice(0, LABELLED_FIRST));
  }
  /** A node the user looks at is labelled whatever the zoom. */
  function labelNode(id) {
    if (labelTier === 2 || !S.records.has(id)) { return; }
    labelled = labelled || mostImportant();
    labelled.add(id);
    if (labelTier === 0) { labelTier = 1; relabel(); } else { S.nodes.update({ id: id, label: labelFor(S.records.get(id).type, id) }); }
  }
  function relabel() {
    if (labelTier === 1 && labelled === null) { labelled = mostImportant(); }
    S.nodes.update(S.nodes.get({ filter: function (n) { return S.records.has(n.id); } })
      .map(function (n) { return { id: n.id, label: labelFor(n.kind, n.id) }; }));
  }
  function labelTierFor(scale) { return scale >= LABEL_ALL_SCALE ? 2 : scale >= LABEL_SCALE ? 1 : 0; }

  /** Before the first node is added: whether labels wait for zooming in. */
  function prepare() {
    labelTier = S.serverLayout && (S.view.graph.nodes || []).length > LAZY_LABELS ? 0 : 2;
  }

  function options() {
    var nodeCount = (S.view.graph.nodes || []).length;
    return {
      autoResize: true,
      groups: Ecomap.graph.groups,
      nodes: {
        font: { face: style.FONT, size: 14 },
        // Degrees grow a node step by step (a span of at least 12 links from smallest to largest), so
        // in a small view a node with two links is not drawn as big as the hub of a large one.
        scaling: { min: 10, max: 32, label: { enabled: true, min: 12, max: 18, drawThreshold: 5 },
                   customScalingFunction: function (min, max, total, value) {
                     if (max === min) { return 0.25; }
                     return (value - min) / (S.useImportance ? max - min : Math.max(max - min, 12));
                   } },
        borderWidth: 1
      },
      edges: { smooth: S.serverLayout || S.big ? false : { type: "continuous", roundness: 0.2 }, width: 1, selectionWidth: 2, hoverWidth: 0.5,
               color: { color: "#9fb3c8", highlight: "#334e68", hover: "#334e68" },
               arrows: { to: { enabled: !S.big, scaleFactor: 0.45 } } },
      layout: { improvedLayout: !S.serverLayout && nodeCount <= 100, randomSeed: 7 },
      interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: S.big, hideEdgesOnZoom: S.big, multiselect: false, keyboard: false },
      physics: S.serverLayout ? { enabled: false } : {
        enabled: true, solver: "forceAtlas2Based",
        forceAtlas2Based: { gravitationalConstant: -45, centralGravity: 0.015, springLength: 80, springConstant: 0.08, avoidOverlap: 0.5 },
        stabilization: { enabled: true, iterations: STABILIZE_ITERATIONS, updateInterval: 25, fit: true },
        maxVelocity: 60, minVelocity: 0.8, timestep: 0.5
      }
    };
  }

  function refreshDrawnEdges() {
    if (S.customEdges) { drawnEdges = S.edgeView.get({ fields: ["id", "from", "to"] }); }
  }
  /** After a filter change: the self-drawn relationships follow the edge view. */
  function edgesChanged() {
    refreshDrawnEdges();
    if (S.customEdges && S.network) { S.network.redraw(); }
  }

  function markReady() {
    if (S.ready) { return; }
    S.network.once("afterDrawing", function () {
      S.ready = true;
      S.readyAt = performance.now();
      document.body.setAttribute("data-map-ready", "1");
      Ecomap.note.counts();
    });
    S.network.redraw();
  }
  function layOut() {
    var network = S.network;
    if (S.serverLayout) { markReady(); return; }
    // Stabilise for at most STABILIZE_ITERATIONS steps or STABILIZE_MS, whichever comes first; then
    // physics stays off, so nothing keeps moving (or using the CPU) while the user reads.
    var settled = false, stopTimer = null;
    var settle = function () {
      if (settled) { return; }
      settled = true;
      clearTimeout(stopTimer);
      network.stopSimulation();
      network.setOptions({ physics: { enabled: false } });
      network.fit({ animation: false });
      markReady();
    };
    stopTimer = setTimeout(settle, STABILIZE_MS);
    network.once("stabilizationIterationsDone", settle);
  }

  /** After a filter change: a view laid out in the browser settles its visible nodes again (briefly,
   * physics off afterwards); then the picture moves, animated, to show everything visible. */
  function refit() {
    var network = S.network;
    if (!network || !S.ready) { return; }
    var run = ++S.refits;
    S.refitting = true;
    var fitted = function () {
      if (run !== S.refits) { return; }   // a later change took over
      network.fit({ animation: { duration: FIT_MS, easingFunction: "easeInOutQuad" } });
      setTimeout(function () { if (run === S.refits) { S.refitting = false; } }, FIT_MS + 50);
    };
    if (S.serverLayout || !S.nodeView.length) { fitted(); return; }
    var done = false, timer = null;
    var settle = function () {
      if (done) { return; }
      done = true;
      clearTimeout(timer);
      network.off("stabilizationIterationsDone", settle);
      if (run !== S.refits) { return; }   // a later change is settling the picture now
      network.stopSimulation();
      network.setOptions({ physics: { enabled: false } });
      fitted();
    };
    network.setOptions({ physics: { enabled: true, stabilization: { enabled: true, fit: false } } });
    network.on("stabilizationIterationsDone", settle);
    timer = setTimeout(settle, REFIT_MS);
    network.stabilize(REFIT_ITERATIONS);
  }

  function strokeEdges(ctx, list, colour, width) {
    var body = S.network.body.nodes;
    ctx.beginPath();
    for (var i = 0; i < list.length; i++) {
      var a = body[list[i].from], b = body[list[i].to];
      if (a && b) { ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); }
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  }
  function drawEdges(ctx) {
    var network = S.network;
    // Like vis-network's hideEdgesOnDrag/hideEdgesOnZoom: keep panning and zooming fluid.
    if (network.renderer && (network.renderer.dragging || network.renderer.zooming)) { return; }
    ctx.save();
    var scale = network.getScale();
    strokeEdges(ctx, drawnEdges, "#9fb3c8", Math.max(1, 0.4 / scale));   // never thinner than 0.4 px on screen
    var strong = [];
    network.getSelectedNodes().forEach(function (id) {
      (S.adjacency.get(id) || new Set()).forEach(function (eid) {
        var e = S.edges.get(eid);
        if (e && !Ecomap.filters.relHidden(e.kind)) { strong.push(e); }
      });
    });
    if (hoveredEdge) { var h = S.edges.get(hoveredEdge); if (h) { strong.push(h); } }
    if (strong.length) { strokeEdges(ctx, strong, "#334e68", Math.max(2, 1.5 / scale)); }
    ctx.restore();
  }
  /** The self-drawn relationship nearest to a point on the screen, if it is close enough. */
  function edgeNear(pointer) {
    var network = S.network, body = network.body.nodes, p = network.DOMtoCanvas(pointer), best = null;
    var limit = EDGE_HIT_PX / network.getScale(), bestD = limit * limit;
    for (var i = 0; i < drawnEdges.length; i++) {
      var a = body[drawnEdges[i].from], b = body[drawnEdges[i].to];
      if (!a || !b) { continue; }
      var dx = b.x - a.x, dy = b.y - a.y, len = dx * dx + dy * dy;
      var u = len ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len)) : 0;
      var ex = a.x + u * dx - p.x, ey = a.y + u * dy - p.y, d = ex * ex + ey * ey;
      if (d < bestD) { bestD = d; best = drawnEdges[i].id; }
    }
    return best;
  }
  /** Highlight a self-drawn relationship (or none); true when that changed what is highlighted. */
  function hoverEdge(id) {
    if (id === hoveredEdge) { return false; }
    hoveredEdge = id;
    S.network.redraw();
    return true;
  }

  // 六新 badges: small coloured discs with the category's character, drawn when zoomed in enough to read.
  function drawBadges(ctx) {
    var network = S.network, container = S.container;
    var scale = network.getScale();
    if (labelTierFor(scale) > labelTier) { labelTier = labelTierFor(scale); setTimeout(relabel, 0); }
    if (scale < 0.45) { return; }
    var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
    var bottomRight = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    var body = network.body.nodes;
    var r = 7;
    ctx.save();
    ctx.font = "bold 9px " + style.FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    S.nodeView.forEach(function (n) {
      if (!n.liuxin.length) { return; }
      var b = body[n.id];
      if (!b || !b.shape || !b.shape.boundingBox) { return; }
      if (b.x < topLeft.x || b.x > bottomRight.x || b.y < topLeft.y || b.y > bottomRight.y) { return; }
      var box = b.shape.boundingBox;
      var inside = style.INSIDE_LABEL[b.options.shape];
      var top = b.shape.top !== undefined && inside ? b.shape.top : box.top;
      var right = inside ? b.x + b.shape.width / 2 : b.x + (b.shape.radius || b.options.size);
      n.liuxin.forEach(function (c, i) {
        var cx = right - i * (2 * r + 1), cy = top;
        ctx.beginPath();
        ctx.arc(cx, cy, r, 0, 2 * Math.PI);
        ctx.fillStyle = style.LIUXIN_COLORS[c] || "#627d98";
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
        ctx.fillStyle = "#ffffff";
        ctx.fillText(style.LIUXIN_SHORT[c] || "?", cx, cy + 0.5);
      });
    });
    ctx.restore();
  }

  /** Create the network on the nodes already added, lay it out, and draw what vis-network does not. */
  function create() {
    S.options = options();
    var network = S.network = new vis.Network(S.container, { nodes: S.nodeView, edges: S.customEdges ? new vis.DataSet() : S.edgeView }, S.options);
    refreshDrawnEdges();
    S.timings.network = performance.now();
    layOut();
    // White background, so an exported PNG is not transparent; then, in large views, the relationships.
    network.on("beforeDrawing", function (ctx) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
      ctx.restore();
      if (S.customEdges) { drawEdges(ctx); }
    });
    network.on("afterDrawing", drawBadges);
    // Once the user has moved the picture, later additions do not re-fit it.
    ["dragEnd", "zoom"].forEach(function (ev) { network.on(ev, function () { S.moved = true; }); });
    var fitButton = Ecomap.dom.$("btn-fit");
    if (fitButton) { fitButton.addEventListener("click", function () { network.fit({ animation: { duration: 300 } }); }); }
    i18n.onChange(function () { if (labelTier) { relabel(); } });
  }

  Ecomap.net = { prepare: prepare, create: create, refit: refit, labelFor: labelFor, labelNode: labelNode, relabel: relabel,
                 edgesChanged: edgesChanged, edgeNear: edgeNear, hoverEdge: hoverEdge,
                 selfDrawnEdges: function () { return S.customEdges ? drawnEdges.length : null; } };
})();
