/* 创新生态云图 — the entity picker of the saved-query forms.
 *
 * An entity parameter is a text field (`input[data-picker]`, with the node types it expects in
 * `data-entity-types`). Typing searches like the map's search box (GET /api/entities?q=…&type=…: Chinese,
 * pinyin, initials, aliases) and lists names with type and region; choosing one shows its name and puts
 * its id in a hidden field, which is what the form sends. Text typed without choosing is sent as typed:
 * the server takes an id or a name it can match to one entity, and says what to enter otherwise. Without
 * this script the visible field itself is sent, with the same result.
 *
 * Names reach the page only through textContent and attributes (Ecomap.dom.el).
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  if (!Ecomap || !Ecomap.dom || !Ecomap.i18n || !Ecomap.api) { return; }
  var dom = Ecomap.dom, el = dom.el, i18n = Ecomap.i18n;

  var SEARCH_DELAY_MS = 180;
  var HITS = 10;
  var CLOSE_DELAY_MS = 150;
  var TYPES = dom.readJSON("ecomap-type-names") || {};

  function en() { return i18n.lang() === "en"; }
  function typeName(label) { var x = TYPES[label]; return x ? x[en() ? 1 : 0] : (label || ""); }
  function nameOf(item) { return en() && item.name_en ? item.name_en : (item.name || item.id); }

  function attach(input, n) {
    var param = input.getAttribute("data-picker") || String(n);
    var types = (input.getAttribute("data-entity-types") || "").split(/\s+/).filter(Boolean);
    var chosen = input.getAttribute("data-entity-id") ? {
      id: input.getAttribute("data-entity-id"), name: input.getAttribute("data-entity-name"),
      name_en: input.getAttribute("data-entity-name-en"), type: input.getAttribute("data-entity-type"),
      region: input.getAttribute("data-entity-region") } : null;
    var hidden = el("input", { type: "hidden", name: input.name, value: chosen ? chosen.id : input.value });
    var list = el("ul", { class: "search-results picker-results", role: "listbox", id: "picker-" + param });
    var box = el("div", { class: "picker", style: "position: relative" });
    var hits = [], more = 0, active = -1, timer = null, latest = 0;

    input.removeAttribute("name");  // the hidden field carries the value
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(hidden);
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    function showChosen() {
      if (!chosen) { return; }
      input.value = nameOf(chosen);
      input.title = i18n.t("query.entity.id") + ": " + chosen.id;
    }
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
    function open() { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
    function message(text) { list.replaceChildren(el("li", { class: "muted", text: text })); open(); }
    function render() {
      list.replaceChildren();
      if (!hits.length) { message(i18n.t("query.picker.none")); return; }
      hits.forEach(function (h, i) {
        var meta = [typeName(h.type), h.region].filter(Boolean).join(" · ");
        list.appendChild(el("li", { role: "option", "data-id": h.id, "aria-selected": i === active ? "true" : "false",
                                    onmousedown: function (ev) { ev.preventDefault(); choose(i); } },
                            el("span", { class: "hit-name", text: nameOf(h) }),
                            el("span", { class: "hit-meta", text: meta })));
      });
      if (more > 0) { list.appendChild(el("li", { class: "muted", text: i18n.t("query.picker.more", { n: more }) })); }
      open();
    }
    function search(q) {
      var mine = ++latest;
      var path = "/api/entities?limit=" + HITS + "&q=" + encodeURIComponent(q) +
        types.map(function (t) { return "&type=" + encodeURIComponent(t); }).join("");
      list.removeAttribute("data-query");
      message(i18n.t("query.picker.loading"));
      Ecomap.api.get(path).then(function (body) {
        if (mine !== latest) { return; }
        hits = body.items || [];
        more = Math.max(0, (body.total || 0) - hits.length);
        list.setAttribute("data-query", q);  // which text the list answers
        active = hits.length ? 0 : -1;
        render();
      }).catch(function (err) {
        if (mine === latest) { message(i18n.t("query.picker.failed", { message: err.message })); }
      });
    }
    function choose(i) {
      var h = hits[i];
      if (!h) { return; }
      chosen = h;
      hidden.value = h.id;
      showChosen();
      close();
    }

    input.addEventListener("input", function () {
      chosen = null;
      hidden.value = input.value.trim();
      input.removeAttribute("title");
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); hits = []; return; }
      timer = setTimeout(function () { search(q); }, SEARCH_DELAY_MS);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (!hits.length) { return; }
        active = (active + (ev.key === "ArrowDown" ? 1 : hits.length - 1)) % hits.length;
        render();
      } else if (ev.key === "Enter" && !list.hidden && hits.length) {
        ev.preventDefault();  // choosing, not sending the form yet
        choose(Math.max(active, 0));
      } else if (ev.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, CLOSE_DELAY_MS); });
    i18n.onChange(function () { showChosen(); if (!list.hidden && hits.length) { render(); } });
    showChosen();
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), attach);
})();
