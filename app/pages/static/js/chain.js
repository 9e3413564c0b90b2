/* 创新生态云图 — the chain page's picture: the cluster's links as columns left (upstream) to right
 * (downstream), coloured by status, each with its local enterprises (链主 marked), outside enterprises
 * (dashed) and supporting bodies drawn beside it, from the chain embedded in #chain-data.
 *
 * Positions are fixed (column → x, place in the column → y); nothing moves by itself. Clicking an
 * enterprise or supporting body tells the what-if panel (js/chain_whatif.js) through `Ecomap.chain.onPick`.
 * `window.ecomapChain` is published for tests and scripts.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap, i18n = Ecomap.i18n, util = Ecomap.util;
  var data = Ecomap.dom.readJSON("chain-data");
  var box = Ecomap.dom.$("chain-picture");
  if (!data || !box || !window.vis) { return; }

  var STATUS_COLOR = { gap: "#d62828", fragile: "#f77f00", ok: "#2a9d8f" };
  var DRAWN = { local: 14, outside: 3, support: 3 };   // most drawn per link; the table lists more
  var COLUMN_W = 330, FIRM_W = 150, FIRM_H = 32, PER_ROW = 2, LINK_GAP = 70, LINK_H = 60;

  var links = {};
  data.links.forEach(function (l) { links[l.id] = l; });
  var names = {};            // entity id → {name, name_en, type}
  var pickListeners = [];
  var removed = new Set();
  var changed = {};          // link id → status it would have (from the last what-if answer)

  function nameOf(x) { return i18n.lang() === "en" ? (x.name_en || x.name) : x.name; }

  function linkLabel(l) {
    var status = changed[l.id] && changed[l.id] !== l.status
      ? i18n.t("chain.status." + l.status) + " → " + i18n.t("chain.status." + changed[l.id]) + "（" + i18n.t("chain.whatif.changed") + "）"
      : i18n.t("chain.status." + l.status);
    return util.shortLabel(nameOf(l), 16) + "\n" + status + " · " + i18n.t("chain.table.local") + " " + l.local.length;
  }
  function entityLabel(n) {
    var prefix = n.kind === "local" && n.entity.leader ? "★" + i18n.t("chain.mark.leader")
      : n.kind === "outside" ? i18n.t("chain.mark.outside")
      : n.kind === "support" ? i18n.t("chain.support." + n.entity.type) : "";
    var name = util.shortLabel(nameOf(n.entity), prefix ? 6 : 9);
    return prefix ? prefix + "·" + name : name;
  }
  function entityStyle(n) {
    var gone = removed.has(n.entity.id);
    var style = { color: { background: "#eef2f7", border: "#607d8b" }, borderWidth: 1, shapeProperties: { borderDashes: false } };
    if (n.kind === "local" && n.entity.leader) { style.color = { background: "#ffe8a3", border: "#b8860b" }; style.borderWidth = 3; }
    if (n.kind === "outside") { style.color = { background: "#ffffff", border: "#455a64" }; style.shapeProperties = { borderDashes: [4, 3] }; }
    if (n.kind === "support") { style.color = { background: "#ede7f6", border: "#7e57c2" }; }
    if (gone) { style.color = { background: "#e0e0e0", border: "#9e9e9e" }; style.font = { color: "#9e9e9e" }; }
    else { style.font = { color: "#1f2933" }; }
    return style;
  }
  function linkStyle(l) {
    var to = changed[l.id];
    var border = to && to !== l.status ? STATUS_COLOR[to] : "#1f2933";
    return { color: { background: STATUS_COLOR[l.status], border: border,
                      highlight: { background: STATUS_COLOR[l.status], border: "#000" } },
             borderWidth: to && to !== l.status ? 6 : 1 };
  }

  /** Node records with fixed positions: a header per column, each link, the entities drawn beside it. */
  function layout() {
    var out = [], edges = [];
    data.columns.forEach(function (column, c) {
      var x = c * COLUMN_W, y = 0;
      out.push({ id: "col:" + c, kind: "column", x: x, y: -70, shape: "text", label: column.positions.join(" / "),
                 font: { size: 15, color: "#616e7c" } });
      column.links.forEach(function (id) {
        var l = links[id];
        out.push({ id: "link:" + id, kind: "link", link: id, x: x, y: y, shape: "box", margin: 10,
                   widthConstraint: { minimum: 180, maximum: 200 }, font: { color: "#ffffff", size: 15, bold: true, multi: false } });
        var drawn = [];
        ["local", "outside", "support"].forEach(function (kind) {
          l[kind].slice(0, DRAWN[kind]).forEach(function (e) {
            names[e.id] = names[e.id] || { name: e.name, name_en: e.name_en };
            drawn.push({ kind: kind, entity: e });
          });
        });
        drawn.forEach(function (d, i) {
          var row = Math.floor(i / PER_ROW), col = i % PER_ROW;
          var nodeId = "ent:" + id + ":" + d.kind + ":" + d.entity.id;
          out.push({ id: nodeId, kind: d.kind, entity: d.entity, link: id, shape: "box", margin: 5,
                     x: x + (col - (PER_ROW - 1) / 2) * FIRM_W, y: y + LINK_H + row * FIRM_H,
                     widthConstraint: { minimum: FIRM_W - 12, maximum: FIRM_W - 12 }, font: { size: 13 } });
          edges.push({ from: "link:" + id, to: nodeId, color: { color: "#c5ced8" }, width: 1, smooth: false });
        });
        y += LINK_H + Math.ceil(drawn.length / PER_ROW) * FIRM_H + LINK_GAP;
      });
    });
    (data.upstream || []).forEach(function (pair) {
      edges.push({ from: "link:" + pair[0], to: "link:" + pair[1], arrows: "to", width: 3, color: { color: "#1f2933" },
                   smooth: { type: "curvedCW", roundness: 0.15 } });
    });
    return { nodes: out, edges: edges };
  }

  function styled(n) {
    var extra = n.kind === "link" ? Object.assign({ label: linkLabel(links[n.link]), title: nameOf(links[n.link]) }, linkStyle(links[n.link]))
      : n.kind === "column" ? {} : Object.assign({ label: entityLabel(n), title: nameOf(n.entity) }, entityStyle(n));
    return Object.assign({}, n, extra);
  }

  var drawn = layout();
  // As tall as the chain needs at the page's width (within bounds), so a wide chain leaves no empty band.
  var ys = drawn.nodes.map(function (n) { return n.y; });
  var spanY = Math.max.apply(null, ys) - Math.min.apply(null, ys) + 2 * FIRM_H;
  var spanX = Math.max(1, data.columns.length) * COLUMN_W;
  box.style.height = Math.round(Math.min(620, Math.max(280, box.clientWidth * spanY / spanX))) + "px";
  var nodes = new vis.DataSet(drawn.nodes.map(styled));
  var edges = new vis.DataSet(drawn.edges);
  var network = new vis.Network(box, { nodes: nodes, edges: edges }, {
    physics: false, layout: { improvedLayout: false },
    interaction: { dragNodes: false, hover: true, tooltipDelay: 150 },
    nodes: { fixed: true, shapeProperties: { interpolation: false } }
  });
  network.once("afterDrawing", function () { network.fit({ animation: false }); });

  function restyle() { nodes.update(nodes.get().map(styled)); }

  network.on("click", function (params) {
    var node = params.nodes.length ? nodes.get(params.nodes[0]) : null;
    if (!node || !node.entity) { return; }
    pickListeners.forEach(function (fn) { fn(node.entity.id); });
  });

  /** The entities chosen for removal (drawn grey) and the links the what-if answer changes (thick border). */
  function setRemoved(ids) { removed = new Set(ids); restyle(); }
  function markChanged(byLink) { changed = byLink || {}; restyle(); }

  i18n.onChange(restyle);

  Ecomap.chain = { data: data, names: names, links: links, onPick: function (fn) { pickListeners.push(fn); },
                   setRemoved: setRemoved, markChanged: markChanged, nameOf: nameOf };
  window.ecomapChain = {
    ready: true, network: network, nodes: nodes,
    /** Link node ids in column order with their drawn position, status and label. */
    links: function () {
      return nodes.get({ filter: function (n) { return n.kind === "link"; } }).map(function (n) {
        return { id: n.link, x: n.x, y: n.y, column: links[n.link].column, status: links[n.link].status,
                 label: n.label, border: n.color.border, borderWidth: n.borderWidth };
      });
    },
    entities: function (link) {
      return nodes.get({ filter: function (n) { return n.entity && (!link || n.link === link); } }).map(function (n) {
        return { id: n.entity.id, kind: n.kind, link: n.link, label: n.label, dashed: !!n.shapeProperties.borderDashes,
                 removed: removed.has(n.entity.id) };
      });
    },
    pick: function (entityId) { pickListeners.forEach(function (fn) { fn(entityId); }); }
  };
})();
