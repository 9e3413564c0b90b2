/* 创新生态云图 — a story: its saved views one at a time in a frame, each step's note beside it, next and
 * previous by the buttons and the keyboard (→ / PageDown / Space, ← / PageUp; Esc leaves the
 * presentation), full screen on request.
 *
 * Served, a step's frame is the saved view's page (/views/{id}?embed=1). Offline, each step's map
 * document is in the story data with its assets as markers; the assets are in the file once, as text
 * (script elements of type text/plain), and put back into the step's document when it is shown. The
 * frame passes the story's keys up (js/saved_views.js) and says when its map is restored; the story
 * passes its language down.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var dom = Ecomap.dom, i18n = Ecomap.i18n;
  var story = dom.readJSON("ecomap-story");
  var frame = dom.$("story-frame");
  if (!story || !frame) { return; }
  var state = window.ecomapStory = { step: 0, count: story.steps.length, frameReady: false, presenting: false };
  var assets = null;

  /** A step's offline document: its markers replaced by the assets they stand for. */
  function documentFor(step) {
    if (!assets) {
      assets = {};
      Array.prototype.forEach.call(document.querySelectorAll("script[type='text/plain'][id^='story-asset-']"), function (s) {
        assets[s.id.slice("story-asset-".length)] = s.textContent;
      });
    }
    var marker = new RegExp("/\\*@ecomap-asset-" + story.nonce + ":(\\w+)@\\*/", "g");
    return step.html.replace(marker, function (whole, name) { return name in assets ? assets[name] : whole; });
  }

  function side() {
    var t = i18n.t, step = story.steps[state.step];
    dom.$("story-step").textContent = t("story.step", { n: state.step + 1, total: state.count });
    dom.$("story-step-title").textContent = step.title || "";
    dom.$("story-note").textContent = step.note || "";
    dom.$("story-view-note").textContent = step.view_note || "";
    var missing = dom.$("story-missing");
    var gone = step.missing || [];
    missing.hidden = !gone.length && !step.gone;
    missing.textContent = step.gone ? t("saved_views.error.unknown_view", { id: step.view })
      : t("story.missing", { n: gone.length, names: gone.map(function (m) { return m.name || m.id; }).join(t("map.list_sep")) });
    dom.$("story-prev").disabled = state.step === 0;
    dom.$("story-next").disabled = state.step === state.count - 1;
  }

  function show(i) {
    if (i < 0 || i >= state.count) { return; }
    state.step = i;
    state.frameReady = false;
    document.body.setAttribute("data-step", String(i + 1));
    document.body.removeAttribute("data-frame-ready");
    var step = story.steps[i];
    side();
    if (step.gone) { frame.removeAttribute("src"); frame.srcdoc = ""; }
    else if (story.standalone) { frame.srcdoc = documentFor(step); }
    else { frame.src = step.url + "?embed=1"; }
    try { window.history.replaceState(null, "", "#step-" + (i + 1)); } catch (e) { /* a file:// copy may refuse */ }
  }
  function next() { show(state.step + 1); }
  function prev() { show(state.step - 1); }

  function present() {
    state.presenting = true;
    document.body.classList.add("presenting");
    var root = dom.$("story");
    if (root.requestFullscreen) { root.requestFullscreen().catch(function () { /* refused: the page fills the window */ }); }
  }
  function leave() {
    state.presenting = false;
    document.body.classList.remove("presenting");
    if (document.fullscreenElement && document.exitFullscreen) { document.exitFullscreen().catch(function () {}); }
  }
  document.addEventListener("fullscreenchange", function () { if (!document.fullscreenElement) { leave(); } });

  function key(name) {
    if (name === "ArrowRight" || name === "PageDown" || name === " ") { next(); return true; }
    if (name === "ArrowLeft" || name === "PageUp") { prev(); return true; }
    if (name === "Escape") { leave(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (ev) {
    var tag = ev.target && ev.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    if (key(ev.key)) { ev.preventDefault(); }
  });
  function tellLanguage() {
    if (frame.contentWindow) { frame.contentWindow.postMessage({ ecomapLang: i18n.lang() }, "*"); }
  }
  window.addEventListener("message", function (ev) {
    if (ev.source !== frame.contentWindow || !ev.data) { return; }
    if (ev.data.ecomapStoryKey) { key(ev.data.ecomapStoryKey); }
    if (ev.data.ecomapViewReady) {
      state.frameReady = true;
      document.body.setAttribute("data-frame-ready", "1");
      tellLanguage();
    }
  });

  dom.$("story-next").addEventListener("click", next);
  dom.$("story-prev").addEventListener("click", prev);
  dom.$("story-present").addEventListener("click", present);
  i18n.onChange(function () { side(); tellLanguage(); });
  var asked = /^#step-(\d+)$/.exec(window.location.hash);
  show(asked ? Math.min(Math.max(parseInt(asked[1], 10) - 1, 0), state.count - 1) : 0);
})();
