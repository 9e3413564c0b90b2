/* 创新生态云图 — what a record says, in the reader's language, for the details panel and the tooltips.
 *
 * Property names come from the ontology (Chinese, or English); a property recorded in both languages
 * (`note` / `note_en`, `description` / `description_en`, `name` / `name_en`) is one fact shown in the
 * reader's language — in the other one, marked as such, when only that one is recorded. Citations
 * (`source-id#section`) show the source's title and section title and link to the source's page
 * (`/sources/{id}/{section}`); a standalone file shows them as text, from the titles it carries.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, el = Ecomap.dom.el, util = Ecomap.util, i18n = Ecomap.i18n, names = Ecomap.names;

  var EN = "_en";
  var sources = {};    // source id -> {title, sections} as far as known
  var asked = {};      // source id -> Promise of its entry, once asked of the API

  function en() { return i18n.lang() === "en"; }
  function present(v) { return v !== null && v !== undefined && v !== ""; }

  /** The text of a bilingual fact in the reader's language: {text, other} (other: only the other language
   * has it), or null when neither is recorded. */
  function local(props, key) {
    var mine = en() ? props[key + EN] : props[key], theirs = en() ? props[key] : props[key + EN];
    if (present(mine)) { return { text: util.text(mine), other: false }; }
    if (present(theirs)) { return { text: util.text(theirs), other: true }; }
    return null;
  }
  /** An element with a bilingual fact, the other-language mark after it when that is what it shows. */
  function localElement(tag, attrs, fact) {
    return el(tag, attrs, fact.text, fact.other ? el("span", { class: "muted other-language", text: " " + i18n.t("map.fact.other_language") }) : null);
  }

  function formatValue(key, v) {
    if (v === true) { return i18n.t("map.value.yes"); }
    if (v === false) { return i18n.t("map.value.no"); }
    if (Array.isArray(v)) { return v.map(function (x) { return key === "liuxin" ? names.liuxin(util.text(x)) : formatValue(key, x); }).join(i18n.t("map.list_sep")); }
    if (key === "region" && typeof v === "string") { return names.region(v); }
    if (typeof v === "number") { return Number.isInteger(v) ? String(v) : String(parseFloat(v.toFixed(4))); }
    if (v !== null && typeof v === "object") { return JSON.stringify(v); }
    return util.text(v);
  }

  function knownKey(own, key) { return !!(own && own.props && own.props[key]); }
  /** The facts of `props` as rows {key, label, value, other, alt}: one row per fact (a `_en` twin is part
   * of its base's row), `omit` left out, in the ontology's order of `own` (a node or relationship type). */
  function rows(props, own, omit, label) {
    var keys = [];
    Object.keys(props).forEach(function (k) {
      var base = k.length > EN.length && k.slice(-EN.length) === EN ? k.slice(0, -EN.length) : null;
      var key = base !== null && (base in props || knownKey(own, base) || base === "name") ? base : k;
      if (keys.indexOf(key) < 0 && !(omit && omit.indexOf(key) >= 0)) { keys.push(key); }
    });
    var order = own && own.props ? Object.keys(own.props) : [];
    keys.sort(function (a, b) {
      var ia = order.indexOf(a), ib = order.indexOf(b);
      return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib) || (a < b ? -1 : 1);
    });
    return keys.map(function (k) {
      var row = { key: k, label: label(k), value: "", other: false, alt: null };
      if (k === "name") {   // a name is shown in both languages, the reader's first
        var zh = props.name, eng = props.name_en;
        row.value = util.text(en() && present(eng) ? eng : (present(zh) ? zh : eng));
        var alt = en() ? zh : eng;
        row.alt = present(alt) && util.text(alt) !== row.value ? util.text(alt) : null;
      } else if ((k + EN) in props || (knownKey(own, k + EN) && typeof props[k] === "string")) {
        var fact = local(props, k);
        row.value = fact ? fact.text : "";
        row.other = fact ? fact.other : false;
      } else {
        row.value = formatValue(k, props[k]);
      }
      return row;
    });
  }
  /** The rows as a <dt>/<dd> list. */
  function rowsList(list, attrs) {
    var dl = el("dl", attrs);
    list.forEach(function (r) {
      dl.appendChild(el("dt", { text: r.label, "data-key": r.key }));
      dl.appendChild(el("dd", null, r.value,
                        r.other ? el("span", { class: "muted other-language", text: " " + i18n.t("map.fact.other_language") }) : null,
                        r.alt ? el("div", { class: "muted alt-name", text: r.alt }) : null));
    });
    return dl;
  }

  // -- citations ---------------------------------------------------------------------------------------
  function parse(citation) {
    var c = util.text(citation), i = c.indexOf("#");
    return { id: i < 0 ? c : c.slice(0, i), section: i < 0 || i === c.length - 1 ? null : c.slice(i + 1), text: c };
  }
  function sourceInfo(id) {
    if (S.standalone && S.offline.sources[id]) { return S.offline.sources[id]; }
    return sources[id] || {};
  }
  function sectionTitle(info, section) {
    if (section === null || !/^\d+$/.test(section) || !Array.isArray(info.sections)) { return null; }
    return info.sections[parseInt(section, 10)] || null;
  }
  /** Remember the titles the details API resolved (its `provenance`). */
  function learn(provenance) {
    (provenance || []).forEach(function (p) {
      var entry = sources[p.source_id] = sources[p.source_id] || { title: null, sections: [] };
      if (p.title) { entry.title = p.title; }
      if (p.section !== null && p.section !== undefined && /^\d+$/.test(String(p.section)) && p.section_title) {
        entry.sections[parseInt(p.section, 10)] = p.section_title;
      }
    });
  }
  /** Ask the API for the titles of sources not known yet; a Promise, true when something was learnt. */
  function resolve(citations) {
    if (S.standalone) { return Promise.resolve(false); }
    var wanted = [];
    util.asList(citations).forEach(function (c) {
      var id = parse(c).id;
      if (id && !(sources[id] && sources[id].title) && !asked[id] && wanted.indexOf(id) < 0) { wanted.push(id); }
    });
    if (!wanted.length) { return Promise.resolve(false); }
    return Promise.all(wanted.map(function (id) {
      asked[id] = Ecomap.api.get("/api/entities/" + encodeURIComponent(id)).then(function (d) {
        var p = (d.node && d.node.properties) || {};
        sources[id] = { title: p.title || p.name || null, sections: Array.isArray(p.sections) ? p.sections.slice() : [] };
      }).catch(function () { /* an unknown source keeps its id as its name */ });
      return asked[id];
    })).then(function () { return true; });
  }
  /** The URL of a citation's source page. */
  function href(c) {
    return "/sources/" + encodeURIComponent(c.id) + (c.section !== null ? "/" + encodeURIComponent(c.section) : "");
  }
  /** One citation: the source's title and section (a link to its page when served), its id in small print. */
  function citation(raw, tag) {
    var c = parse(raw), info = sourceInfo(c.id);
    var section = c.section === null ? "" : "§" + c.section;
    var st = sectionTitle(info, c.section);
    var label = (info.title || c.id) + (section ? " · " + section + (st ? " " + st : "") : "");
    var main = S.standalone ? el("span", { class: "citation", text: label })
      : el("a", { class: "citation", href: href(c), title: i18n.t("map.citation.open"), text: label });
    return el(tag || "span", { class: "cite", "data-citation": c.text }, main, el("small", { class: "muted cite-id", text: " " + c.text }));
  }

  Ecomap.facts = { local: local, localElement: localElement, formatValue: formatValue, rows: rows, rowsList: rowsList,
                   citation: citation, learn: learn, resolve: resolve, parse: parse };
})();
