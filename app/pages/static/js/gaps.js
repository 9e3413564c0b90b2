/* 创新生态云图 — the 补链 view of a cluster page, as the report (GET /api/analytics/gaps?cluster=) states it.
 *
 * Each supporting role has one of three statuses, and the panel says which and why: present (the entity
 * filling it and the relationships that make it count, through a parent cluster where that is how), recorded
 * as lacking (the source that says so), or not recorded (the entities in the data that could fill it, to
 * check). A role the data does not show is not thereby missing, so the panel never says "missing": the
 * score measures how much of the rules the sources record, not how strong the cluster is.
 *
 * On the map: chain links recoloured by status, and a placeholder for each role not present — dashed grey
 * for "not recorded", solid red for "recorded as lacking" — with legend entries (`legendEntries`) to match.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;

  var STATUSES = ["present", "recorded_absent", "not_recorded"];
  var MARKS = { present: "✓", recorded_absent: "✕", not_recorded: "?" };
  var SHOWN = 5;            // evidence and related entities listed per role before "n more"
  var NAME_LOOKUPS = 40;    // most names asked of the API for ids on a path the page does not hold
  // How a placeholder looks on the map, by status: a lack a source states is drawn solid and red; a role the
  // sources are silent about, dashed and grey (it may well exist).
  var GHOST_STYLE = {
    recorded_absent: { color: { background: "#fff1f1", border: "#c53030", highlight: { background: "#ffe3e3", border: "#9b2c2c" } },
                       font: { color: "#9b2c2c" }, borderWidth: 2, shapeProperties: { borderDashes: false },
                       edge: { color: "#e5989b", dashes: false } },
    not_recorded: { color: { background: "#f5f7fa", border: "#829ab1", highlight: { background: "#e4ebf2", border: "#486581" } },
                    font: { color: "#486581" }, borderWidth: 2, shapeProperties: { borderDashes: [6, 4] },
                    edge: { color: "#bcccdc", dashes: [6, 4] } }
  };

  var known = {};     // id -> {zh, en}: names the report gives, or the API answered, for ids the map does not hold
  var asked = {};     // ids whose name was asked of the API
  var pending = 0;    // look-ups (names, source titles) not answered yet

  function en() { return i18n.lang() === "en"; }
  function t(key, vars) { return i18n.t(key, vars); }
  function statusOf(r) { return STATUSES.indexOf(r.status) >= 0 ? r.status : (r.present ? "present" : "not_recorded"); }
  function roleName(r) { return en() ? util.text(r.label_en || r.label || r.role) : util.text(r.label || r.role); }
  function number(x) { return typeof x === "number" ? String(parseFloat(x.toFixed(2))) : util.text(x); }

  // -- names ------------------------------------------------------------------------------------------
  function learn(id, zh, eng) {
    if (id && zh && !known[id]) { known[id] = { zh: util.text(zh), en: util.text(eng || zh) }; }
  }
  function learnReport(c) {
    learn(c.id, c.name, c.name_en);
    (c.roles || []).forEach(function (r) {
      (r.evidence || []).forEach(function (e) { learn(e.entity, e.name, e.name_en); });
      (r.related || []).forEach(function (x) { learn(x.entity, x.name, x.name_en); });
    });
  }
  /** The name of `id` in the reader's language: from the map's records, else the report, else the id. */
  function nameOf(id) {
    if (S.records.has(id)) { return names.node(id); }
    var k = known[id];
    return k ? (en() ? k.en : k.zh) : util.text(id);
  }
  /** Ask the API for the titles of the sources a recorded lack cites; re-render when one was learnt. */
  function lookUpSources(c) {
    var cites = [];
    (c.roles || []).forEach(function (r) { cites = cites.concat(r.absent_sources || []); });
    if (!cites.length) { return; }
    pending += 1;
    Ecomap.facts.resolve(cites).then(function (learnt) { pending -= 1; if (learnt && S.gaps) { render(S.gaps); } });
  }
  /** Ask the API for the names of ids on a path that neither the map nor the report names; re-render then. */
  function lookUpNames(c) {
    if (S.standalone) { return; }
    var wanted = [];
    (c.roles || []).forEach(function (r) {
      (r.evidence || []).forEach(function (e) {
        var ids = (e.path || []).reduce(function (acc, s) { return acc.concat([s.start, s.end]); }, [e.via_cluster]);
        ids.forEach(function (id) {
          if (id && !S.records.has(id) && !known[id] && !asked[id] && wanted.indexOf(id) < 0) { wanted.push(id); }
        });
      });
    });
    wanted = wanted.slice(0, NAME_LOOKUPS);
    if (!wanted.length) { return; }
    pending += 1;
    Promise.all(wanted.map(function (id) {
      asked[id] = true;
      return Ecomap.api.get("/api/entities/" + encodeURIComponent(id)).then(function (d) {
        var p = (d.node && d.node.properties) || {};
        learn(id, p.name || id, p.name_en);
      }).catch(function () { /* an id the API does not know is shown as itself */ });
    })).then(function () { pending -= 1; if (S.gaps) { render(S.gaps); } });
  }

  /** The relationships of `path` read from `entity` back to the cluster, e.g. "太钢集团 —牵头→ 新材料产业". */
  function chain(entity, path) {
    var text = nameOf(entity), at = entity;
    (path || []).slice().reverse().forEach(function (step) {
      var forward = step.start === at;
      var other = forward ? step.end : step.start;
      text += forward ? " —" + names.rel(step.rel) + "→ " : " ←" + names.rel(step.rel) + "— ";
      text += nameOf(other);
      at = other;
    });
    return text;
  }

  // -- the panel ----------------------------------------------------------------------------------------
  /** A link that focuses `id` on the map (its entity page when opened in a new tab). */
  function focusLink(id, cls, label) {
    return el("a", { href: S.standalone ? "#" : "/entity/" + encodeURIComponent(id), class: cls || "gaps-entity", "data-id": id,
                     text: label === undefined ? nameOf(id) : label,
                     onclick: function (ev) { ev.preventDefault(); Ecomap.expand.focus(id, { keepCentre: true }); } });
  }
  /** The first SHOWN items, then the rest folded under "n more". */
  function capped(items, make, attrs) {
    var list = el("ul", attrs);
    items.slice(0, SHOWN).forEach(function (x) { list.appendChild(make(x)); });
    if (items.length > SHOWN) {
      var rest = el("ul");
      items.slice(SHOWN).forEach(function (x) { rest.appendChild(make(x)); });
      list.appendChild(el("li", { class: "gaps-more" },
                          el("details", null, el("summary", { text: t("map_gaps.more", { n: items.length - SHOWN }) }), rest)));
    }
    return list;
  }
  function evidenceItem(e) {
    var li = el("li", { class: "gaps-evidence-item", "data-entity": e.entity, "data-scope": e.scope || "self" },
                focusLink(e.entity), el("div", { class: "gaps-path", text: chain(e.entity, e.path) }));
    if (e.scope === "parent" && e.via_cluster) {
      li.appendChild(el("div", { class: "gaps-via" },
                        focusLink(e.via_cluster, "gaps-via-cluster", t("map_gaps.via_parent", { name: nameOf(e.via_cluster) }))));
    }
    return li;
  }
  function relatedItem(x) {
    return el("li", { class: "gaps-related-item", "data-entity": x.entity },
              focusLink(x.entity), el("div", { class: "gaps-why", text: en() ? (x.why_en || x.why_zh) : (x.why_zh || x.why_en) }));
  }
  function mark(status) {
    return el("span", { class: "gaps-mark status-" + status, "aria-hidden": "true", text: MARKS[status] });
  }
  function roleItem(r) {
    var status = statusOf(r);
    var li = el("li", { class: "gaps-role status-" + status, "data-role": r.role, "data-status": status },
                el("div", { class: "gaps-role-head", title: t("gaps.explain." + status) },
                   mark(status), el("span", { class: "gaps-status", text: t("gaps.status." + status) }),
                   el("span", { class: "role", text: roleName(r) }),
                   el("span", { class: "gaps-weight", text: t("map_gaps.weight", { weight: number(r.weight) }) })));
    if (status === "present") {
      var evidence = (r.evidence && r.evidence.length) ? r.evidence
        : (r.entities || []).map(function (id) { return { entity: id, scope: "self", path: [] }; });
      li.appendChild(capped(evidence, evidenceItem, { class: "gaps-evidence" }));
    } else if (status === "recorded_absent") {
      var cites = r.absent_sources || [];
      li.appendChild(el("div", { class: "gaps-sources" }, el("span", { class: "gaps-label", text: t("map_gaps.stated_in") + " " }),
                        cites.length ? cites.map(function (c) { return Ecomap.facts.citation(c); })
                                     : el("span", { class: "muted", text: t("map_gaps.no_citation") })));
    } else if ((r.related || []).length) {
      li.appendChild(el("div", { class: "gaps-related" }, el("div", { class: "gaps-label", text: t("map_gaps.related") }),
                        capped(r.related, relatedItem, { class: "gaps-related-list" })));
    } else {
      li.appendChild(el("div", { class: "gaps-related gaps-none", text: t("map_gaps.no_related") }));
    }
    return li;
  }
  /** "完整度 62%（已记载权重 5 / 总权重 8）", from the report's weights (or the roles', from an older report). */
  function scoreText(c) {
    var roles = c.roles || [];
    var total = typeof c.total_weight === "number" ? c.total_weight
      : roles.reduce(function (s, r) { return s + (r.weight || 0); }, 0);
    var present = typeof c.present_weight === "number" ? c.present_weight
      : roles.reduce(function (s, r) { return s + (statusOf(r) === "present" ? r.weight || 0 : 0); }, 0);
    var score = typeof c.score === "number" ? c.score : (total ? present / total : 0);
    return t("map_gaps.score", { percent: Math.round(score * 100), present: number(present), total: number(total) });
  }
  function explanation() {
    var list = el("dl", { class: "gaps-explain-list" });
    STATUSES.forEach(function (s) {
      list.appendChild(el("dt", null, mark(s), " ", t("gaps.status." + s)));
      list.appendChild(el("dd", { text: t("gaps.explain." + s) }));
    });
    return el("div", { class: "gaps-explain" },
              el("p", { class: "muted", text: t("gaps.explain.score") + " " + t("gaps.explain.not_strength") }),
              el("details", null, el("summary", { text: t("map_gaps.explain.heading") }), list,
                 el("p", { class: "muted", text: t("gaps.explain.related") })));
  }
  function linksList(c) {
    var links = el("ul", { id: "gaps-links" });
    (c.links || []).forEach(function (l) {
      S.linkStatus.set(l.id, l.status);
      links.appendChild(el("li", { class: "link-" + l.status, "data-id": l.id },
                           el("span", { class: "badge " + l.status, text: t("map.gaps.status." + l.status) }),
                           el("a", { href: "#", text: l.name || l.id,
                                     onclick: function (ev) { ev.preventDefault(); Ecomap.expand.focus(l.id, { keepCentre: true }); } }),
                           el("span", { class: "muted", text: (l.count !== undefined ? l.count : (l.enterprises || []).length) + " " + t("map.gaps.enterprises") })));
    });
    if (!(c.links || []).length) { links.appendChild(el("li", { class: "muted", text: t("map.gaps.no_links") })); }
    return links;
  }

  // -- the map ------------------------------------------------------------------------------------------
  function ghostLabel(r) {
    return t(statusOf(r) === "recorded_absent" ? "map_gaps.ghost.recorded_absent" : "map_gaps.ghost.not_recorded", { role: roleName(r) });
  }
  function recolourLinks() {
    var updates = [];
    S.linkStatus.forEach(function (s, id) {
      if (S.records.has(id) && s !== "ok") {
        var v = Ecomap.graph.visNode(S.records.get(id));
        updates.push({ id: id, color: Ecomap.graph.nodeColour(v), borderWidth: v.borderWidth, shapeProperties: v.shapeProperties || {} });
      }
    });
    S.nodes.update(updates);
  }
  /** A placeholder per role not present, on a ring just outside everything drawn around the cluster;
   * placeholders already drawn are relabelled (the language may have changed) and restyled. */
  function drawGhosts(c) {
    var network = S.network;
    var anchor = S.records.has(c.id) ? network.getPosition(c.id) : { x: 0, y: 0 };
    var all = network.getPositions();
    var reach = 0;
    Object.keys(all).forEach(function (k) {
      if (!S.ghosts.has(k)) { reach = Math.max(reach, Math.hypot(all[k].x - anchor.x, all[k].y - anchor.y)); }
    });
    var absent = (c.roles || []).filter(function (r) { return statusOf(r) !== "present"; });
    var added = 0;
    absent.forEach(function (r, i) {
      var id = "gap:" + r.role, status = statusOf(r), look = GHOST_STYLE[status], label = ghostLabel(r);
      var item = { id: id, label: util.shortLabel(label), fullLabel: label, gapStatus: status, gapRole: r.role,
                   color: look.color, font: look.font, borderWidth: look.borderWidth, shapeProperties: look.shapeProperties };
      if (S.ghosts.has(id)) { S.nodes.update(item); return; }
      var a = -Math.PI / 2 + (2 * Math.PI * i) / absent.length;
      S.ghosts.add(id);
      added += 1;
      S.nodes.add(Object.assign(item, { shape: "box", kind: "", liuxin: [], region: "", physics: false,
                                        x: anchor.x + (reach + 120) * Math.cos(a), y: anchor.y + (reach + 120) * Math.sin(a) }));
      if (S.records.has(c.id)) {
        S.edges.add({ id: id + "|edge", from: c.id, to: id, dashes: look.edge.dashes, color: { color: look.edge.color },
                      arrows: { to: { enabled: false } } });
      }
    });
    return added;
  }

  function render(report) {
    var box = dom.$("gaps");
    if (!box) { return; }
    var c = report && (report.clusters || []).filter(function (x) { return x.id === S.view.center; })[0];
    if (!c) { box.replaceChildren(el("p", { class: "muted", text: t("map.gaps.none") })); return; }
    S.gaps = report;
    learnReport(c);
    var roles = el("ul", { id: "gaps-roles", class: "gaps-roles" });
    (c.roles || []).forEach(function (r) { roles.appendChild(roleItem(r)); });
    box.replaceChildren(el("p", { id: "gaps-score", class: "score gaps-score", text: scoreText(c) }), explanation(),
                        el("h4", { text: t("map.gaps.roles") }), roles, el("h4", { text: t("map.gaps.links") }), linksList(c));
    recolourLinks();
    var drawn = drawGhosts(c);
    Ecomap.legend.build();
    Ecomap.filters.apply();
    if (drawn && !S.moved) { S.network.fit({ animation: false }); }
    lookUpNames(c);
    lookUpSources(c);
  }

  /** The legend's entries for the placeholders drawn now: [{status, mark, text, colour, border, dashed}]. */
  function legendEntries() {
    var seen = {};
    S.ghosts.forEach(function (id) { var n = S.nodes.get(id); if (n && n.gapStatus) { seen[n.gapStatus] = true; } });
    return ["recorded_absent", "not_recorded"].filter(function (s) { return seen[s]; }).map(function (s) {
      var look = GHOST_STYLE[s];
      return { status: s, mark: t("map_gaps.ghost_mark." + s), text: t("map_gaps.legend." + s),
               colour: look.color.background, border: look.color.border, ink: look.font.color,
               dashed: !!look.shapeProperties.borderDashes };
    });
  }
  /** What a placeholder stands for, in words (for a tooltip): null for anything else. */
  function describe(id) {
    var n = S.ghosts.has(id) && S.nodes.get(id);
    return n && n.gapStatus ? t("map_gaps.legend." + n.gapStatus) + " — " + t("gaps.explain." + n.gapStatus) : null;
  }

  /** On a cluster page: the report embedded in the view (a standalone file), else the analytics API's. */
  function init() {
    if (S.view.kind !== "cluster") { return; }
    if (S.view.gaps) { render(S.view.gaps); }
    else if (S.standalone) { render(null); }
    else { Ecomap.api.get("/api/analytics/gaps?cluster=" + encodeURIComponent(S.view.center)).then(render).catch(function () { render(null); }); }
    i18n.onChange(function () { if (S.gaps) { render(S.gaps); } });
  }

  Ecomap.gaps = { init: init, render: render, legendEntries: legendEntries, describe: describe, scoreText: scoreText,
                  pending: function () { return pending; } };
})();
