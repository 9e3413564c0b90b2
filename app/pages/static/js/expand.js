/* 创新生态云图 — growing the map and moving about in it: a node's neighbours fetched from the API and
 * placed on a ring around it (double-click, "Expand neighbours"), and focusing one node (search results,
 * links in the panels), fetching it first when the map does not hold it yet.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, i18n = Ecomap.i18n, names = Ecomap.names;

  var EXPAND_LIMIT = 200;
  var expanded = [];   // ids whose neighbours were fetched, in order

  function ring(around, ids) {
    var out = {};
    var c = around && S.nodes.get(around) ? S.network.getPosition(around) : S.network.getViewPosition();
    var radius = Math.max(140, ids.length * 9);
    ids.forEach(function (id, i) {
      var a = (2 * Math.PI * i) / Math.max(ids.length, 1);
      out[id] = [Math.round(c.x + radius * Math.cos(a)), Math.round(c.y + radius * Math.sin(a))];
    });
    return out;
  }

  /** Add the neighbours of `id` the API returns; a Promise of what was added (null when nothing could be). */
  function neighbours(id) {
    var t = i18n.t, note = Ecomap.note;
    if (S.standalone) { note.status(t("map.expand.offline")); return Promise.resolve(null); }
    S.expanding = true;
    var url = "/api/entities/" + encodeURIComponent(id) + "/neighbors?depth=1&limit=" + EXPAND_LIMIT;
    return Ecomap.api.get(url).then(function (g) {
      var fresh = g.nodes.map(function (n) { return n.id; }).filter(function (nid) { return !S.records.has(nid); });
      var pos = ring(S.records.has(id) ? id : null, fresh.filter(function (nid) { return nid !== id; }));
      if (!S.records.has(id)) { var v = S.network.getViewPosition(); pos[id] = [Math.round(v.x), Math.round(v.y)]; }
      var added = Ecomap.graph.addGraph(g, pos);
      if (expanded.indexOf(id) < 0) { expanded.push(id); }
      Ecomap.filters.build();
      Ecomap.legend.build();
      Ecomap.filters.apply();
      var visible = new Set(S.nodeView.getIds());
      var hiddenCount = added.nodes.filter(function (nid) { return !visible.has(nid); }).length;
      var msg = t("map.expand.done", { name: names.node(id), n: added.nodes.length }) +
                (g.truncated ? t("map.expand.cut", { limit: EXPAND_LIMIT }) : "");
      if (hiddenCount) { msg += " · " + t("map.expand.hidden_by_filter", { n: hiddenCount }); }
      note.status(msg);
      S.lastExpansion = { id: id, apiNodeIds: g.nodes.map(function (n) { return n.id; }),
                          apiRelationshipIds: g.relationships.map(Ecomap.graph.edgeId), added: added.nodes, addedEdges: added.edges,
                          truncated: !!g.truncated };
      S.expanding = false;
      return S.lastExpansion;
    }).catch(function (err) {
      S.expanding = false;
      note.status(t("map.load_failed", { msg: err.message }));
      return null;
    });
  }

  /** Select, centre on and show one node; it becomes the centre of the depth filter unless `opts.keepCentre`. */
  function focus(id, opts) {
    var ready = S.records.has(id) ? Promise.resolve() : neighbours(id);
    return ready.then(function () {
      if (!S.records.has(id)) { return; }
      if (!new Set(S.nodeView.getIds()).has(id)) { Ecomap.filters.reset(); }
      if (!(opts && opts.keepCentre)) { S.centre = id; Ecomap.filters.build(); }
      Ecomap.net.labelNode(id);
      S.network.selectNodes([id]);
      S.network.focus(id, { scale: Math.max(S.network.getScale(), 1.1), animation: { duration: 250, easingFunction: "easeInOutQuad" } });
      S.focused = id;
      Ecomap.details.show(id);
      Ecomap.note.counts();
    });
  }

  /** Mark `ids` as expanded without fetching them (a saved view holds their neighbours already). */
  function restoreExpanded(ids) { expanded = ids.filter(function (id) { return S.records.has(id); }); }

  Ecomap.expand = { neighbours: neighbours, focus: focus, expanded: function () { return expanded.slice(); },
                    restoreExpanded: restoreExpanded };
})();
