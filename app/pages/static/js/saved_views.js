/* 创新生态云图 — saved views: the "保存视图" dialog of a map page (title and note; POST /api/views with
 * the map's state), a saved view drawn again (/views/{id}: filters, depth and centre, colour mode,
 * expanded nodes, focus, language and camera restored over the saved nodes at their saved positions; the
 * note, and the entities gone since, shown in a box of the panel), a view inside a story's frame
 * (?embed=1: no page header, the story's keys passed up to it), and the delete buttons of /views.
 *
 * It runs after the map's scripts (deferred when served, inlined last in offline files) and reads the
 * map only through what they expose (Ecomap.state, filters, expand, graph, i18n).
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  if (!Ecomap || !Ecomap.dom) { return; }
  var dom = Ecomap.dom, el = dom.el, i18n = Ecomap.i18n, S = Ecomap.state;
  var STORY_KEYS = { ArrowRight: 1, ArrowLeft: 1, PageDown: 1, PageUp: 1, " ": 1, Escape: 1 };
  var GROUPS = ["type", "liuxin", "region", "rel"];
  var saved = dom.readJSON("ecomap-saved-view");
  var out = Ecomap.savedViews = { saved: saved, restored: false, last: null, capture: null, save: null };

  function apiMessage(body, fallback) {
    var e = body && body.error;
    if (!e) { return fallback; }
    return i18n.lang() === "zh" && e.details && e.details.message_zh ? e.details.message_zh : e.message;
  }

  // -- the map's state, as POST /api/views takes it ---------------------------------------------------------
  function pageUrl() { return saved ? saved.page_url : window.location.pathname + window.location.search; }
  function capture() {
    var net = S.network, drawn = net.getPositions(), view = S.view;
    var hidden = {};
    GROUPS.forEach(function (g) {
      hidden[g] = Array.from(Ecomap.filters.hidden[g]).map(function (v) { return v === S.NONE ? "" : v; });
    });
    var nodes = [];
    S.records.forEach(function (rec, id) {
      var p = drawn[id] || S.nodes.get(id) || {};
      var node = { id: id, name: rec.properties && rec.properties.name ? String(rec.properties.name) : null };
      if (typeof p.x === "number" && typeof p.y === "number") { node.x = Math.round(p.x * 10) / 10; node.y = Math.round(p.y * 10) / 10; }
      nodes.push(node);
    });
    var camera = net.getViewPosition();
    return {
      page: { kind: view.kind, url: pageUrl(), title: view.title || "", title_en: view.title_en || null,
              center: view.center || null, depth: view.depth || null, query: view.query || null,
              params: view.params || null, note: view.note || null },
      nodes: nodes, edges: Array.from(S.relRecords.keys()), hidden: hidden,
      depth: Ecomap.filters.depth(), centre: S.centre || null, focus: S.focused || null,
      expanded: Ecomap.expand.expanded(), colour_by: S.colourBy, lang: i18n.lang(),
      camera: { x: camera.x, y: camera.y, scale: net.getScale() }
    };
  }

  /** POST the view; a Promise of the saved view's summary (rejected with the API's message). */
  function save(title, note) {
    return fetch("/api/views", { method: "POST", headers: Ecomap.api.headers({ "Content-Type": "application/json" }),
                                 body: JSON.stringify({ title: title, note: note, state: capture() }) })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          if (!resp.ok) { throw new Error(apiMessage(body, resp.status + " " + resp.statusText)); }
          out.last = body;
          return body;
        });
      });
  }

  function saveDialog() {
    var t = i18n.t;
    var wide = "display:block;width:100%;box-sizing:border-box;margin-top:4px";
    var title = el("input", { id: "save-view-title", type: "text", maxlength: 100, required: "required", style: wide });
    var note = el("textarea", { id: "save-view-note", rows: 5, maxlength: 2000, style: wide });
    var problem = el("p", { id: "save-view-error", class: "error", hidden: "hidden" });
    var dialog = el("dialog", { id: "save-view-dialog", class: "save-view-dialog", style: "width:min(520px,90vw)" });
    var submit = el("button", { type: "submit", id: "save-view-submit", text: t("saved_views.dialog.submit") });
    var cancel = el("button", { type: "button", text: t("saved_views.dialog.cancel"), onclick: function () { dialog.close(); } });
    var form = el("form", { method: "dialog" },
                  el("h2", { text: t("saved_views.dialog.heading") }), el("p", { class: "muted", text: t("saved_views.dialog.explain") }),
                  el("label", { style: "display:block;margin:8px 0" }, el("span", { text: t("saved_views.dialog.title") }), title),
                  el("label", { style: "display:block;margin:8px 0" }, el("span", { text: t("saved_views.dialog.note") }), note), problem,
                  el("div", { class: "dialog-buttons" }, submit, cancel));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!title.value.trim()) { problem.textContent = t("saved_views.dialog.need_title"); problem.hidden = false; return; }
      submit.disabled = true;
      save(title.value.trim(), note.value).then(function (body) {
        dialog.close();
        Ecomap.note.status(t("saved_views.saved", { title: body.title }));
        var line = dom.$("status");
        if (line) { line.appendChild(document.createTextNode(" ")); line.appendChild(el("a", { href: body.url, id: "saved-view-link", text: t("saved_views.open_saved") })); }
      }).catch(function (err) {
        problem.textContent = t("saved_views.save_failed", { msg: err.message });
        problem.hidden = false;
      }).then(function () { submit.disabled = false; });
    });
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    return dialog;
  }

  // -- a saved view drawn again ---------------------------------------------------------------------------
  function savedBox() {
    var t = i18n.t, box = el("section", { class: "box saved-view-box", id: "saved-view-box" });
    box.appendChild(el("h2", { text: t("saved_views.box.heading") }));
    box.appendChild(el("p", { class: "saved-view-title", id: "saved-view-title", text: saved.title }));
    if (saved.note) { box.appendChild(el("p", { class: "saved-note", id: "saved-view-note", text: saved.note })); }
    box.appendChild(el("p", { class: "muted", text: t("saved_views.box.by", { author: saved.author || "—", date: (saved.created || "").slice(0, 10) }) }));
    if (saved.missing.length) {
      var list = el("ul", { id: "saved-view-missing" });
      saved.missing.forEach(function (m) {
        list.appendChild(el("li", { "data-id": m.id }, el("span", { text: m.name || m.id }), " ", el("code", { text: m.id })));
      });
      box.appendChild(el("div", { class: "saved-view-missing" },
                         el("p", { text: t("saved_views.box.missing", { n: saved.missing.length }) }), list));
    }
    if (!S.standalone) {
      box.appendChild(el("p", null, el("a", { href: saved.page_url, text: t("saved_views.box.from") }), " · ",
                         el("a", { href: "/views", text: t("saved_views.box.all_views") })));
    }
    var panel = document.querySelector(".panel");
    var old = dom.$("saved-view-box");
    if (old) { old.replaceWith(box); } else if (panel) { panel.insertBefore(box, panel.firstChild); }
  }

  function restore() {
    var asked = new URLSearchParams(window.location.search).get("lang");
    if (!asked && saved.lang !== i18n.lang()) { i18n.set(saved.lang); }
    GROUPS.forEach(function (g) {
      var set = Ecomap.filters.hidden[g];
      set.clear();
      (saved.hidden[g] || []).forEach(function (v) { set.add(v === "" ? S.NONE : v); });
    });
    if (saved.centre && S.records.has(saved.centre)) { S.centre = saved.centre; }
    Ecomap.filters.setDepth(saved.depth || 0);
    Ecomap.filters.build();
    Ecomap.filters.apply();
    if (saved.colour_by !== S.colourBy) { Ecomap.graph.setColourBy(saved.colour_by); }
    Ecomap.expand.restoreExpanded(saved.expanded || []);
    if (saved.focus && S.records.has(saved.focus)) {
      Ecomap.net.labelNode(saved.focus);
      S.network.selectNodes([saved.focus]);
      S.focused = saved.focus;
      Ecomap.details.show(saved.focus);
    }
    savedBox();
    i18n.onChange(savedBox);
    Ecomap.note.counts();
    // The banner and the box may have changed the map's size; vis-network adapts its camera to a new
    // size when it next draws, so the saved camera is set after that drawing.
    S.network.once("afterDrawing", function () {
      if (saved.camera) { S.network.moveTo({ position: { x: saved.camera.x, y: saved.camera.y }, scale: saved.camera.scale, animation: false }); }
      out.restored = true;
      document.body.setAttribute("data-view-restored", "1");
      if (saved.embed && window.parent !== window) { window.parent.postMessage({ ecomapViewReady: true }, "*"); }
    });
    S.network.redraw();
  }
  function whenReady(fn) {
    if (S.ready) { fn(); return; }
    setTimeout(function () { whenReady(fn); }, 30);
  }

  // -- inside a story's frame -----------------------------------------------------------------------------
  function embedded() {
    var header = document.querySelector(".topbar");
    if (header) { header.style.display = "none"; }
    document.body.classList.add("embedded");
    document.addEventListener("keydown", function (ev) {
      var tag = ev.target && ev.target.tagName;
      if (!STORY_KEYS[ev.key] || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
      ev.preventDefault();
      window.parent.postMessage({ ecomapStoryKey: ev.key }, "*");
    });
    window.addEventListener("message", function (ev) {
      if (ev.source === window.parent && ev.data && (ev.data.ecomapLang === "zh" || ev.data.ecomapLang === "en") &&
          ev.data.ecomapLang !== i18n.lang()) { i18n.set(ev.data.ecomapLang); }
    });
  }

  // -- the /views list ------------------------------------------------------------------------------------
  function deleteButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-delete-view], [data-delete-story]"), function (button) {
      var id = button.getAttribute("data-delete-view") || button.getAttribute("data-delete-story");
      var path = (button.hasAttribute("data-delete-view") ? "/api/views/" : "/api/stories/") + encodeURIComponent(id);
      button.addEventListener("click", function () {
        fetch(path, { method: "DELETE", headers: Ecomap.api.headers() }).then(function (resp) {
          if (resp.ok) { button.closest("tr").remove(); dom.$("saved-status").textContent = i18n.t("saved_views.list.deleted"); return; }
          return resp.json().catch(function () { return {}; }).then(function (body) {
            dom.$("saved-status").textContent = apiMessage(body, resp.status + " " + resp.statusText);
          });
        });
      });
    });
  }

  out.capture = capture;
  out.save = save;
  if (S && S.network) {
    var dialog = null;
    var button = dom.$("btn-save-view");
    if (button) {
      button.addEventListener("click", function () {
        if (dialog) { dialog.remove(); }
        dialog = saveDialog();
        dialog.showModal();
        dom.$("save-view-title").focus();
      });
    }
    if (saved) {
      if (saved.embed) { embedded(); }
      whenReady(restore);
    }
  }
  deleteButtons();
})();
