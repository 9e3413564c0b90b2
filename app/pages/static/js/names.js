/* 创新生态云图 — what things are called in the reader's language: node and relationship types, 六新
 * categories, properties (from the ontology the page embeds) and the entities themselves.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, util = Ecomap.util, i18n = Ecomap.i18n;

  function en() { return i18n.lang() === "en"; }
  function type(label) { var x = S.types[label]; return x ? (en() ? x.en : x.zh) : (label || i18n.t("map.type_unknown")); }
  function rel(name) { var x = S.rels[name]; return x ? (en() ? x.en : x.zh) : name; }
  function liuxin(c) { var x = S.liuxin[c]; return x && en() ? x.en : c; }
  /** The name of property `key` in the table `own` (a node or relationship type), else wherever the
   * ontology defines it; a key it does not know is humanised in English and marked as such in Chinese. */
  function propertyName(own, key) {
    var field = en() ? "props_en" : "props";
    if (own && own[field] && own[field][key]) { return own[field][key]; }
    var tables = S.ontology.node_types.concat(S.ontology.relationship_types);
    for (var i = 0; i < tables.length; i++) {
      if (tables[i][field] && tables[i][field][key]) { return tables[i][field][key]; }
    }
    if (en()) { var words = key.replace(/_/g, " ").trim(); return words.charAt(0).toUpperCase() + words.slice(1); }
    return i18n.t("map.prop.unknown", { key: key });
  }
  function prop(typeLabel, key) { return propertyName(S.types[typeLabel], key); }
  function relProp(relType, key) { return propertyName(S.rels[relType], key); }
  /** A region named in a `region` property, in the reader's language: the English name of the Region
   * node of that name when the map holds one. */
  function region(name) {
    if (!en()) { return name; }
    var found = null;
    S.records.forEach(function (rec) {
      var p = rec.properties || {};
      if (!found && rec.type === "Region" && p.name === name && p.name_en) { found = util.text(p.name_en); }
    });
    return found || name;
  }
  /** The name of an entity (English when chosen and recorded), else its id. */
  function node(id) {
    var rec = S.records.get(id);
    if (!rec) { var g = S.nodes.get(id); return g ? g.label : id; }
    var p = rec.properties || {};
    return util.text(en() && p.name_en ? p.name_en : (p.name !== undefined && p.name !== null ? p.name : rec.id));
  }
  // Shapes with the label inside grow with it: their labels are cut shorter.
  function nodeLabel(typeLabel, id) {
    var x = S.types[typeLabel];
    return util.shortLabel(node(id), x && Ecomap.style.INSIDE_LABEL[x.shape] ? 12 : 18);
  }

  Ecomap.names = { type: type, rel: rel, liuxin: liuxin, region: region, prop: prop, relProp: relProp, node: node,
                   nodeLabel: nodeLabel };
})();
