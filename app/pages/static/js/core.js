/* 创新生态云图 — the ground every page script stands on: the `Ecomap` namespace, DOM helpers, storage and
 * the API client.
 *
 * Data go into the DOM only through textContent and attribute setters (`Ecomap.dom.el`): names are data,
 * and data are never markup. Each later script adds one part of the page to `window.Ecomap`; the map's
 * start-up (js/main.js) ties them together and publishes `window.ecomap` for tests and scripts.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap = window.Ecomap || {};

  function text(v) { return v === null || v === undefined ? "" : String(v); }
  function asList(v) { return v === null || v === undefined ? [] : (Array.isArray(v) ? v.map(text) : [text(v)]); }
  /** Fill `{name}` placeholders (the catalogue's syntax); a missing value is left empty, never "undefined". */
  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? text(vars[k]) : ""; }); }
  function shortLabel(s, max) { max = max || 18; return s.length > max ? s.slice(0, max - 1) + "…" : s; }
  function shade(hex, f) {
    var n = parseInt(hex.slice(1), 16), r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    var m = function (c) { return Math.max(0, Math.min(255, Math.round(f < 0 ? c * (1 + f) : c + (255 - c) * f))); };
    return "#" + ((1 << 24) + (m(r) << 16) + (m(g) << 8) + m(b)).toString(16).slice(1);
  }
  function light(hex) {
    var n = parseInt(hex.slice(1), 16);
    return 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 165;
  }

  function $(id) { return document.getElementById(id); }
  function readJSON(id) { var node = $(id); return node ? JSON.parse(node.textContent) : null; }
  /** An element; `attrs.text` becomes its textContent, `attrs.class` its class, `attrs.onX` a listener. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") { node.textContent = text(attrs[k]); }
        else if (k === "class") { node.className = attrs[k]; }
        else if (k.slice(0, 2) === "on") { node.addEventListener(k.slice(2), attrs[k]); }
        else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) { node.setAttribute(k, attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) { continue; }
      if (Array.isArray(c)) { c.forEach(function (x) { if (x) { node.appendChild(x); } }); continue; }
      node.appendChild(typeof c === "object" ? c : document.createTextNode(text(c)));
    }
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  /** Read (`value` omitted) or write localStorage; file:// or private mode may have none, which is fine. */
  function storage(key, value) {
    try {
      if (value === undefined) { return window.localStorage.getItem(key); }
      window.localStorage.setItem(key, value);
    } catch (e) { /* no storage: nothing is remembered */ }
    return null;
  }

  /** Request headers with the stored API key, when there is one. */
  function headers(extra) {
    var out = Object.assign({ Accept: "application/json" }, extra || {});
    var key = storage("ecomap.apiKey");
    if (key) { out["X-API-Key"] = key; }
    return out;
  }
  /** GET an API path: a Promise of its JSON, rejected with the API's own error message. */
  function get(path) {
    return fetch(path, { headers: headers() }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (!resp.ok) { throw new Error((body.error && body.error.message) || resp.status + " " + resp.statusText); }
        return body;
      });
    });
  }

  Ecomap.util = { text: text, asList: asList, fmt: fmt, shortLabel: shortLabel, shade: shade, light: light };
  Ecomap.dom = { $: $, el: el, svg: svg, readJSON: readJSON };
  Ecomap.storage = storage;
  Ecomap.api = { get: get, headers: headers };
})();
