/* 创新生态云图 — the tooltip over nodes and relationships. vis-network's own tooltips (`title`) are HTML,
 * so the map does not use them: it fills its own element with text. A relationship's tooltip names its
 * type, ends, role, note and weight in the reader's language and links its citations; it stays open
 * while the pointer moves onto it, so those links can be followed.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, el = Ecomap.dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;
  var facts = Ecomap.facts;

  var HIDE_DELAY_MS = 250;   // time to move the pointer onto the tooltip (its citations are links)
  var REST_MS = 400;         // the tooltip takes the pointer only once it rested this long on one thing,
                             // so a pointer passing by is never caught by a tooltip in its way
  var tooltip = null, wrap = null;
  var shown = null;          // what the tooltip is about: {edge: id} or {node: id}, with the pointer
  var hideTimer = null, restTimer = null, overTooltip = false;

  /** Put the tooltip just below and right of the pointer (above or left of it near the edges). */
  function place(at) {
    var x = at.x + 14, y = at.y + 14;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    if (x + w > wrap.clientWidth) { x = Math.max(0, at.x - w - 10); }
    if (y + h > wrap.clientHeight) { y = Math.max(0, at.y - h - 10); }
    tooltip.style.left = x + "px";
    tooltip.style.top = y + "px";
  }
  /** Until the pointer rests, the tooltip follows it and lets it through; then it stays, and takes it. */
  function restSoon() {
    clearTimeout(restTimer);
    tooltip.classList.remove("interactive");
    restTimer = setTimeout(function () { tooltip.classList.add("interactive"); }, REST_MS);
  }
  function show(children, pointer) {
    clearTimeout(hideTimer);
    hideTimer = null;
    if (!overTooltip) { restSoon(); }
    tooltip.replaceChildren.apply(tooltip, children.filter(Boolean));
    tooltip.hidden = false;
    place(pointer.DOM);
  }
  /** Hide now (a click, a drag, a zoom). */
  function hide() {
    clearTimeout(hideTimer);
    clearTimeout(restTimer);
    hideTimer = null;
    overTooltip = false;
    shown = null;
    if (tooltip) { tooltip.classList.remove("interactive"); tooltip.hidden = true; }
  }
  /** Hide unless the pointer moves onto the tooltip first (leaving a node or a relationship). */
  function hideSoon() {
    if (hideTimer !== null || !tooltip || tooltip.hidden) { return; }   // already going
    hideTimer = setTimeout(function () { hideTimer = null; if (!overTooltip) { hide(); } }, HIDE_DELAY_MS);
  }

  function nodeRows(id) {
    var t = i18n.t, n = S.nodes.get(id);
    if (S.ghosts.has(n.id)) {
      return [el("div", { class: "tt-title", text: n.fullLabel || n.label }), el("div", { class: "tt-row", text: Ecomap.gaps.describe(n.id) || "" })];
    }
    var rec = S.records.get(n.id), props = rec.properties || {};
    var rows = [el("div", { class: "tt-title", text: names.node(n.id) }),
                el("div", { class: "tt-row", text: names.type(n.kind) + (n.region ? " · " + names.region(n.region) : "") })];
    if (i18n.lang() !== "en" && props.name_en) { rows.push(el("div", { class: "tt-row", text: props.name_en })); }
    if (n.liuxin.length) { rows.push(el("div", null, n.liuxin.map(function (c) { return Ecomap.legend.badge(c); }))); }
    if (n.synthetic) { rows.push(el("div", null, el("span", { class: "badge synthetic", text: t("map.badge.synthetic") }))); }
    rows.push(el("div", { class: "tt-hint", text: t("map.tooltip.hint") }));
    return rows;
  }
  function edgeRows(id) {
    var t = i18n.t, r = S.relRecords.get(id);
    var props = r.properties || {};
    var rows = [el("div", { class: "tt-title" }, names.rel(r.type),
                   i18n.lang() === "en" ? null : el("span", { class: "tt-code", text: " · " + r.type })),
                el("div", { class: "tt-row", text: names.node(r.start) + " → " + names.node(r.end) })];
    ["role", "note", "weight"].forEach(function (k) {
      var fact = k === "note" ? facts.local(props, k) : (props[k] !== undefined && props[k] !== null ? { text: facts.formatValue(k, props[k]), other: false } : null);
      if (fact) { rows.push(facts.localElement("div", { class: "tt-row", "data-key": k }, { text: t("map.fact.pair", { label: names.relProp(r.type, k), value: fact.text }), other: fact.other })); }
    });
    var citations = util.asList(props.sources);
    if (citations.length) {
      rows.push(el("div", { class: "tt-row tt-label", text: t("map.fact.pair", { label: t("map.details.provenance"), value: "" }) }));
      citations.forEach(function (c) { rows.push(facts.citation(c, "div")); });
    }
    if (props.synthetic === true) { rows.push(el("div", null, el("span", { class: "badge synthetic", text: t("map.badge.synthetic") }))); }
    return rows;
  }
  function showEdge(id, pointer) {
    if (!S.relRecords.has(id)) { return; }
    shown = { edge: id, pointer: pointer };
    show(edgeRows(id), pointer);
    // Titles of sources not known yet arrive later: redraw if the tooltip still shows this relationship.
    facts.resolve(S.relRecords.get(id).properties && S.relRecords.get(id).properties.sources).then(function (learnt) {
      if (learnt && shown && shown.edge === id && !tooltip.hidden) { show(edgeRows(id), shown.pointer); }
    });
  }

  function init() {
    var network = S.network, container = S.container;
    tooltip = Ecomap.dom.$("tooltip");
    wrap = container.parentNode;
    tooltip.addEventListener("mouseenter", function () { overTooltip = true; clearTimeout(hideTimer); hideTimer = null; });
    tooltip.addEventListener("mouseleave", function () { overTooltip = false; hideSoon(); });
    network.on("hoverNode", function (p) {
      if (S.nodes.get(p.node)) { shown = { node: p.node, pointer: p.pointer }; show(nodeRows(p.node), p.pointer); }
    });
    network.on("hoverEdge", function (p) { showEdge(p.edge, p.pointer); });
    ["blurNode", "blurEdge"].forEach(function (ev) { network.on(ev, hideSoon); });
    ["dragStart", "zoom"].forEach(function (ev) { network.on(ev, hide); });
    container.addEventListener("mousemove", function (ev) {
      if (tooltip.hidden || overTooltip || tooltip.classList.contains("interactive")) { return; }
      var box = container.getBoundingClientRect();
      place({ x: ev.clientX - box.left, y: ev.clientY - box.top });
      restSoon();
    });
    if (!S.customEdges) { return; }
    // Self-drawn relationships: the map finds the one under the pointer itself.
    var overNode = false, pointerAt = null, scheduled = false;
    network.on("hoverNode", function () { overNode = true; });
    network.on("blurNode", function () { overNode = false; });
    container.addEventListener("mousemove", function (ev) {
      var box = container.getBoundingClientRect();
      pointerAt = { x: ev.clientX - box.left, y: ev.clientY - box.top };
      if (scheduled) { return; }
      scheduled = true;
      requestAnimationFrame(function () {   // at most one search per frame
        scheduled = false;
        var id = overNode || network.renderer.dragging ? null : Ecomap.net.edgeNear(pointerAt);
        Ecomap.net.hoverEdge(id);
        if (id) { showEdge(id, { DOM: pointerAt }); } else if (!overNode) { hideSoon(); }
      });
    });
    container.addEventListener("mouseleave", function () { Ecomap.net.hoverEdge(null); hideSoon(); });
  }

  Ecomap.tooltip = { init: init, show: show, hide: hide };
})();
