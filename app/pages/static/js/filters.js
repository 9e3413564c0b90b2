/* 创新生态云图 — the filters: by type, 六新 category, region (listed by administrative level) and
 * relationship type, each entry with an "only this" control, and by depth from the centre node. The
 * network draws two vis DataViews of the data sets; a filter change refreshes them and fits the picture
 * to what is left.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, i18n = Ecomap.i18n, names = Ecomap.names;

  var hidden = { type: new Set(), liuxin: new Set(), region: new Set(), rel: new Set() };
  var depthLimit = 0;
  var inDepth = null;   // Set of ids within depthLimit of the centre, or null for no depth filter

  function passesAttributes(n) {
    if (S.ghosts.has(n.id)) { return true; }
    if (hidden.type.has(n.kind)) { return false; }
    if (hidden.liuxin.size) {
      if (n.liuxin.length ? n.liuxin.every(function (c) { return hidden.liuxin.has(c); }) : hidden.liuxin.has(S.NONE)) { return false; }
    }
    if (hidden.region.has(n.region || S.NONE)) { return false; }
    return true;
  }
  function computeDepth() {
    inDepth = null;
    if (!depthLimit || !S.centre || !S.nodes.get(S.centre)) { return; }
    var seen = new Set([S.centre]), frontier = [S.centre];
    for (var d = 0; d < depthLimit && frontier.length; d++) {
      var next = [];
      frontier.forEach(function (id) {
        (S.adjacency.get(id) || new Set()).forEach(function (eid) {
          var r = S.relRecords.get(eid);
          if (hidden.rel.has(r.type)) { return; }
          var other = r.start === id ? r.end : r.start;
          if (seen.has(other)) { return; }
          var n = S.nodes.get(other);
          if (!n || !passesAttributes(n)) { return; }
          seen.add(other); next.push(other);
        });
      });
      frontier = next;
    }
    S.ghosts.forEach(function (g) { seen.add(g); });
    inDepth = seen;
  }
  function visibleNode(n) { return passesAttributes(n) && (!inDepth || inDepth.has(n.id)); }

  /** The views of the data sets the network draws. */
  function init() {
    S.nodeView = new vis.DataView(S.nodes, { filter: visibleNode });
    S.edgeView = new vis.DataView(S.edges, { filter: function (e) {
      if (hidden.rel.has(e.kind)) { return false; }
      var a = S.nodes.get(e.from), b = S.nodes.get(e.to);
      return !!a && !!b && visibleNode(a) && visibleNode(b);
    } });
  }
  function apply() {
    computeDepth();
    S.nodeView.refresh();
    S.edgeView.refresh();
    Ecomap.net.edgesChanged();
    Ecomap.note.counts();
  }

  /** How many entities (not 补链 placeholders) have each of the keys ``fn`` gives them. */
  function countBy(fn) {
    var counts = new Map();
    S.nodes.forEach(function (n) {
      if (S.ghosts.has(n.id)) { return; }
      fn(n).forEach(function (k) { counts.set(k, (counts.get(k) || 0) + 1); });
    });
    return counts;
  }

  // -- regions by level ----------------------------------------------------------------------------------
  var LEVELS = ["省", "市", "县", "区域"];
  var LEVEL_KEYS = { "省": "map.level.province", "市": "map.level.city", "县": "map.level.county", "区域": "map.level.area" };
  /** What the view knows of its regions, from the Region nodes it holds: name -> {level, name_en}. */
  function regionFacts() {
    var out = new Map();
    S.records.forEach(function (rec) {
      var p = rec.properties || {};
      if (rec.type === "Region" && p.name) { out.set(String(p.name), { level: p.level || null, name_en: p.name_en || null }); }
    });
    return out;
  }
  function regionLabel(known, k) {
    if (k === S.NONE) { return i18n.t("map.filter.none"); }
    var f = known.get(k);
    return i18n.lang() === "en" && f && f.name_en ? String(f.name_en) : k;
  }
  function levelRank(known, k) {
    if (k === S.NONE) { return LEVELS.length + 1; }
    var f = known.get(k), i = f && f.level ? LEVELS.indexOf(f.level) : -1;
    return i < 0 ? LEVELS.length : i;
  }

  // -- the lists -----------------------------------------------------------------------------------------
  /** The entries of each filter group, in the order they are listed: [[value, count], ...]. */
  function groups() {
    var ont = S.ontology, known = regionFacts();
    var typeCounts = countBy(function (n) { return [n.kind]; });
    var liuxinCounts = countBy(function (n) { return n.liuxin.length ? n.liuxin : [S.NONE]; });
    var regionCounts = countBy(function (n) { return [n.region || S.NONE]; });
    var relCounts = new Map();
    S.relRecords.forEach(function (r) { relCounts.set(r.type, (relCounts.get(r.type) || 0) + 1); });
    var order = ont.node_types.map(function (x) { return x.label; });
    var lxOrder = ont.liuxin.map(function (x) { return x.name; }).concat([S.NONE]);
    var relOrder = ont.relationship_types.map(function (x) { return x.name; });
    return {
      type: Array.from(typeCounts.entries()).sort(function (a, b) { return order.indexOf(a[0]) - order.indexOf(b[0]); }),
      liuxin: Array.from(liuxinCounts.entries()).sort(function (a, b) { return lxOrder.indexOf(a[0]) - lxOrder.indexOf(b[0]); }),
      // By level (province, city, county, area), then those of unknown level, "not stated" last.
      region: Array.from(regionCounts.entries()).sort(function (a, b) {
        return levelRank(known, a[0]) - levelRank(known, b[0]) || b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
      }),
      rel: Array.from(relCounts.entries()).sort(function (a, b) { return relOrder.indexOf(a[0]) - relOrder.indexOf(b[0]); })
    };
  }
  /** How an entry of a group is called in the reader's language. */
  function labeller(group) {
    if (group === "type") { return names.type; }
    if (group === "liuxin") { return function (k) { return k === S.NONE ? i18n.t("map.filter.no_liuxin") : names.liuxin(k); }; }
    if (group === "region") { var known = regionFacts(); return function (k) { return regionLabel(known, k); }; }
    return names.rel;
  }

  /** A filter the user changed: apply it, rebuild the lists, and fit the picture to what is left. */
  function changed() {
    apply();
    Ecomap.net.refit();
  }
  /** Leave exactly `value` visible in `group`. */
  function only(group, value) {
    var entries = groups()[group] || [];
    hidden[group].clear();
    entries.forEach(function (e) { if (e[0] !== value) { hidden[group].add(e[0]); } });
    build();
    changed();
  }
  function entryRow(group, entry, label) {
    var input = el("input", { type: "checkbox", "data-filter": group, value: entry[0] });
    input.checked = !hidden[group].has(entry[0]);
    input.addEventListener("change", function () {
      if (input.checked) { hidden[group].delete(entry[0]); } else { hidden[group].add(entry[0]); }
      changed();
    });
    var name = label(entry[0]);
    var button = el("button", { type: "button", class: "only", "data-only": group, "data-value": entry[0],
                                title: i18n.t("map.filter.only_title", { name: name }), text: i18n.t("map.filter.only"),
                                onclick: function () { only(group, entry[0]); } });
    return el("div", { class: "filter-entry" },
              el("label", null, input, el("span", { class: "name", text: name }), el("span", { class: "count", text: entry[1] })), button);
  }
  function checkboxList(group, entries, label) {
    var box = el("div", { class: entries.length > 8 ? "scroll" : "" });
    entries.forEach(function (entry) { box.appendChild(entryRow(group, entry, label)); });
    return box;
  }
  /** The region list, under a heading per level when the view knows the levels of its regions. */
  function regionList(entries) {
    var known = regionFacts();
    var label = function (k) { return regionLabel(known, k); };
    var ranks = entries.map(function (e) { return levelRank(known, e[0]); });
    var levelsKnown = ranks.some(function (r) { return r < LEVELS.length; });
    if (!levelsKnown) { return checkboxList("region", entries, label); }
    var box = el("div", { class: entries.length > 8 ? "scroll" : "" });
    var last = null;
    entries.forEach(function (entry, i) {
      var rank = ranks[i];
      if (rank !== last && rank <= LEVELS.length) {
        box.appendChild(el("div", { class: "filter-level", "data-level": rank < LEVELS.length ? LEVELS[rank] : "",
                                    text: i18n.t(rank < LEVELS.length ? LEVEL_KEYS[LEVELS[rank]] : "map.level.unknown") }));
      }
      last = rank;
      box.appendChild(entryRow("region", entry, label));
    });
    return box;
  }
  function build() {
    var root = dom.$("filters");
    if (!root) { return; }
    var g = groups();
    var depthSelect = el("select", { id: "filter-depth", "data-filter": "depth" });
    [0, 1, 2, 3].forEach(function (d) {
      var o = el("option", { value: d, text: d ? d + " " + i18n.t("map.filter.hops") : i18n.t("map.filter.all") });
      if (d === depthLimit) { o.selected = true; }
      depthSelect.appendChild(o);
    });
    depthSelect.disabled = !S.centre;
    depthSelect.addEventListener("change", function () { depthLimit = parseInt(depthSelect.value, 10) || 0; changed(); });
    var depthHint = el("small", { class: "muted", id: "depth-centre",
                                  text: S.centre ? i18n.t("map.filter.depth_from", { name: names.node(S.centre) }) : i18n.t("map.filter.depth_no_centre") });

    root.replaceChildren(
      el("fieldset", { id: "filter-type" }, el("legend", { text: i18n.t("map.filter.type") }), checkboxList("type", g.type, labeller("type"))),
      el("fieldset", { id: "filter-liuxin" }, el("legend", { text: i18n.t("map.filter.liuxin") }), checkboxList("liuxin", g.liuxin, labeller("liuxin"))),
      el("fieldset", { id: "filter-region" }, el("legend", { text: i18n.t("map.filter.region") }), regionList(g.region)),
      el("fieldset", { id: "filter-rel" }, el("legend", { text: i18n.t("map.filter.rel") }), checkboxList("rel", g.rel, labeller("rel"))),
      el("fieldset", { id: "filter-depth-box" }, el("legend", { text: i18n.t("map.filter.depth") }), depthSelect, depthHint)
    );
  }
  function reset() {
    Object.keys(hidden).forEach(function (k) { hidden[k].clear(); });
    depthLimit = 0;
    build();
    apply();
  }

  /** The filters in force, for the banner: [{group, label, shown: [labels], hidden: [labels]}], and the
   * depth limit with its centre. */
  function describe() {
    var g = groups(), out = [];
    ["type", "liuxin", "region", "rel"].forEach(function (group) {
      if (!hidden[group].size) { return; }
      var label = labeller(group), shown = [], off = [];
      g[group].forEach(function (e) { (hidden[group].has(e[0]) ? off : shown).push(label(e[0])); });
      if (off.length) { out.push({ group: group, label: i18n.t("map.filter." + group), shown: shown, hidden: off }); }
    });
    return { groups: out, depth: inDepth ? depthLimit : 0, centre: inDepth ? S.centre : null };
  }

  /** Ids of the entities shown now (the 补链 placeholders are not entities). */
  function visibleNodeIds() { return S.nodeView.getIds().filter(function (id) { return !S.ghosts.has(id); }); }
  /** Ids of the relationships shown now. */
  function visibleEdgeIds() { return S.edgeView.getIds().filter(function (id) { return S.relRecords.has(id); }); }

  /** The depth limit from the centre (0: none), and setting it (for saved views; apply() shows it). */
  function depth() { return depthLimit; }
  function setDepth(d) { depthLimit = d >= 0 && d <= 3 ? d : 0; }

  Ecomap.filters = { init: init, apply: apply, build: build, reset: reset, only: only, countBy: countBy,
                     describe: describe, hidden: hidden, depth: depth, setDepth: setDepth,
                     visibleNodeIds: visibleNodeIds, visibleEdgeIds: visibleEdgeIds,
                     relHidden: function (type) { return hidden.rel.has(type); } };
  var resetButton = dom.$("filters-reset");
  if (resetButton) { resetButton.addEventListener("click", function () { if (S.nodeView) { reset(); Ecomap.net.refit(); } }); }
})();
