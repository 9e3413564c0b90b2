/* 创新生态云图 — what the map holds: the view it was given, the records it has drawn (nodes and
 * relationships as the API returns them), who is adjacent to whom, the vis DataSets, and how a record
 * becomes a drawn node (type styles, colours, sizes).
 *
 * `Ecomap.state` is the one place the map's parts share their data; `Ecomap.graph` adds records to it.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var util = Ecomap.util, dom = Ecomap.dom;

  Ecomap.style = {
    LIUXIN_COLORS: { "新基建": "#1d4ed8", "新技术": "#0e7490", "新材料": "#7c3aed",
                     "新装备": "#b45309", "新产品": "#be123c", "新业态": "#15803d" },
    LIUXIN_SHORT: { "新基建": "基", "新技术": "技", "新材料": "材", "新装备": "装", "新产品": "品", "新业态": "业" },
    INSIDE_LABEL: { box: 1, ellipse: 1, database: 1, circle: 1, text: 1 },   // shapes that hold their label
    FONT: 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
    COMMUNITY_COLOURS: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                        "#17becf", "#bcbd22", "#393b79", "#ad494a", "#637939"]
  };
  var BIG_EDGES = 2500;   // above this many relationships the map draws them itself (see js/network.js)

  var S = Ecomap.state = {
    NONE: "\u0000none",         // the filter value of "not stated"
    timings: { start: performance.now() },
    view: null, ontology: null, offline: null, standalone: false, container: null,
    types: {}, rels: {}, liuxin: {},   // ontology entries by label / name
    records: new Map(),      // node id -> API node JSON
    relRecords: new Map(),   // edge id -> API relationship JSON
    adjacency: new Map(),    // node id -> Set of edge ids
    ghosts: new Set(),       // ids of the 补链 placeholders (not entities)
    linkStatus: new Map(),   // chain-link id -> gap | fragile | ok
    nodes: null, edges: null, nodeView: null, edgeView: null, network: null, options: null,
    centre: null, colourBy: "type", useImportance: false,
    positions: null, serverLayout: false, big: false, customEdges: false,
    // what tests and scripts read through window.ecomap
    ready: false, readyAt: null, focused: null, detailsFor: null, lastExpansion: null, expanding: false,
    moved: false, gaps: null, lastPng: null,
    refits: 0, refitting: false   // fits after filter changes: how many were started, and whether one is under way
  };

  /** Read the view and the ontology from the page; false when this page has no map to draw. */
  S.init = function () {
    S.view = dom.readJSON("ecomap-view");
    S.timings.parsed = performance.now();
    S.container = dom.$("map");
    if (!S.view || !S.container || typeof vis === "undefined") { return false; }
    S.ontology = dom.readJSON("ecomap-ontology");
    S.offline = dom.readJSON("ecomap-offline");
    S.standalone = !!S.offline;
    S.ontology.node_types.forEach(function (x) { S.types[x.label] = x; });
    S.ontology.relationship_types.forEach(function (x) { S.rels[x.name] = x; });
    S.ontology.liuxin.forEach(function (x) { S.liuxin[x.name] = x; });
    S.nodes = new vis.DataSet();
    S.edges = new vis.DataSet();
    S.centre = S.view.center || null;
    S.positions = S.view.positions || null;
    S.serverLayout = !!S.positions;
    S.big = (S.view.graph.relationships || []).length > BIG_EDGES;
    S.customEdges = S.big;
    S.useImportance = (S.view.graph.nodes || []).some(function (n) { return n.properties && typeof n.properties.importance === "number"; });
    Ecomap.graph.groups = groups();
    return true;
  };

  // Type styles are vis "groups", defined once; a node carries only what differs from its type.
  function groupStyle(style) {
    var inside = Ecomap.style.INSIDE_LABEL[style.shape] === 1;
    // vis sizes a database shape as a square as wide as its label: wrap the label instead.
    var wrap = style.shape === "database" ? { widthConstraint: { maximum: 64 } } : {};
    return Object.assign(wrap, { shape: style.shape,
             color: { background: style.color, border: util.shade(style.color, -0.35),
                      highlight: { background: util.shade(style.color, 0.25), border: "#102a43" },
                      hover: { background: util.shade(style.color, 0.15), border: "#102a43" } },
             font: inside ? { color: "#ffffff", strokeWidth: 0 } : { color: "#1f2933", strokeWidth: 3, strokeColor: "#ffffff" } });
  }
  function groups() {
    var out = { _unknown: groupStyle({ color: "#9aa5b1", shape: "dot" }) };
    S.ontology.node_types.forEach(function (x) { out[x.label] = groupStyle(x); });
    return out;
  }

  function edgeId(r) { return r.start + "|" + r.type + "|" + r.end; }

  function visNode(rec, pos) {
    var p = rec.properties || {};
    var status = S.linkStatus.get(rec.id);
    var item = {
      id: rec.id, label: Ecomap.net.labelFor(rec.type, rec.id), group: S.types[rec.type] ? rec.type : "_unknown",
      kind: rec.type || "", liuxin: util.asList(p.liuxin), region: util.text(p.region),
      importance: typeof p.importance === "number" ? p.importance : null, synthetic: p.synthetic === true,
      community: typeof p.community === "number" ? p.community : null
    };
    if (S.colourBy === "community" || status === "gap" || status === "fragile") { item.color = nodeColour(item); }
    if (status === "gap" || status === "fragile") {
      item.borderWidth = 4;
      if (status === "gap") { item.shapeProperties = { borderDashes: [5, 4] }; }
    } else if (item.synthetic && !S.big) {
      item.borderWidth = 2;
      item.shapeProperties = { borderDashes: [5, 4] };
    }
    if (pos) { item.x = pos[0]; item.y = pos[1]; }
    return item;
  }
  // Colour by type (the ontology's colours) or, when analytics wrote communities back, by community.
  function communityColour(c) {
    var colours = Ecomap.style.COMMUNITY_COLOURS;
    return c === null ? "#c4cdd5" : colours[c % colours.length];
  }
  function nodeColour(item) {
    var base = S.colourBy === "community" ? communityColour(item.community) : Ecomap.graph.groups[item.group].color.background;
    var status = S.linkStatus.get(item.id);
    return { background: base,
             border: status === "gap" ? "#d62828" : status === "fragile" ? "#f77f00" : util.shade(base, -0.35),
             highlight: { background: util.shade(base, 0.25), border: "#102a43" },
             hover: { background: util.shade(base, 0.15), border: "#102a43" } };
  }
  function setColourBy(mode) {
    S.colourBy = mode;
    S.nodes.update(S.nodes.get({ filter: function (n) { return S.records.has(n.id); } })
      .map(function (n) { return { id: n.id, color: nodeColour(n) }; }));
    Ecomap.legend.build();
  }

  // Dashes and arrow heads each cost about a second per frame at 20,000 edges: a view with many
  // relationships draws plain lines; the tooltip gives each one's direction and whether it is synthetic.
  function visEdge(r) {
    var item = { id: edgeId(r), from: r.start, to: r.end, kind: r.type };
    if (!S.big && r.properties && r.properties.synthetic === true) { item.dashes = [4, 4]; }
    return item;
  }

  function removeGhost(id) {
    S.ghosts.delete(id);
    S.nodes.remove(id);
    S.edges.remove(S.edges.getIds({ filter: function (e) { return e.from === id || e.to === id; } }));
  }

  /** Add graph JSON; return the ids of the nodes and edges that were new. */
  function addGraph(graph, positions) {
    var newNodes = [], newEdges = [];
    (graph.nodes || []).forEach(function (rec) {
      if (S.records.has(rec.id)) { return; }
      if (S.ghosts.has(rec.id)) { removeGhost(rec.id); }
      S.records.set(rec.id, rec);
      newNodes.push(visNode(rec, positions && positions[rec.id]));
    });
    (graph.relationships || []).forEach(function (r) {
      var id = edgeId(r);
      if (S.relRecords.has(id) || !S.records.has(r.start) || !S.records.has(r.end)) { return; }
      S.relRecords.set(id, r);
      [r.start, r.end].forEach(function (n) {
        if (!S.adjacency.has(n)) { S.adjacency.set(n, new Set()); }
        S.adjacency.get(n).add(id);
      });
      newEdges.push(visEdge(r));
    });
    sizeNodes(newNodes);
    S.nodes.add(newNodes);
    S.edges.add(newEdges);
    if (newNodes.length) { resizeAll(newNodes); }
    return { nodes: newNodes.map(function (n) { return n.id; }), edges: newEdges.map(function (e) { return e.id; }) };
  }

  // Size by importance (written back by analytics) when the view has it, else by degree in the view.
  function nodeValue(id) {
    if (S.useImportance) { var rec = S.records.get(id); var v = rec && rec.properties && rec.properties.importance; return typeof v === "number" ? v : 0; }
    var a = S.adjacency.get(id); return a ? a.size : 0;
  }
  function sizeNodes(items) {
    items.forEach(function (n) { if (!S.ghosts.has(n.id)) { n.value = nodeValue(n.id); } });
  }
  function resizeAll(fresh) {
    var skip = new Set(fresh.map(function (n) { return n.id; }));
    var touched = new Set();
    fresh.forEach(function (n) { (S.adjacency.get(n.id) || new Set()).forEach(function (e) {
      var r = S.relRecords.get(e); touched.add(r.start); touched.add(r.end); }); });
    var updates = [];
    touched.forEach(function (id) { if (!skip.has(id) && S.records.has(id)) { updates.push({ id: id, value: nodeValue(id) }); } });
    if (updates.length) { S.nodes.update(updates); }
  }

  Ecomap.graph = { groups: null, edgeId: edgeId, visNode: visNode, visEdge: visEdge, nodeColour: nodeColour,
                   communityColour: communityColour, setColourBy: setColourBy, addGraph: addGraph,
                   removeGhost: removeGhost, nodeValue: nodeValue };
})();
