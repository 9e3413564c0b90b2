/* 创新生态云图 — what the map says about itself. The banner above the map (#view-banner) always states
 * what is shown: first the note on what the view is (a cut of the graph, an entity's neighbourhood, a
 * query result), then how many of the nodes and relationships the map holds are visible, the filters in
 * force and the nodes expanded — kept current after filtering, expanding, focusing and resetting. The
 * status line on the map reports what just happened.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, i18n = Ecomap.i18n, names = Ecomap.names;

  function status(msg) { var line = dom.$("status"); if (line) { line.textContent = msg || ""; } }

  var LISTED = 3;   // filter values named in the banner; more are counted

  function listOf(values) {
    var t = i18n.t, head = values.slice(0, LISTED).join(t("map.list_sep"));
    return values.length > LISTED ? head + " " + t("map.banner.and_more", { n: values.length - LISTED }) : head;
  }
  /** The filters in force, in words: "类型 = 企业；地区 ≠ 太原市", or "未筛选". */
  function filterText() {
    var t = i18n.t, d = Ecomap.filters.describe(), parts = [];
    d.groups.forEach(function (g) {
      if (!g.shown.length) { parts.push(t("map.banner.all_hidden", { group: g.label })); }
      else if (g.shown.length <= g.hidden.length) { parts.push(t("map.banner.is", { group: g.label, values: listOf(g.shown) })); }
      else { parts.push(t("map.banner.is_not", { group: g.label, values: listOf(g.hidden) })); }
    });
    if (d.depth) { parts.push(t("map.banner.depth", { depth: d.depth, name: names.node(d.centre) })); }
    return parts.length ? t("map.banner.filters", { list: parts.join(t("map.banner.filter_sep")) }) : t("map.banner.no_filters");
  }
  /** The banner's second line: visible / held nodes and relationships, filters, expansions. */
  function shownText() {
    var t = i18n.t, filters = Ecomap.filters;
    var parts = [t("map.banner.shown", { nodes: filters.visibleNodeIds().length, total_nodes: S.records.size,
                                         rels: filters.visibleEdgeIds().length, total_rels: S.relRecords.size }),
                 filterText()];
    var expanded = Ecomap.expand.expanded();
    if (expanded.length) { parts.push(t("map.banner.expanded", { names: listOf(expanded.map(names.node)) })); }
    return parts.join(" · ");
  }
  function banner() {
    var line = dom.$("view-shown");
    if (line && S.nodeView) { line.textContent = shownText(); }
  }
  /** After anything that changes what is shown: the banner, and the status line once the map is drawn. */
  function counts() {
    banner();
    if (!S.ready) { return; }
    var t = i18n.t;
    status(t("map.status.node_count", { n: Ecomap.filters.visibleNodeIds().length }) + (S.serverLayout ? " · " + t("map.status.layout_server") : ""));
  }

  function viewNote() {
    var t = i18n.t, view = S.view;
    var n = view.note, shown = (view.graph.nodes || []).length, rels = (view.graph.relationships || []).length;
    var msg;
    if (view.kind === "home" && n) {
      msg = n.total > n.shown
        ? t("map.note.cut", { shown: n.shown, total: n.total, by: t(n.ranked_by === "importance" ? "map.note.by_importance" : "map.note.by_degree") })
        : t("map.note.all", { shown: shown, rels: rels });
      if ((n.hidden_types || []).indexOf("Source") >= 0) { msg += " " + t("map.note.hidden_sources"); }
    } else if (view.kind === "entity") {
      msg = t("map.note.entity", { name: names.node(view.center), depth: view.depth, shown: shown, rels: rels });
    } else if (view.kind === "cluster") {
      msg = t("map.note.cluster", { shown: shown, rels: rels });
    } else if (view.kind === "query") {
      msg = t("map.note.query", { shown: shown, rels: rels });
    } else {
      msg = t("map.note.export", { shown: shown, rels: rels });
    }
    if (view.graph.truncated && view.kind !== "home") { msg += " " + t("map.note.truncated"); }
    if (!shown) { msg = t("map.note.empty"); }
    return msg;
  }

  function render() {
    var noteEl = dom.$("view-note");
    if (!noteEl) { return; }
    noteEl.replaceChildren(document.createTextNode(viewNote() + " "));
    if (S.view.api && !S.standalone) { noteEl.appendChild(el("a", { href: S.view.api, class: "api-link", text: i18n.t("map.note.view_json") })); }
    noteEl.hidden = false;
    banner();
    var title = dom.$("view-title");
    if (title && S.view.title) { title.textContent = i18n.lang() === "en" ? (S.view.title_en || S.view.title) : S.view.title; }
  }

  Ecomap.note = { render: render, counts: counts, banner: banner, status: status };
})();
