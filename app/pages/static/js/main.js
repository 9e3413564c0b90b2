/* 创新生态云图 — start-up of a map page: read the view, draw it, wire the parts together, and publish
 * `window.ecomap`, the read-only handle tests and scripts use to see what the map shows.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, i18n = Ecomap.i18n;

  /** `window.ecomap`: the map's objects, its state read live, and what it can be asked to do. */
  function probe() {
    var api = {
      network: S.network, nodes: S.nodes, edges: S.edges, nodeView: S.nodeView, edgeView: S.edgeView, records: S.records,
      view: S.view, options: S.options, standalone: S.standalone, timings: S.timings,
      visibleNodeIds: Ecomap.filters.visibleNodeIds,
      visibleEdgeIds: Ecomap.filters.visibleEdgeIds,
      ghostIds: function () { return Array.from(S.ghosts); },
      selfDrawnEdges: Ecomap.net.selfDrawnEdges,
      physicsRunning: function () { return !!(S.network.physics && S.network.physics.physicsEnabled && !S.network.physics.stabilized); },
      focus: Ecomap.expand.focus,
      expand: Ecomap.expand.neighbours,
      currentView: Ecomap.exporter.currentView
    };
    ["ready", "readyAt", "focused", "detailsFor", "lastExpansion", "expanding", "moved", "gaps", "lastPng",
     "refits", "refitting"].forEach(function (key) {
      Object.defineProperty(api, key, { enumerable: true, get: function () { return S[key]; } });
    });
    return api;
  }

  function start() {
    if (!S.init()) { return; }
    Ecomap.filters.init();
    Ecomap.net.prepare();
    Ecomap.note.status(i18n.t("map.status.drawing", { n: (S.view.graph.nodes || []).length }));
    Ecomap.graph.addGraph(S.view.graph, S.positions);
    S.timings.data = performance.now();
    Ecomap.net.create();
    window.ecomap = Ecomap.probe = probe();
    Ecomap.tooltip.init();
    Ecomap.details.init();
    Ecomap.search.init();
    Ecomap.exporter.init();
    Ecomap.gaps.init();

    Ecomap.filters.build();
    Ecomap.legend.build();
    Ecomap.note.render();
    if (S.view.kind === "entity" && S.view.center && S.records.has(S.view.center)) {
      S.network.selectNodes([S.view.center]);
      S.focused = S.view.center;
      Ecomap.details.show(S.view.center);
    }
    i18n.onChange(function () {
      Ecomap.filters.build();
      Ecomap.legend.build();
      Ecomap.note.render();
      Ecomap.note.counts();
    });
  }

  start();
})();
