/* 创新生态云图 — the one translation mechanism of the pages.
 *
 * Every text a person reads comes from the catalogue (app/i18n/messages/*.yaml), embedded by the server in
 * #ecomap-i18n as {key: {zh, en}}. Templates render Chinese with `data-i18n="key"` (and `data-i18n-vars`),
 * `data-i18n-zh` / `data-i18n-en` for bilingual data, `data-i18n-<attribute>="key"` for attributes; apply()
 * re-renders them. Scripts call t(key, vars) and re-render what they drew in an onChange listener.
 *
 * The language is `?lang=zh|en` when given, else the last one chosen with the header toggle (remembered in
 * localStorage `ecomap.lang`), else Chinese.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var fmt = Ecomap.util.fmt;
  var ATTRIBUTES = ["placeholder", "title", "aria-label"];

  var catalogue = Ecomap.dom.readJSON("ecomap-i18n") || {};
  var asked = new URLSearchParams(window.location.search).get("lang");
  var current = asked === "en" || asked === "zh" ? asked : (Ecomap.storage("ecomap.lang") === "en" ? "en" : "zh");
  var listeners = [];

  function lang() { return current; }
  /** The message `key` in the current language, placeholders filled; an unknown key shows as itself. */
  function t(key, vars) {
    var entry = catalogue[key];
    if (!entry) { return key; }
    return fmt(entry[current] || entry.zh, vars);
  }
  function each(root, selector, fn) {
    if (root.nodeType === 1 && root.matches(selector)) { fn(root); }
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }
  /** Re-render every translated element under `root` (default: the whole page) in the current language. */
  function apply(root) {
    root = root || document;
    if (root === document) {
      document.documentElement.lang = current === "en" ? "en" : "zh-CN";
      document.documentElement.setAttribute("data-lang", current);
    }
    each(root, "[data-i18n]", function (node) {
      if (catalogue[node.dataset.i18n]) {
        node.textContent = t(node.dataset.i18n, node.dataset.i18nVars ? JSON.parse(node.dataset.i18nVars) : {});
      }
    });
    each(root, "[data-i18n-zh]", function (node) {
      node.textContent = current === "en" ? (node.dataset.i18nEn || node.dataset.i18nZh) : node.dataset.i18nZh;
    });
    ATTRIBUTES.forEach(function (attr) {
      each(root, "[data-i18n-" + attr + "]", function (node) {
        var key = node.getAttribute("data-i18n-" + attr);
        if (catalogue[key]) { node.setAttribute(attr, t(key)); }
      });
    });
  }
  /** Call `fn()` after every change of language (once the page's own texts are re-rendered). */
  function onChange(fn) { listeners.push(fn); }

  function choose(next) {
    current = next;
    Ecomap.storage("ecomap.lang", current);
    var url = new URL(window.location.href);
    if (url.searchParams.has("lang")) {   // the address should not switch the language back on reload
      url.searchParams.set("lang", current);
      try { window.history.replaceState(null, "", url.toString()); } catch (e) { /* a file:// copy may refuse */ }
    }
    apply(document);
    listeners.forEach(function (fn) { fn(); });
  }
  var toggle = Ecomap.dom.$("lang-toggle");
  if (toggle) { toggle.addEventListener("click", function () { choose(current === "en" ? "zh" : "en"); }); }

  // set(lang): switch the language as the header toggle does (saved views and stories use it)
  Ecomap.i18n = { lang: lang, t: t, onChange: onChange, apply: apply, set: choose };
  apply(document);
})();
