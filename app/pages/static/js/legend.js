/* 创新生态云图 — the legend (the types drawn, with their shapes and colours; 六新 badges; the colouring
 * by type or by community) and the 六新 badges the panels show.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;
  var style = Ecomap.style;

  function shapeIcon(shape, color) {
    var svg = dom.svg("svg", { width: 18, height: 14, viewBox: "0 0 18 14", "aria-hidden": "true" });
    var s;
    switch (shape) {
      case "box": s = dom.svg("rect", { x: 1, y: 2, width: 16, height: 10, rx: 2 }); break;
      case "square": s = dom.svg("rect", { x: 3, y: 1, width: 12, height: 12 }); break;
      case "ellipse": s = dom.svg("ellipse", { cx: 9, cy: 7, rx: 8, ry: 5 }); break;
      case "diamond": s = dom.svg("polygon", { points: "9,0 16,7 9,14 2,7" }); break;
      case "triangle": s = dom.svg("polygon", { points: "9,1 16,13 2,13" }); break;
      case "hexagon": s = dom.svg("polygon", { points: "5,1 13,1 17,7 13,13 5,13 1,7" }); break;
      case "star": s = dom.svg("polygon", { points: "9,0 11,5 17,5 12,8.5 14,14 9,10.5 4,14 6,8.5 1,5 7,5" }); break;
      case "database": s = dom.svg("path", { d: "M2,3 a7,2 0 0,1 14,0 v8 a7,2 0 0,1 -14,0 z" }); break;
      default: s = dom.svg("circle", { cx: 9, cy: 7, r: 6 });
    }
    s.setAttribute("fill", color);
    s.setAttribute("stroke", util.shade(color, -0.35));
    svg.appendChild(s);
    return svg;
  }
  /** A 六新 badge: the category's character alone (`short`) or with its name. */
  function badge(category, short) {
    return el("span", { class: "badge liuxin", style: "background:" + (style.LIUXIN_COLORS[category] || "#627d98"),
                        text: short === true ? style.LIUXIN_SHORT[category] || "?"
                                             : (style.LIUXIN_SHORT[category] || "") + " " + names.liuxin(category) });
  }
  var countBy = Ecomap.filters.countBy;
  function build() {
    var root = dom.$("legend");
    if (!root) { return; }
    var t = i18n.t;
    var counts = countBy(function (n) { return [n.kind]; });
    var chooser = null;
    var communities = countBy(function (n) { return n.community === null ? [] : [n.community]; });
    if (communities.size) {
      var select = el("select", { id: "colour-by", "aria-label": t("map.legend.colour_by") },
                      el("option", { value: "type", text: t("map.legend.colour_type") }),
                      el("option", { value: "community", text: t("map.legend.colour_community") }));
      select.value = S.colourBy;
      select.addEventListener("change", function () { Ecomap.graph.setColourBy(select.value); });
      chooser = el("label", { class: "colour-by" }, el("span", { text: t("map.legend.colour_by") }), select);
    }
    var list = el("ul", { id: "legend-types" });
    S.ontology.node_types.forEach(function (x) {
      if (!counts.has(x.label)) { return; }
      list.appendChild(el("li", { "data-type": x.label }, shapeIcon(x.shape, S.colourBy === "community" ? "#c4cdd5" : x.color),
                          el("span", { text: names.type(x.label) }), el("span", { class: "count", text: counts.get(x.label) })));
    });
    counts.forEach(function (n, label) {
      if (!S.types[label]) {
        list.appendChild(el("li", { "data-type": label }, shapeIcon("dot", "#9aa5b1"), el("span", { text: names.type(label) }),
                            el("span", { class: "count", text: n })));
      }
    });
    var lx = countBy(function (n) { return n.liuxin; });
    var badges = el("ul", { id: "legend-liuxin" });
    S.ontology.liuxin.forEach(function (x) {
      if (lx.has(x.name)) {
        badges.appendChild(el("li", null, badge(x.name, true), el("span", { text: names.liuxin(x.name) }),
                              el("span", { class: "count", text: lx.get(x.name) })));
      }
    });
    var extra = el("ul");
    extra.appendChild(el("li", null, el("span", { class: "legend-edge" }), el("span", { text: t("map.legend.edge") })));
    var anySynthetic = false;
    S.nodes.forEach(function (n) { if (n.synthetic) { anySynthetic = true; } });
    if (anySynthetic) {
      extra.appendChild(el("li", null, el("span", { class: "badge synthetic", text: t("map.badge.synthetic") }),
                           el("span", { text: t("map.legend.synthetic") })));
    }
    // One entry per kind of 补链 placeholder on the map (not recorded / recorded as lacking), styled as drawn.
    (Ecomap.gaps ? Ecomap.gaps.legendEntries() : []).forEach(function (g) {
      extra.appendChild(el("li", { "data-gap-status": g.status },
                           el("span", { class: "badge gap", text: g.mark,
                                        style: "background:" + g.colour + ";color:" + g.ink + ";border:1px " +
                                               (g.dashed ? "dashed " : "solid ") + g.border }),
                           el("span", { text: g.text })));
    });
    var byCommunity = null;
    if (S.colourBy === "community") {
      byCommunity = el("ul", { id: "legend-communities" });
      Array.from(communities.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; }).slice(0, 12).forEach(function (e) {
        byCommunity.appendChild(el("li", { "data-community": e[0] }, shapeIcon("dot", Ecomap.graph.communityColour(e[0])),
                                   el("span", { text: t("map.legend.community", { n: e[0] }) }), el("span", { class: "count", text: e[1] })));
      });
      if (communities.size > 12) { byCommunity.appendChild(el("li", { class: "muted", text: t("map.more", { n: communities.size - 12 }) })); }
    }
    root.replaceChildren.apply(root, [chooser, byCommunity, list, lx.size ? el("div", { class: "muted", text: t("map.legend.badges") }) : null,
                                      lx.size ? badges : null, extra].filter(Boolean));
  }

  Ecomap.legend = { build: build, badge: badge, shapeIcon: shapeIcon };
})();
