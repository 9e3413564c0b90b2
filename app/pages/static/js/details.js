/* 创新生态云图 — the details panel: a clicked node's properties, sources, neighbours in the map and what
 * can be done with it, in the reader's language (js/facts.js). A served page asks the API for the entity
 * (and so learns its sources' titles); a standalone file reads its records and the titles it carries.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;
  var facts = Ecomap.facts;

  var NEIGHBOURS_SHOWN = 40;
  var seq = 0;

  function offlineDetail(id) { return Promise.resolve({ node: S.records.get(id), provenance: null, degree: [] }); }

  function show(id) {
    var details = dom.$("details");
    if (!details || !S.records.has(id)) { return; }
    var mine = ++seq;
    S.detailsFor = null;
    var load = S.standalone ? offlineDetail(id) : Ecomap.api.get("/api/entities/" + encodeURIComponent(id));
    load.then(function (d) {
      if (mine === seq) { render(details, id, d); }
    }).catch(function (err) {
      if (mine === seq) { render(details, id, { node: S.records.get(id), provenance: null, degree: [], error: err.message }); }
    });
  }
  function render(details, id, d) {
    var t = i18n.t;
    var rec = d.node || S.records.get(id), props = rec.properties || {};
    var head = [el("h3", { id: "details-name", text: names.node(id) })];
    var sub = i18n.lang() === "en" ? props.name : props.name_en;
    if (sub) { head.push(el("p", { class: "sub", text: sub })); }
    var typeColor = (S.types[rec.type] || {}).color || "#9aa5b1";
    var tags = el("p", null, el("span", { class: "badge type", text: names.type(rec.type),
                                          style: "background:" + typeColor + ";color:" + (util.light(typeColor) ? "#1f2933" : "#ffffff") }));
    util.asList(props.liuxin).forEach(function (c) { tags.appendChild(Ecomap.legend.badge(c)); });
    if (props.synthetic === true) { tags.appendChild(el("span", { class: "badge synthetic", text: t("map.badge.synthetic") })); }
    head.push(tags);

    // Citations and the provenance note go under "Sources"; every other fact is a property.
    var own = S.types[rec.type];
    var dl = facts.rowsList(facts.rows(props, own, ["sources", "note"], function (k) { return names.prop(rec.type, k); }),
                            { id: "details-properties" });

    facts.learn(d.provenance);
    var prov = el("ul", { class: "provenance", id: "details-provenance" });
    var note = facts.local(props, "note");
    if (note) { prov.appendChild(facts.localElement("li", { class: "prov-note", id: "details-note" }, note)); }
    if (d.error) { prov.appendChild(el("li", { class: "error", text: t("map.load_failed", { msg: d.error }) })); }
    var citations = util.asList(props.sources);
    citations.forEach(function (c) { prov.appendChild(facts.citation(c, "li")); });
    if (!citations.length) { prov.appendChild(el("li", { class: "muted", text: t("map.details.no_provenance") })); }

    var neigh = el("ul", { id: "details-neighbours" });
    var edgeIds = Array.from(S.adjacency.get(id) || []);
    edgeIds.slice(0, NEIGHBOURS_SHOWN).forEach(function (eid) {
      var r = S.relRecords.get(eid), other = r.start === id ? r.end : r.start;
      var arrow = r.start === id ? "→ " : "← ";
      var link = el("a", { href: S.standalone ? "#" : "/entity/" + encodeURIComponent(other), text: names.node(other), "data-id": other,
                           onclick: function (ev) { ev.preventDefault(); Ecomap.expand.focus(other, { keepCentre: true }); } });
      neigh.appendChild(el("li", null, el("span", { class: "muted", text: names.rel(r.type) + " " + arrow }), link));
    });
    if (edgeIds.length > NEIGHBOURS_SHOWN) { neigh.appendChild(el("li", { class: "muted", text: t("map.more", { n: edgeIds.length - NEIGHBOURS_SHOWN }) })); }

    var actions = el("div", { class: "actions" });
    actions.appendChild(el("button", { type: "button", id: "details-set-centre", text: t("map.details.set_centre"),
                                       onclick: function () { setCentre(id); } }));
    if (!S.standalone) {
      var path = "/api/entities/" + encodeURIComponent(id);
      actions.appendChild(el("button", { type: "button", id: "details-expand", text: t("map.details.expand"),
                                         onclick: function () { Ecomap.expand.neighbours(id); } }));
      actions.appendChild(el("a", { href: "/entity/" + encodeURIComponent(id), text: t("map.details.focus_page") }));
      if (rec.type === "Cluster") { actions.appendChild(el("a", { href: "/clusters/" + encodeURIComponent(id), text: t("map.details.cluster_page") })); }
      actions.appendChild(el("a", { href: path, text: t("map.details.api_json"), class: "api-link" }));
      actions.appendChild(el("a", { href: path + "/neighbors", text: t("map.details.neighbours_json"), class: "api-link" }));
    }
    details.replaceChildren.apply(details, head.concat([
      el("h4", { text: t("map.details.properties") }), dl,
      el("h4", { text: t("map.details.provenance") }), prov,
      el("h4", { text: t("map.details.neighbours") }), neigh, actions]));
    details.setAttribute("data-entity", id);
    S.detailsFor = id;
  }

  function setCentre(id) {
    S.centre = id;
    Ecomap.filters.build();
    Ecomap.filters.apply();
  }

  function init() {
    var network = S.network;
    network.on("click", function (p) {
      Ecomap.tooltip.hide();
      if (p.nodes.length && S.records.has(p.nodes[0])) {
        S.focused = p.nodes[0];
        Ecomap.net.labelNode(p.nodes[0]);
        show(p.nodes[0]);
      }
    });
    network.on("doubleClick", function (p) {
      if (p.nodes.length && S.records.has(p.nodes[0])) { Ecomap.expand.neighbours(p.nodes[0]); }
    });
    i18n.onChange(function () { if (S.detailsFor) { show(S.detailsFor); } });
  }

  Ecomap.details = { init: init, show: show, setCentre: setCentre };
})();
