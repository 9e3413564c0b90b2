/* 创新生态云图 — the search box in the header: the API's search (Chinese, pinyin, initials, aliases) on a
 * served page; in a standalone file, the names it holds and the pinyin keys it carries. Choosing a hit
 * focuses that node, fetching it when the map does not hold it yet.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, el = dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;

  var SEARCH_DELAY_MS = 180;
  var HITS = 12;
  var box = null, results = null;
  var timer = null, latest = 0, hits = [], active = -1;

  function localSearch(q) {
    var needle = q.replace(/\s+/g, "").toLowerCase();
    var found = [];
    S.records.forEach(function (rec) {
      var p = rec.properties || {};
      var all = [p.name, p.name_en].concat(util.asList(p.aliases)).filter(Boolean)
        .map(function (s) { return util.text(s).replace(/\s+/g, "").toLowerCase(); });
      var rank = -1;
      all.forEach(function (s) {
        var r = s === needle ? 0 : s.indexOf(needle) === 0 ? 1 : s.indexOf(needle) > 0 ? 2 : -1;
        if (r >= 0 && (rank < 0 || r < rank)) { rank = r; }
      });
      if (rank < 0 && /^[a-z0-9]+$/.test(needle) &&
          (S.offline.pinyin[rec.id] || "").split(" ").some(function (k) { return k.indexOf(needle) >= 0; })) { rank = 3; }
      if (rank >= 0) {
        found.push({ rank: rank, item: { id: rec.id, type: rec.type, name: p.name, name_en: p.name_en, region: p.region,
                                         match: ["exact", "prefix", "substring", "pinyin"][rank] } });
      }
    });
    found.sort(function (a, b) { return a.rank - b.rank || util.text(a.item.name).length - util.text(b.item.name).length; });
    return Promise.resolve(found.slice(0, HITS).map(function (f) { return f.item; }));
  }
  function renderHits() {
    results.replaceChildren();
    if (!hits.length) { results.appendChild(el("li", { class: "muted", text: i18n.t("map.search.no_hits") })); }
    hits.forEach(function (h, i) {
      var name = i18n.lang() === "en" && h.name_en ? h.name_en : (h.name || h.id);
      var meta = names.type(h.type) + (h.region ? " · " + h.region : "") + (S.records.has(h.id) ? " · " + i18n.t("map.search.in_view") : "");
      results.appendChild(el("li", { role: "option", "data-id": h.id, "aria-selected": i === active ? "true" : "false",
                                     onmousedown: function (ev) { ev.preventDefault(); choose(i); } },
                             el("span", { class: "hit-name", text: name }), el("span", { class: "hit-meta", text: meta })));
    });
    results.hidden = false;
  }
  function run(q) {
    var mine = ++latest;
    var find = S.standalone ? localSearch(q)
      : Ecomap.api.get("/api/entities?limit=" + HITS + "&q=" + encodeURIComponent(q)).then(function (b) { return b.items; });
    find.then(function (items) {
      if (mine !== latest) { return; }
      hits = items; active = items.length ? 0 : -1;
      renderHits();
    }).catch(function (err) { Ecomap.note.status(i18n.t("map.load_failed", { msg: err.message })); });
  }
  function choose(i) {
    var h = hits[i];
    if (!h) { return; }
    results.hidden = true;
    box.blur();
    Ecomap.expand.focus(h.id);
  }

  function init() {
    box = dom.$("search");
    results = dom.$("search-results");
    if (!box || !results) { return; }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (!q) { results.hidden = true; hits = []; return; }
      timer = setTimeout(function () { run(q); }, SEARCH_DELAY_MS);
    });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (!hits.length) { return; }
        active = (active + (ev.key === "ArrowDown" ? 1 : hits.length - 1)) % hits.length;
        renderHits();
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(timer);
        var q = box.value.trim();
        if (hits.length && results.hidden === false) { choose(Math.max(active, 0)); }
        else if (q) { run(q); }
      } else if (ev.key === "Escape") {
        results.hidden = true;
      }
    });
    box.addEventListener("blur", function () { setTimeout(function () { results.hidden = true; }, 150); });
  }

  Ecomap.search = { init: init };
})();
