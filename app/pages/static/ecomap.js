/* 创新生态云图 — the map pages.
 *
 * Data arrive as JSON in <script type="application/json"> elements (the API's graph JSON plus what the
 * map needs) and go into the DOM only through textContent and attribute setters: names are data, and
 * data are never markup. vis-network tooltips (`title`) are HTML, so the map does not use them; it
 * shows its own tooltip element filled with text.
 *
 * A served page asks the API for search, details and expansion. A standalone file (no server) carries
 * the facts it needs in #ecomap-offline and makes no request at all.
 *
 * Tests and scripts read the state through window.ecomap.
 */
(function () {
  "use strict";

  var LIUXIN_COLORS = { "新基建": "#1d4ed8", "新技术": "#0e7490", "新材料": "#7c3aed",
                        "新装备": "#b45309", "新产品": "#be123c", "新业态": "#15803d" };
  var LIUXIN_SHORT = { "新基建": "基", "新技术": "技", "新材料": "材", "新装备": "装", "新产品": "品", "新业态": "业" };
  var NONE = "\u0000none";
  var EXPAND_LIMIT = 200;
  var STABILIZE_ITERATIONS = 250;
  var STABILIZE_MS = 2000;
  var BIG_EDGES = 2500;   // above this many relationships the map draws them itself (see drawEdges)
  var LAZY_LABELS = 1000;     // views with more nodes (laid out on the server) get labels when zoomed in:
  var LABEL_SCALE = 0.3;      // ... the most important ones from here (12-18 px × 0.3 ≈ vis' drawThreshold 5)
  var LABELLED_FIRST = 150;   // ... that many of them
  var LABEL_ALL_SCALE = 1.5;  // ... and all of them from here (and always the ones looked at)
  var EDGE_HIT_PX = 5;    // how close the pointer must be to a self-drawn relationship to hover it
  var SEARCH_DELAY_MS = 180;
  var INSIDE_LABEL = { box: 1, ellipse: 1, database: 1, circle: 1, text: 1 };
  var FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  var TEXT = {
    zh: {
      type: "类型", liuxin: "六新", region: "地区", rel: "关系类型", depth: "深度",
      none: "（未注明）", noLiuxin: "（无分类）", all: "全部", hops: "跳以内",
      depthFrom: "距「{name}」", depthNoCentre: "先搜索或点“设为中心”选一个中心节点",
      badges: "六新标记", synthetic: "合成数据（非来源所述）", edge: "关系（悬停显示类型）",
      ghost: "缺失的支撑角色（补链）",
      properties: "属性", provenance: "来源", noProvenance: "没有记录来源。", neighbours: "图中的邻居",
      apiJson: "API JSON", neighboursJson: "邻居 JSON", expand: "展开邻居", focusPage: "以此为中心",
      clusterPage: "集群生态与补链", setCentre: "设为中心", more: "还有 {n} 个",
      expanded: "已展开「{name}」：新增 {n} 个节点", expandedCut: "（接口只返回前 {limit} 个邻居）",
      hiddenByFilter: "其中 {n} 个被筛选隐藏", offlineNoExpand: "离线副本不能展开邻居。",
      loadFailed: "加载失败：{msg}", noHits: "没有找到", inView: "在图中",
      noteCut: "图中显示{by}最高的 {shown} 个节点（共 {total} 个）。用搜索或双击节点展开更多；在地址后加 ?limit=N（最多 10000）可显示更多。",
      byImportance: "重要度", byDegree: "连接数",
      noteAll: "显示全部 {shown} 个节点、{rels} 条关系。", noteHidden: "来源文献不作为节点显示，见详情中的“来源”。",
      noteEntity: "「{name}」{depth} 跳以内的 {shown} 个节点、{rels} 条关系。",
      noteCluster: "集群生态：{shown} 个节点、{rels} 条关系。", noteQuery: "查询结果中的 {shown} 个节点、{rels} 条关系。",
      noteExport: "导出的视图：{shown} 个节点、{rels} 条关系。",
      truncated: "结果已被上限截断。", noteEmpty: "图中没有节点。可用 ecomap load 导入数据（或 ecomap load --dataset shanxi 导入精选数据集）。", viewJson: "本视图的 JSON",
      drawing: "正在绘制 {n} 个节点…", layoutServer: "布局已在服务器上计算",
      score: "完整度", roles: "支撑角色", links: "产业链环节", present: "已有", missing: "缺失",
      gap: "空白", fragile: "仅一家", ok: "正常", gapsNone: "暂无补链分析（分析接口不可用）。",
      enterprises: "企业", noLinks: "（未记录产业链环节）", yes: "是", no: "否",
      clickHint: "单击查看详情 · 双击展开邻居", exported: "已导出", exportFailed: "导出失败：{msg}",
      nodeCount: "{n} 个节点", colourBy: "着色", colourType: "按类型", colourCommunity: "按社区", community: "社区 {n}", synth: "合成数据", typeUnknown: "（未知类型）"
    },
    en: {
      type: "Type", liuxin: "六新 category", region: "Region", rel: "Relationship type", depth: "Depth",
      none: "(not stated)", noLiuxin: "(none)", all: "All", hops: "hops or fewer",
      depthFrom: "from “{name}”", depthNoCentre: "Search, or use “Set as centre”, to pick a centre node first",
      badges: "六新 badges", synthetic: "Synthetic (not from a source)", edge: "Relationship (hover for its type)",
      ghost: "Missing supporting role (gap)",
      properties: "Properties", provenance: "Sources", noProvenance: "No source recorded.", neighbours: "Neighbours in the map",
      apiJson: "API JSON", neighboursJson: "Neighbours JSON", expand: "Expand neighbours", focusPage: "Centre on it",
      clusterPage: "Cluster ecosystem and gaps", setCentre: "Set as centre", more: "{n} more",
      expanded: "Expanded “{name}”: {n} new nodes", expandedCut: " (the API returned the first {limit} neighbours only)",
      hiddenByFilter: "{n} of them hidden by filters", offlineNoExpand: "An offline copy cannot expand neighbours.",
      loadFailed: "Loading failed: {msg}", noHits: "Nothing found", inView: "in map",
      noteCut: "Showing the {shown} nodes with the highest {by} (of {total}). Search or double-click a node to expand; add ?limit=N (at most 10000) to the address to show more.",
      byImportance: "importance", byDegree: "degree",
      noteAll: "All {shown} nodes and {rels} relationships.", noteHidden: "Source documents are not drawn as nodes; see “Sources” in the details.",
      noteEntity: "{shown} nodes and {rels} relationships within {depth} hops of “{name}”.",
      noteCluster: "Cluster ecosystem: {shown} nodes, {rels} relationships.", noteQuery: "{shown} nodes and {rels} relationships from the query result.",
      noteExport: "Exported view: {shown} nodes, {rels} relationships.",
      truncated: "The result was cut at a limit.", noteEmpty: "Nothing to draw. Load data with ecomap load (or ecomap load --dataset shanxi for the curated dataset).", viewJson: "JSON of this view",
      drawing: "Drawing {n} nodes…", layoutServer: "layout computed on the server",
      score: "Completeness", roles: "Supporting roles", links: "Chain links", present: "present", missing: "missing",
      gap: "gap", fragile: "single firm", ok: "ok", gapsNone: "No gap analysis (the analytics endpoint is not available).",
      enterprises: "enterprises", noLinks: "(no chain links recorded)", yes: "yes", no: "no",
      clickHint: "Click for details · double-click to expand", exported: "Exported", exportFailed: "Export failed: {msg}",
      nodeCount: "{n} nodes", colourBy: "Colour", colourType: "by type", colourCommunity: "by community", community: "Community {n}", synth: "synthetic", typeUnknown: "(unknown type)"
    }
  };

  // -- small helpers -------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function readJSON(id) { var el = $(id); return el ? JSON.parse(el.textContent) : null; }
  function text(v) { return v === null || v === undefined ? "" : String(v); }
  function asList(v) { return v === null || v === undefined ? [] : (Array.isArray(v) ? v.map(text) : [text(v)]); }
  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? text(vars[k]) : ""; }); }
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
      if (Array.isArray(c)) { c.forEach(function (x) { node.appendChild(x); }); continue; }
      node.appendChild(typeof c === "object" ? c : document.createTextNode(text(c)));
    }
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function shade(hex, f) {
    var n = parseInt(hex.slice(1), 16), r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    var m = function (c) { return Math.max(0, Math.min(255, Math.round(f < 0 ? c * (1 + f) : c + (255 - c) * f))); };
    return "#" + ((1 << 24) + (m(r) << 16) + (m(g) << 8) + m(b)).toString(16).slice(1);
  }
  function light(hex) {
    var n = parseInt(hex.slice(1), 16);
    return 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 165;
  }
  function storage(key, value) {
    try {
      if (value === undefined) { return window.localStorage.getItem(key); }
      window.localStorage.setItem(key, value);
    } catch (e) { /* file:// or private mode: no storage, no problem */ }
    return null;
  }

  // -- language ------------------------------------------------------------------------------------------
  var params = new URLSearchParams(window.location.search);
  var lang = params.get("lang") === "en" || params.get("lang") === "zh" ? params.get("lang") : (storage("ecomap.lang") || "zh");
  function t(key, vars) { return fmt((TEXT[lang] && TEXT[lang][key]) || TEXT.zh[key] || key, vars); }
  var langListeners = [];

  function applyStaticLanguage() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.documentElement.setAttribute("data-lang", lang);
    document.querySelectorAll("[data-en]").forEach(function (node) {
      if (node.dataset.zh === undefined) { node.dataset.zh = node.textContent; }
      node.textContent = lang === "en" ? node.dataset.en : node.dataset.zh;
    });
    document.querySelectorAll("[data-en-placeholder]").forEach(function (node) {
      if (node.dataset.zhPlaceholder === undefined) { node.dataset.zhPlaceholder = node.placeholder; }
      node.placeholder = lang === "en" ? node.dataset.enPlaceholder : node.dataset.zhPlaceholder;
    });
    var catalogue = readJSON("ecomap-i18n") || {};
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      var entry = catalogue[node.dataset.i18n];
      if (entry) { node.textContent = fmt(entry[lang] || entry.zh, node.dataset.i18nVars ? JSON.parse(node.dataset.i18nVars) : {}); }
    });
    document.querySelectorAll("[data-i18n-zh]").forEach(function (node) {
      node.textContent = lang === "en" ? node.dataset.i18nEn : node.dataset.i18nZh;
    });
    ["placeholder", "title", "aria-label"].forEach(function (attr) {
      document.querySelectorAll("[data-i18n-" + attr + "]").forEach(function (node) {
        var entry = catalogue[node.getAttribute("data-i18n-" + attr)];
        if (entry) { node.setAttribute(attr, entry[lang] || entry.zh); }
      });
    });
  }
  function setLanguage(next) {
    lang = next;
    storage("ecomap.lang", lang);
    applyStaticLanguage();
    langListeners.forEach(function (f) { f(); });
  }
  var toggleButton = $("lang-toggle");
  if (toggleButton) { toggleButton.addEventListener("click", function () { setLanguage(lang === "en" ? "zh" : "en"); }); }
  applyStaticLanguage();

  // -- the map -------------------------------------------------------------------------------------------
  var timings = { start: performance.now() };
  var VIEW = readJSON("ecomap-view");
  timings.parsed = performance.now();
  var container = $("map");
  if (!VIEW || !container || typeof vis === "undefined") { return; }
  var ONT = readJSON("ecomap-ontology");
  var OFFLINE = readJSON("ecomap-offline");
  var STANDALONE = !!OFFLINE;

  var TYPES = {}, RELS = {}, LIUXIN = {};
  ONT.node_types.forEach(function (x) { TYPES[x.label] = x; });
  ONT.relationship_types.forEach(function (x) { RELS[x.name] = x; });
  ONT.liuxin.forEach(function (x) { LIUXIN[x.name] = x; });

  function typeName(label) { var x = TYPES[label]; return x ? (lang === "en" ? x.en : x.zh) : (label || t("typeUnknown")); }
  function relName(name) { var x = RELS[name]; return x ? (lang === "en" ? x.en : x.zh) : name; }
  function liuxinName(c) { var x = LIUXIN[c]; return x && lang === "en" ? x.en : c; }
  function propName(type, key) {
    if (lang === "en") { return key; }
    var x = TYPES[type];
    return (x && x.props[key]) || key;
  }

  var records = new Map();      // node id -> API node JSON
  var relRecords = new Map();   // edge id -> API relationship JSON
  var adjacency = new Map();    // node id -> Set of edge ids
  var ghosts = new Set();       // ids of the 补链 placeholders (not entities)
  var linkStatus = new Map();   // chain-link id -> gap | fragile | ok
  var nodes = new vis.DataSet();
  var edges = new vis.DataSet();
  var centre = VIEW.center || null;

  function edgeId(r) { return r.start + "|" + r.type + "|" + r.end; }
  function nameOf(id) {
    var rec = records.get(id);
    if (!rec) { var g = nodes.get(id); return g ? g.label : id; }
    var p = rec.properties || {};
    return text(lang === "en" && p.name_en ? p.name_en : (p.name !== undefined && p.name !== null ? p.name : rec.id));
  }
  function shortLabel(s, max) { max = max || 18; return s.length > max ? s.slice(0, max - 1) + "…" : s; }
  // Shapes with the label inside grow with it: their labels are cut shorter.
  function nodeLabel(type, id) { var x = TYPES[type]; return shortLabel(nameOf(id), x && INSIDE_LABEL[x.shape] ? 12 : 18); }

  // Type styles are vis "groups", defined once; a node carries only what differs from its type.
  function groupStyle(style) {
    var inside = INSIDE_LABEL[style.shape] === 1;
    // vis sizes a database shape as a square as wide as its label: wrap the label instead.
    var wrap = style.shape === "database" ? { widthConstraint: { maximum: 64 } } : {};
    return Object.assign(wrap, { shape: style.shape,
             color: { background: style.color, border: shade(style.color, -0.35),
                      highlight: { background: shade(style.color, 0.25), border: "#102a43" },
                      hover: { background: shade(style.color, 0.15), border: "#102a43" } },
             font: inside ? { color: "#ffffff", strokeWidth: 0 } : { color: "#1f2933", strokeWidth: 3, strokeColor: "#ffffff" } });
  }
  var GROUPS = { _unknown: groupStyle({ color: "#9aa5b1", shape: "dot" }) };
  ONT.node_types.forEach(function (x) { GROUPS[x.label] = groupStyle(x); });

  function visNode(rec, pos) {
    var p = rec.properties || {};
    var status = linkStatus.get(rec.id);
    var item = {
      id: rec.id, label: labelFor(rec.type, rec.id), group: TYPES[rec.type] ? rec.type : "_unknown",
      kind: rec.type || "", liuxin: asList(p.liuxin), region: text(p.region),
      importance: typeof p.importance === "number" ? p.importance : null, synthetic: p.synthetic === true,
      community: typeof p.community === "number" ? p.community : null
    };
    if (colourBy === "community" || status === "gap" || status === "fragile") { item.color = nodeColour(item); }
    if (status === "gap" || status === "fragile") {
      item.borderWidth = 4;
      if (status === "gap") { item.shapeProperties = { borderDashes: [5, 4] }; }
    } else if (item.synthetic && !big) {
      item.borderWidth = 2;
      item.shapeProperties = { borderDashes: [5, 4] };
    }
    if (pos) { item.x = pos[0]; item.y = pos[1]; }
    return item;
  }
  // Colour by type (the ontology's colours) or, when analytics wrote communities back, by community.
  var COMMUNITY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                           "#17becf", "#bcbd22", "#393b79", "#ad494a", "#637939"];
  var colourBy = "type";
  function communityColour(c) { return c === null ? "#c4cdd5" : COMMUNITY_COLOURS[c % COMMUNITY_COLOURS.length]; }
  function nodeColour(item) {
    var base = colourBy === "community" ? communityColour(item.community) : GROUPS[item.group].color.background;
    var status = linkStatus.get(item.id);
    return { background: base,
             border: status === "gap" ? "#d62828" : status === "fragile" ? "#f77f00" : shade(base, -0.35),
             highlight: { background: shade(base, 0.25), border: "#102a43" },
             hover: { background: shade(base, 0.15), border: "#102a43" } };
  }
  function setColourBy(mode) {
    colourBy = mode;
    nodes.update(nodes.get({ filter: function (n) { return records.has(n.id); } })
      .map(function (n) { return { id: n.id, color: nodeColour(n) }; }));
    buildLegend();
  }

  // Dashes and arrow heads each cost about a second per frame at 20,000 edges: a view with many
  // relationships draws plain lines; the tooltip gives each one's direction and whether it is synthetic.
  function visEdge(r) {
    var item = { id: edgeId(r), from: r.start, to: r.end, kind: r.type };
    if (!big && r.properties && r.properties.synthetic === true) { item.dashes = [4, 4]; }
    return item;
  }

  /** Add graph JSON; return the ids of the nodes and edges that were new. */
  function addGraph(graph, positions) {
    var newNodes = [], newEdges = [];
    (graph.nodes || []).forEach(function (rec) {
      if (records.has(rec.id)) { return; }
      if (ghosts.has(rec.id)) { removeGhost(rec.id); }
      records.set(rec.id, rec);
      newNodes.push(visNode(rec, positions && positions[rec.id]));
    });
    (graph.relationships || []).forEach(function (r) {
      var id = edgeId(r);
      if (relRecords.has(id) || !records.has(r.start) || !records.has(r.end)) { return; }
      relRecords.set(id, r);
      [r.start, r.end].forEach(function (n) {
        if (!adjacency.has(n)) { adjacency.set(n, new Set()); }
        adjacency.get(n).add(id);
      });
      newEdges.push(visEdge(r));
    });
    sizeNodes(newNodes);
    nodes.add(newNodes);
    edges.add(newEdges);
    if (newNodes.length) { resizeAll(newNodes); }
    return { nodes: newNodes.map(function (n) { return n.id; }), edges: newEdges.map(function (e) { return e.id; }) };
  }

  // Size by importance (written back by analytics) when the view has it, else by degree in the view.
  var useImportance = false;
  function nodeValue(id) {
    if (useImportance) { var rec = records.get(id); var v = rec && rec.properties && rec.properties.importance; return typeof v === "number" ? v : 0; }
    var a = adjacency.get(id); return a ? a.size : 0;
  }
  function sizeNodes(items) {
    items.forEach(function (n) { if (!ghosts.has(n.id)) { n.value = nodeValue(n.id); } });
  }
  function resizeAll(skip) {
    var fresh = new Set(skip.map(function (n) { return n.id; }));
    var touched = new Set();
    skip.forEach(function (n) { (adjacency.get(n.id) || new Set()).forEach(function (e) {
      var r = relRecords.get(e); touched.add(r.start); touched.add(r.end); }); });
    var updates = [];
    touched.forEach(function (id) { if (!fresh.has(id) && records.has(id)) { updates.push({ id: id, value: nodeValue(id) }); } });
    if (updates.length) { nodes.update(updates); }
  }

  // -- filters -------------------------------------------------------------------------------------------
  var hidden = { type: new Set(), liuxin: new Set(), region: new Set(), rel: new Set() };
  var depthLimit = 0;
  var inDepth = null;   // Set of ids within depthLimit of the centre, or null for no depth filter

  function passesAttributes(n) {
    if (ghosts.has(n.id)) { return true; }
    if (hidden.type.has(n.kind)) { return false; }
    if (hidden.liuxin.size) {
      if (n.liuxin.length ? n.liuxin.every(function (c) { return hidden.liuxin.has(c); }) : hidden.liuxin.has(NONE)) { return false; }
    }
    if (hidden.region.has(n.region || NONE)) { return false; }
    return true;
  }
  function computeDepth() {
    inDepth = null;
    if (!depthLimit || !centre || !nodes.get(centre)) { return; }
    var seen = new Set([centre]), frontier = [centre];
    for (var d = 0; d < depthLimit && frontier.length; d++) {
      var next = [];
      frontier.forEach(function (id) {
        (adjacency.get(id) || new Set()).forEach(function (eid) {
          var r = relRecords.get(eid);
          if (hidden.rel.has(r.type)) { return; }
          var other = r.start === id ? r.end : r.start;
          if (seen.has(other)) { return; }
          var n = nodes.get(other);
          if (!n || !passesAttributes(n)) { return; }
          seen.add(other); next.push(other);
        });
      });
      frontier = next;
    }
    ghosts.forEach(function (g) { seen.add(g); });
    inDepth = seen;
  }
  var visibleNode = function (n) { return passesAttributes(n) && (!inDepth || inDepth.has(n.id)); };
  var nodeView = new vis.DataView(nodes, { filter: visibleNode });
  var edgeView = new vis.DataView(edges, { filter: function (e) {
    if (hidden.rel.has(e.kind)) { return false; }
    var a = nodes.get(e.from), b = nodes.get(e.to);
    return !!a && !!b && visibleNode(a) && visibleNode(b);
  } });
  // Large views: vis-network spends about 0.1 ms building each edge object (20,000 edges: 2 s), so
  // the map hands it only the nodes and draws the visible relationships itself, as plain lines under
  // the nodes, with its own hover and highlight. Small views let vis-network draw and hover them.
  var drawnEdges = [];   // visible relationships when the map draws them: {id, from, to}
  function refreshDrawnEdges() {
    if (customEdges) { drawnEdges = edgeView.get({ fields: ["id", "from", "to"] }); }
  }
  function applyFilters() {
    computeDepth();
    nodeView.refresh();
    edgeView.refresh();
    refreshDrawnEdges();
    if (customEdges && network) { network.redraw(); }
    updateCounts();
  }

  function countBy(fn) {
    var counts = new Map();
    nodes.forEach(function (n) {
      if (ghosts.has(n.id)) { return; }
      fn(n).forEach(function (k) { counts.set(k, (counts.get(k) || 0) + 1); });
    });
    return counts;
  }
  function checkboxList(group, entries, label) {
    var box = el("div", { class: entries.length > 8 ? "scroll" : "" });
    entries.forEach(function (entry) {
      var input = el("input", { type: "checkbox", "data-filter": group, value: entry[0] });
      input.checked = !hidden[group].has(entry[0]);
      input.addEventListener("change", function () {
        if (input.checked) { hidden[group].delete(entry[0]); } else { hidden[group].add(entry[0]); }
        applyFilters();
      });
      box.appendChild(el("label", null, input, el("span", { text: label(entry[0]) }), el("span", { class: "count", text: entry[1] })));
    });
    return box;
  }
  function buildFilters() {
    var root = $("filters");
    if (!root) { return; }
    var typeCounts = countBy(function (n) { return [n.kind]; });
    var liuxinCounts = countBy(function (n) { return n.liuxin.length ? n.liuxin : [NONE]; });
    var regionCounts = countBy(function (n) { return [n.region || NONE]; });
    var relCounts = new Map();
    relRecords.forEach(function (r) { relCounts.set(r.type, (relCounts.get(r.type) || 0) + 1); });
    var order = ONT.node_types.map(function (x) { return x.label; });
    var types = Array.from(typeCounts.entries()).sort(function (a, b) { return order.indexOf(a[0]) - order.indexOf(b[0]); });
    var lxOrder = ONT.liuxin.map(function (x) { return x.name; }).concat([NONE]);
    var lx = Array.from(liuxinCounts.entries()).sort(function (a, b) { return lxOrder.indexOf(a[0]) - lxOrder.indexOf(b[0]); });
    var regions = Array.from(regionCounts.entries()).sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
    var relOrder = ONT.relationship_types.map(function (x) { return x.name; });
    var rels = Array.from(relCounts.entries()).sort(function (a, b) { return relOrder.indexOf(a[0]) - relOrder.indexOf(b[0]); });

    var depthSelect = el("select", { id: "filter-depth", "data-filter": "depth" });
    [0, 1, 2, 3].forEach(function (d) {
      var o = el("option", { value: d, text: d ? d + " " + t("hops") : t("all") });
      if (d === depthLimit) { o.selected = true; }
      depthSelect.appendChild(o);
    });
    depthSelect.disabled = !centre;
    depthSelect.addEventListener("change", function () { depthLimit = parseInt(depthSelect.value, 10) || 0; applyFilters(); });
    var depthHint = el("small", { class: "muted", id: "depth-centre",
                                  text: centre ? t("depthFrom", { name: nameOf(centre) }) : t("depthNoCentre") });

    root.replaceChildren(
      el("fieldset", { id: "filter-type" }, el("legend", { text: t("type") }), checkboxList("type", types, typeName)),
      el("fieldset", { id: "filter-liuxin" }, el("legend", { text: t("liuxin") }),
         checkboxList("liuxin", lx, function (k) { return k === NONE ? t("noLiuxin") : liuxinName(k); })),
      el("fieldset", { id: "filter-region" }, el("legend", { text: t("region") }),
         checkboxList("region", regions, function (k) { return k === NONE ? t("none") : k; })),
      el("fieldset", { id: "filter-rel" }, el("legend", { text: t("rel") }), checkboxList("rel", rels, relName)),
      el("fieldset", { id: "filter-depth-box" }, el("legend", { text: t("depth") }), depthSelect, depthHint)
    );
  }
  function resetFilters() {
    Object.keys(hidden).forEach(function (k) { hidden[k].clear(); });
    depthLimit = 0;
    buildFilters();
    applyFilters();
  }
  var resetButton = $("filters-reset");
  if (resetButton) { resetButton.addEventListener("click", resetFilters); }

  // -- legend --------------------------------------------------------------------------------------------
  function shapeIcon(shape, color) {
    var svg = svgEl("svg", { width: 18, height: 14, viewBox: "0 0 18 14", "aria-hidden": "true" });
    var s;
    switch (shape) {
      case "box": s = svgEl("rect", { x: 1, y: 2, width: 16, height: 10, rx: 2 }); break;
      case "square": s = svgEl("rect", { x: 3, y: 1, width: 12, height: 12 }); break;
      case "ellipse": s = svgEl("ellipse", { cx: 9, cy: 7, rx: 8, ry: 5 }); break;
      case "diamond": s = svgEl("polygon", { points: "9,0 16,7 9,14 2,7" }); break;
      case "triangle": s = svgEl("polygon", { points: "9,1 16,13 2,13" }); break;
      case "hexagon": s = svgEl("polygon", { points: "5,1 13,1 17,7 13,13 5,13 1,7" }); break;
      case "star": s = svgEl("polygon", { points: "9,0 11,5 17,5 12,8.5 14,14 9,10.5 4,14 6,8.5 1,5 7,5" }); break;
      case "database": s = svgEl("path", { d: "M2,3 a7,2 0 0,1 14,0 v8 a7,2 0 0,1 -14,0 z" }); break;
      default: s = svgEl("circle", { cx: 9, cy: 7, r: 6 });
    }
    s.setAttribute("fill", color);
    s.setAttribute("stroke", shade(color, -0.35));
    svg.appendChild(s);
    return svg;
  }
  function buildLegend() {
    var root = $("legend");
    if (!root) { return; }
    var counts = countBy(function (n) { return [n.kind]; });
    var chooser = null;
    var communities = countBy(function (n) { return n.community === null ? [] : [n.community]; });
    if (communities.size) {
      var select = el("select", { id: "colour-by", "aria-label": t("colourBy") },
                      el("option", { value: "type", text: t("colourType") }), el("option", { value: "community", text: t("colourCommunity") }));
      select.value = colourBy;
      select.addEventListener("change", function () { setColourBy(select.value); });
      chooser = el("label", { class: "colour-by" }, el("span", { text: t("colourBy") }), select);
    }
    var list = el("ul", { id: "legend-types" });
    ONT.node_types.forEach(function (x) {
      if (!counts.has(x.label)) { return; }
      list.appendChild(el("li", { "data-type": x.label }, shapeIcon(x.shape, colourBy === "community" ? "#c4cdd5" : x.color), el("span", { text: typeName(x.label) }),
                          el("span", { class: "count", text: counts.get(x.label) })));
    });
    counts.forEach(function (n, label) {
      if (!TYPES[label]) { list.appendChild(el("li", { "data-type": label }, shapeIcon("dot", "#9aa5b1"), el("span", { text: typeName(label) }), el("span", { class: "count", text: n }))); }
    });
    var lx = countBy(function (n) { return n.liuxin; });
    var badges = el("ul", { id: "legend-liuxin" });
    ONT.liuxin.forEach(function (x) {
      if (lx.has(x.name)) { badges.appendChild(el("li", null, badge(x.name, true), el("span", { text: liuxinName(x.name) }), el("span", { class: "count", text: lx.get(x.name) }))); }
    });
    var extra = el("ul");
    extra.appendChild(el("li", null, el("span", { class: "legend-edge" }), el("span", { text: t("edge") })));
    var anySynthetic = false;
    nodes.forEach(function (n) { if (n.synthetic) { anySynthetic = true; } });
    if (anySynthetic) { extra.appendChild(el("li", null, el("span", { class: "badge synthetic", text: t("synth") }), el("span", { text: t("synthetic") }))); }
    if (ghosts.size) { extra.appendChild(el("li", null, el("span", { class: "badge gap", text: "缺" }), el("span", { text: t("ghost") }))); }
    var byCommunity = null;
    if (colourBy === "community") {
      byCommunity = el("ul", { id: "legend-communities" });
      Array.from(communities.entries()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; }).slice(0, 12).forEach(function (e) {
        byCommunity.appendChild(el("li", { "data-community": e[0] }, shapeIcon("dot", communityColour(e[0])),
                                   el("span", { text: t("community", { n: e[0] }) }), el("span", { class: "count", text: e[1] })));
      });
      if (communities.size > 12) { byCommunity.appendChild(el("li", { class: "muted", text: t("more", { n: communities.size - 12 }) })); }
    }
    root.replaceChildren.apply(root, [chooser, byCommunity, list, lx.size ? el("div", { class: "muted", text: t("badges") }) : null,
                                      lx.size ? badges : null, extra].filter(Boolean));
  }
  function badge(category, short) {
    return el("span", { class: "badge liuxin", style: "background:" + (LIUXIN_COLORS[category] || "#627d98"),
                        text: short ? LIUXIN_SHORT[category] || "?" : (LIUXIN_SHORT[category] || "") + " " + liuxinName(category) });
  }

  // -- the network -----------------------------------------------------------------------------------------
  var positions = VIEW.positions || null;
  var serverLayout = !!positions;
  var nodeCount = (VIEW.graph.nodes || []).length;
  var big = (VIEW.graph.relationships || []).length > BIG_EDGES;
  var customEdges = big;
  var network = null;
  // A large view opens zoomed out, where vis-network draws no labels (font × scale < drawThreshold)
  // yet still measures every one. It labels nothing at first, its most important nodes once zoomed in
  // far enough to read (a label on each of thousands of nodes is only a blur), and every node closer up.
  var labelTier = serverLayout && nodeCount > LAZY_LABELS ? 0 : 2;   // 0 none, 1 important, 2 all
  var labelled = null;   // tier 1: ids of the nodes that get a label
  function labelFor(type, id) {
    return labelTier === 2 || (labelTier === 1 && labelled.has(id)) ? nodeLabel(type, id) : "";
  }
  function mostImportant() {
    return new Set(Array.from(records.keys()).sort(function (a, b) { return nodeValue(b) - nodeValue(a); })
      .slice(0, LABELLED_FIRST));
  }
  function labelNode(id) {   // a node the user looks at is labelled whatever the zoom
    if (labelTier === 2 || !records.has(id)) { return; }
    labelled = labelled || mostImportant();
    labelled.add(id);
    if (labelTier === 0) { labelTier = 1; relabel(); } else { nodes.update({ id: id, label: labelFor(records.get(id).type, id) }); }
  }
  function relabel() {
    if (labelTier === 1 && labelled === null) { labelled = mostImportant(); }
    nodes.update(nodes.get({ filter: function (n) { return records.has(n.id); } })
      .map(function (n) { return { id: n.id, label: labelFor(n.kind, n.id) }; }));
  }
  function labelTierFor(scale) { return scale >= LABEL_ALL_SCALE ? 2 : scale >= LABEL_SCALE ? 1 : 0; }
  useImportance = (VIEW.graph.nodes || []).some(function (n) { return n.properties && typeof n.properties.importance === "number"; });
  var status = $("status");
  function setStatus(msg) { if (status) { status.textContent = msg || ""; } }

  setStatus(t("drawing", { n: nodeCount }));
  addGraph(VIEW.graph, positions);
  timings.data = performance.now();

  var options = {
    autoResize: true,
    groups: GROUPS,
    nodes: {
      font: { face: FONT, size: 14 },
      // Degrees grow a node step by step (a span of at least 12 links from smallest to largest), so
      // in a small view a node with two links is not drawn as big as the hub of a large one.
      scaling: { min: 10, max: 32, label: { enabled: true, min: 12, max: 18, drawThreshold: 5 },
                 customScalingFunction: function (min, max, total, value) {
                   if (max === min) { return 0.25; }
                   return (value - min) / (useImportance ? max - min : Math.max(max - min, 12));
                 } },
      borderWidth: 1
    },
    edges: { smooth: serverLayout || big ? false : { type: "continuous", roundness: 0.2 }, width: 1, selectionWidth: 2, hoverWidth: 0.5,
             color: { color: "#9fb3c8", highlight: "#334e68", hover: "#334e68" },
             arrows: { to: { enabled: !big, scaleFactor: 0.45 } } },
    layout: { improvedLayout: !serverLayout && nodeCount <= 100, randomSeed: 7 },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, multiselect: false, keyboard: false },
    physics: serverLayout ? { enabled: false } : {
      enabled: true, solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -45, centralGravity: 0.015, springLength: 80, springConstant: 0.08, avoidOverlap: 0.5 },
      stabilization: { enabled: true, iterations: STABILIZE_ITERATIONS, updateInterval: 25, fit: true },
      maxVelocity: 60, minVelocity: 0.8, timestep: 0.5
    }
  };
  network = new vis.Network(container, { nodes: nodeView, edges: customEdges ? new vis.DataSet() : edgeView }, options);
  refreshDrawnEdges();
  timings.network = performance.now();

  var api = {
    network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView, records: records,
    view: VIEW, options: options, standalone: STANDALONE, timings: timings, ready: false, readyAt: null, focused: null, lastExpansion: null,
    visibleNodeIds: function () { return nodeView.getIds().filter(function (id) { return !ghosts.has(id); }); },
    visibleEdgeIds: function () { return edgeView.getIds().filter(function (id) { return relRecords.has(id); }); },
    ghostIds: function () { return Array.from(ghosts); },
    selfDrawnEdges: function () { return customEdges ? drawnEdges.length : null; },
    physicsRunning: function () { return !!(network.physics && network.physics.physicsEnabled && !network.physics.stabilized); }
  };
  window.ecomap = api;

  function markReady() {
    if (api.ready) { return; }
    network.once("afterDrawing", function () {
      api.ready = true;
      api.readyAt = performance.now();
      document.body.setAttribute("data-map-ready", "1");
      setStatus(serverLayout ? t("nodeCount", { n: api.visibleNodeIds().length }) + " · " + t("layoutServer")
                             : t("nodeCount", { n: api.visibleNodeIds().length }));
    });
    network.redraw();
  }
  if (serverLayout) {
    markReady();
  } else {
    // Stabilise for at most STABILIZE_ITERATIONS steps or STABILIZE_MS, whichever comes first; then
    // physics stays off, so nothing keeps moving (or using the CPU) while the user reads.
    var settled = false;
    var settle = function () {
      if (settled) { return; }
      settled = true;
      clearTimeout(stopTimer);
      network.stopSimulation();
      network.setOptions({ physics: { enabled: false } });
      network.fit({ animation: false });
      markReady();
    };
    var stopTimer = setTimeout(settle, STABILIZE_MS);
    network.once("stabilizationIterationsDone", settle);
  }

  // White background, so an exported PNG is not transparent; then, in large views, the relationships.
  var hoveredEdge = null;
  network.on("beforeDrawing", function (ctx) {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.restore();
    if (customEdges) { drawEdges(ctx); }
  });
  function strokeEdges(ctx, list, colour, width) {
    var body = network.body.nodes;
    ctx.beginPath();
    for (var i = 0; i < list.length; i++) {
      var a = body[list[i].from], b = body[list[i].to];
      if (a && b) { ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); }
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  }
  function drawEdges(ctx) {
    // Like vis-network's hideEdgesOnDrag/hideEdgesOnZoom: keep panning and zooming fluid.
    if (network.renderer && (network.renderer.dragging || network.renderer.zooming)) { return; }
    ctx.save();
    var scale = network.getScale();
    strokeEdges(ctx, drawnEdges, "#9fb3c8", Math.max(1, 0.4 / scale));   // never thinner than 0.4 px on screen
    var strong = [];
    network.getSelectedNodes().forEach(function (id) {
      (adjacency.get(id) || new Set()).forEach(function (eid) { var e = edges.get(eid); if (e && !hidden.rel.has(e.kind)) { strong.push(e); } });
    });
    if (hoveredEdge) { var h = edges.get(hoveredEdge); if (h) { strong.push(h); } }
    if (strong.length) { strokeEdges(ctx, strong, "#334e68", Math.max(2, 1.5 / scale)); }
    ctx.restore();
  }
  function edgeNear(pointer) {
    var body = network.body.nodes, p = network.DOMtoCanvas(pointer), best = null;
    var limit = EDGE_HIT_PX / network.getScale(), bestD = limit * limit;
    for (var i = 0; i < drawnEdges.length; i++) {
      var a = body[drawnEdges[i].from], b = body[drawnEdges[i].to];
      if (!a || !b) { continue; }
      var dx = b.x - a.x, dy = b.y - a.y, len = dx * dx + dy * dy;
      var u = len ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len)) : 0;
      var ex = a.x + u * dx - p.x, ey = a.y + u * dy - p.y, d = ex * ex + ey * ey;
      if (d < bestD) { bestD = d; best = drawnEdges[i].id; }
    }
    return best;
  }
  // 六新 badges: small coloured discs with the category's character, drawn when zoomed in enough to read.
  network.on("afterDrawing", function (ctx) {
    var scale = network.getScale();
    if (labelTierFor(scale) > labelTier) { labelTier = labelTierFor(scale); setTimeout(relabel, 0); }
    if (scale < 0.45) { return; }
    var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
    var bottomRight = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    var body = network.body.nodes;
    var r = 7;
    ctx.save();
    ctx.font = "bold 9px " + FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    nodeView.forEach(function (n) {
      if (!n.liuxin.length) { return; }
      var b = body[n.id];
      if (!b || !b.shape || !b.shape.boundingBox) { return; }
      if (b.x < topLeft.x || b.x > bottomRight.x || b.y < topLeft.y || b.y > bottomRight.y) { return; }
      var box = b.shape.boundingBox;
      var top = b.shape.top !== undefined && INSIDE_LABEL[b.options.shape] ? b.shape.top : box.top;
      var right = INSIDE_LABEL[b.options.shape] ? b.x + b.shape.width / 2 : b.x + (b.shape.radius || b.options.size);
      n.liuxin.forEach(function (c, i) {
        var cx = right - i * (2 * r + 1), cy = top;
        ctx.beginPath();
        ctx.arc(cx, cy, r, 0, 2 * Math.PI);
        ctx.fillStyle = LIUXIN_COLORS[c] || "#627d98";
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
        ctx.fillStyle = "#ffffff";
        ctx.fillText(LIUXIN_SHORT[c] || "?", cx, cy + 0.5);
      });
    });
    ctx.restore();
  });

  // -- tooltip -------------------------------------------------------------------------------------------
  var tooltip = $("tooltip");
  var wrap = container.parentNode;
  function showTooltip(children, pointer) {
    tooltip.replaceChildren.apply(tooltip, children.filter(Boolean));
    tooltip.hidden = false;
    var x = pointer.DOM.x + 14, y = pointer.DOM.y + 14;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    if (x + w > wrap.clientWidth) { x = Math.max(0, pointer.DOM.x - w - 10); }
    if (y + h > wrap.clientHeight) { y = Math.max(0, pointer.DOM.y - h - 10); }
    tooltip.style.left = x + "px";
    tooltip.style.top = y + "px";
  }
  function hideTooltip() { tooltip.hidden = true; }
  network.on("hoverNode", function (p) {
    var n = nodes.get(p.node);
    if (!n) { return; }
    if (ghosts.has(n.id)) { showTooltip([el("div", { class: "tt-title", text: n.fullLabel || n.label }), el("div", { class: "tt-row", text: t("ghost") })], p.pointer); return; }
    var rec = records.get(n.id), props = rec.properties || {};
    var rows = [el("div", { class: "tt-title", text: nameOf(n.id) }),
                el("div", { class: "tt-row", text: typeName(n.kind) + (n.region ? " · " + n.region : "") })];
    if (lang !== "en" && props.name_en) { rows.push(el("div", { class: "tt-row", text: props.name_en })); }
    if (n.liuxin.length) { rows.push(el("div", null, n.liuxin.map(badge))); }
    if (n.synthetic) { rows.push(el("div", null, el("span", { class: "badge synthetic", text: t("synth") }))); }
    rows.push(el("div", { class: "tt-hint", text: t("clickHint") }));
    showTooltip(rows, p.pointer);
  });
  function showEdgeTooltip(id, pointer) {
    var r = relRecords.get(id);
    if (!r) { return; }
    var props = r.properties || {};
    var rows = [el("div", { class: "tt-title", text: relName(r.type) + (lang === "en" ? "" : " · " + r.type) }),
                el("div", { class: "tt-row", text: nameOf(r.start) + " → " + nameOf(r.end) })];
    ["role", "note", "weight"].forEach(function (k) {
      if (props[k] !== undefined && props[k] !== null) { rows.push(el("div", { class: "tt-row", text: propName(null, k) + "：" + text(props[k]) })); }
    });
    if (asList(props.sources).length) { rows.push(el("div", { class: "tt-row", text: t("provenance") + "：" + asList(props.sources).join("、") })); }
    if (props.synthetic === true) { rows.push(el("div", null, el("span", { class: "badge synthetic", text: t("synth") }))); }
    showTooltip(rows, pointer);
  }
  network.on("hoverEdge", function (p) { showEdgeTooltip(p.edge, p.pointer); });
  ["blurNode", "blurEdge", "dragStart", "zoom"].forEach(function (ev) { network.on(ev, hideTooltip); });
  if (customEdges) {
    var overNode = false, pointerAt = null, scheduled = false;
    network.on("hoverNode", function () { overNode = true; });
    network.on("blurNode", function () { overNode = false; });
    container.addEventListener("mousemove", function (ev) {
      var box = container.getBoundingClientRect();
      pointerAt = { x: ev.clientX - box.left, y: ev.clientY - box.top };
      if (scheduled) { return; }
      scheduled = true;
      requestAnimationFrame(function () {   // at most one search per frame
        scheduled = false;
        var id = overNode || network.renderer.dragging ? null : edgeNear(pointerAt);
        if (id !== hoveredEdge) { hoveredEdge = id; network.redraw(); }
        if (id) { showEdgeTooltip(id, { DOM: pointerAt }); } else if (!overNode) { hideTooltip(); }
      });
    });
    container.addEventListener("mouseleave", function () { if (hoveredEdge) { hoveredEdge = null; network.redraw(); } hideTooltip(); });
  }
  // Once the user has moved the picture, later additions do not re-fit it.
  ["dragEnd", "zoom"].forEach(function (ev) { network.on(ev, function () { api.moved = true; }); });

  // -- details panel -------------------------------------------------------------------------------------
  var details = $("details");
  var detailSeq = 0;

  function apiGet(path) {
    var headers = { Accept: "application/json" };
    var key = storage("ecomap.apiKey");
    if (key) { headers["X-API-Key"] = key; }
    return fetch(path, { headers: headers }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (!resp.ok) { throw new Error((body.error && body.error.message) || resp.status + " " + resp.statusText); }
        return body;
      });
    });
  }
  function offlineDetail(id) {
    var rec = records.get(id), props = rec.properties || {};
    var provenance = asList(props.sources).map(function (c) {
      var i = c.indexOf("#"), sid = i < 0 ? c : c.slice(0, i), section = i < 0 ? null : c.slice(i + 1);
      var src = OFFLINE.sources[sid] || {};
      var st = section !== null && /^\d+$/.test(section) && src.sections ? src.sections[parseInt(section, 10)] : null;
      return { source_id: sid, title: src.title || null, section: section, section_title: st || null, note: props.note || null };
    });
    return Promise.resolve({ node: rec, provenance: provenance, degree: [] });
  }
  function formatValue(v) {
    if (v === true) { return t("yes"); }
    if (v === false) { return t("no"); }
    if (Array.isArray(v)) { return v.map(text).join("、"); }
    if (v !== null && typeof v === "object") { return JSON.stringify(v); }
    return text(v);
  }
  function showDetails(id) {
    if (!details || !records.has(id)) { return; }
    var seq = ++detailSeq;
    api.detailsFor = null;
    var load = STANDALONE ? offlineDetail(id) : apiGet("/api/entities/" + encodeURIComponent(id));
    load.then(function (d) {
      if (seq !== detailSeq) { return; }
      renderDetails(id, d);
    }).catch(function (err) {
      if (seq !== detailSeq) { return; }
      renderDetails(id, { node: records.get(id), provenance: null, degree: [], error: err.message });
    });
  }
  function renderDetails(id, d) {
    var rec = d.node || records.get(id), props = rec.properties || {};
    var head = [el("h3", { id: "details-name", text: nameOf(id) })];
    var sub = lang === "en" ? props.name : props.name_en;
    if (sub) { head.push(el("p", { class: "sub", text: sub })); }
    var typeColor = (TYPES[rec.type] || {}).color || "#9aa5b1";
    var tags = el("p", null, el("span", { class: "badge type", text: typeName(rec.type),
                                          style: "background:" + typeColor + ";color:" + (light(typeColor) ? "#1f2933" : "#ffffff") }));
    asList(props.liuxin).forEach(function (c) { tags.appendChild(badge(c)); });
    if (props.synthetic === true) { tags.appendChild(el("span", { class: "badge synthetic", text: t("synth") })); }
    head.push(tags);

    var dl = el("dl", { id: "details-properties" });
    // The provenance list shows the sources with the note; without sources the note stays a property.
    var noteShown = (d.provenance || []).length > 0;
    var keys = Object.keys(props).filter(function (k) { return k !== "sources" && !(k === "note" && noteShown); });
    var order = TYPES[rec.type] ? Object.keys(TYPES[rec.type].props) : [];
    keys.sort(function (a, b) {
      var ia = order.indexOf(a), ib = order.indexOf(b);
      return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib) || (a < b ? -1 : 1);
    });
    keys.forEach(function (k) {
      dl.appendChild(el("dt", { text: propName(rec.type, k) }));
      dl.appendChild(el("dd", { text: formatValue(props[k]) }));
    });

    var prov = el("ul", { class: "provenance", id: "details-provenance" });
    if (d.error) { prov.appendChild(el("li", { class: "error", text: t("loadFailed", { msg: d.error }) })); }
    (d.provenance || []).forEach(function (p) {
      var section = p.section_title ? "§" + text(p.section) + " " + p.section_title : (p.section ? "§" + p.section : "");
      prov.appendChild(el("li", null, el("span", { class: "source", text: p.title || p.source_id }),
                          section ? el("span", { class: "section", text: " · " + section }) : null,
                          el("div", { class: "muted", text: p.source_id + (p.section ? "#" + p.section : "") }),
                          p.note ? el("div", { text: p.note }) : null));
    });
    if (!d.error && !(d.provenance || []).length) { prov.appendChild(el("li", { class: "muted", text: t("noProvenance") })); }

    var neigh = el("ul", { id: "details-neighbours" });
    var edgeIds = Array.from(adjacency.get(id) || []);
    edgeIds.slice(0, 40).forEach(function (eid) {
      var r = relRecords.get(eid), other = r.start === id ? r.end : r.start;
      var arrow = r.start === id ? "→ " : "← ";
      var link = el("a", { href: STANDALONE ? "#" : "/entity/" + encodeURIComponent(other), text: nameOf(other), "data-id": other,
                           onclick: function (ev) { ev.preventDefault(); focusNode(other, { keepCentre: true }); } });
      neigh.appendChild(el("li", null, el("span", { class: "muted", text: relName(r.type) + " " + arrow }), link));
    });
    if (edgeIds.length > 40) { neigh.appendChild(el("li", { class: "muted", text: t("more", { n: edgeIds.length - 40 }) })); }

    var actions = el("div", { class: "actions" });
    actions.appendChild(el("button", { type: "button", id: "details-set-centre", text: t("setCentre"),
                                       onclick: function () { setCentre(id); } }));
    if (!STANDALONE) {
      actions.appendChild(el("button", { type: "button", id: "details-expand", text: t("expand"), onclick: function () { expand(id); } }));
      actions.appendChild(el("a", { href: "/entity/" + encodeURIComponent(id), text: t("focusPage") }));
      if (rec.type === "Cluster") { actions.appendChild(el("a", { href: "/clusters/" + encodeURIComponent(id), text: t("clusterPage") })); }
      actions.appendChild(el("a", { href: "/api/entities/" + encodeURIComponent(id), text: t("apiJson"), class: "api-link" }));
      actions.appendChild(el("a", { href: "/api/entities/" + encodeURIComponent(id) + "/neighbors", text: t("neighboursJson"), class: "api-link" }));
    }
    details.replaceChildren.apply(details, head.concat([
      el("h4", { text: t("properties") }), dl,
      el("h4", { text: t("provenance") }), prov,
      el("h4", { text: t("neighbours") }), neigh, actions].filter(Boolean)));
    details.setAttribute("data-entity", id);
    api.detailsFor = id;
  }

  network.on("click", function (p) {
    hideTooltip();
    if (p.nodes.length && records.has(p.nodes[0])) { api.focused = p.nodes[0]; labelNode(p.nodes[0]); showDetails(p.nodes[0]); }
  });
  network.on("doubleClick", function (p) {
    if (p.nodes.length && records.has(p.nodes[0])) { expand(p.nodes[0]); }
  });

  function setCentre(id) {
    centre = id;
    buildFilters();
    applyFilters();
  }

  // -- expansion -----------------------------------------------------------------------------------------
  function ring(around, ids) {
    var out = {};
    var c = around && nodes.get(around) ? network.getPosition(around) : network.getViewPosition();
    var radius = Math.max(140, ids.length * 9);
    ids.forEach(function (id, i) {
      var a = (2 * Math.PI * i) / Math.max(ids.length, 1);
      out[id] = [Math.round(c.x + radius * Math.cos(a)), Math.round(c.y + radius * Math.sin(a))];
    });
    return out;
  }
  function expand(id) {
    if (STANDALONE) { setStatus(t("offlineNoExpand")); return Promise.resolve(null); }
    api.expanding = true;
    var url = "/api/entities/" + encodeURIComponent(id) + "/neighbors?depth=1&limit=" + EXPAND_LIMIT;
    return apiGet(url).then(function (g) {
      var fresh = g.nodes.map(function (n) { return n.id; }).filter(function (nid) { return !records.has(nid); });
      var pos = ring(records.has(id) ? id : null, fresh.filter(function (nid) { return nid !== id; }));
      if (!records.has(id)) { var v = network.getViewPosition(); pos[id] = [Math.round(v.x), Math.round(v.y)]; }
      var added = addGraph(g, pos);
      buildFilters();
      buildLegend();
      applyFilters();
      var visible = new Set(nodeView.getIds());
      var hiddenCount = added.nodes.filter(function (nid) { return !visible.has(nid); }).length;
      var msg = t("expanded", { name: nameOf(id), n: added.nodes.length }) + (g.truncated ? t("expandedCut", { limit: EXPAND_LIMIT }) : "");
      if (hiddenCount) { msg += " · " + t("hiddenByFilter", { n: hiddenCount }); }
      setStatus(msg);
      api.lastExpansion = { id: id, apiNodeIds: g.nodes.map(function (n) { return n.id; }),
                            apiRelationshipIds: g.relationships.map(edgeId), added: added.nodes, addedEdges: added.edges,
                            truncated: !!g.truncated };
      api.expanding = false;
      return api.lastExpansion;
    }).catch(function (err) {
      api.expanding = false;
      setStatus(t("loadFailed", { msg: err.message }));
      return null;
    });
  }

  // -- focus and search ----------------------------------------------------------------------------------
  function focusNode(id, opts) {
    var ready = records.has(id) ? Promise.resolve() : expand(id);
    return ready.then(function () {
      if (!records.has(id)) { return; }
      if (!new Set(nodeView.getIds()).has(id)) { resetFilters(); }
      if (!(opts && opts.keepCentre)) { centre = id; buildFilters(); }
      labelNode(id);
      network.selectNodes([id]);
      network.focus(id, { scale: Math.max(network.getScale(), 1.1), animation: { duration: 250, easingFunction: "easeInOutQuad" } });
      api.focused = id;
      showDetails(id);
    });
  }
  api.focus = focusNode;
  api.expand = expand;

  var searchBox = $("search");
  var results = $("search-results");
  var searchTimer = null, searchSeq = 0, hits = [], active = -1;

  function localSearch(q) {
    var needle = q.replace(/\s+/g, "").toLowerCase();
    var found = [];
    records.forEach(function (rec) {
      var p = rec.properties || {};
      var names = [p.name, p.name_en].concat(asList(p.aliases)).filter(Boolean).map(function (s) { return text(s).replace(/\s+/g, "").toLowerCase(); });
      var rank = -1;
      names.forEach(function (s) {
        var r = s === needle ? 0 : s.indexOf(needle) === 0 ? 1 : s.indexOf(needle) > 0 ? 2 : -1;
        if (r >= 0 && (rank < 0 || r < rank)) { rank = r; }
      });
      if (rank < 0 && /^[a-z0-9]+$/.test(needle) && (OFFLINE.pinyin[rec.id] || "").split(" ").some(function (k) { return k.indexOf(needle) >= 0; })) { rank = 3; }
      if (rank >= 0) { found.push({ rank: rank, item: { id: rec.id, type: rec.type, name: p.name, name_en: p.name_en, region: p.region, match: ["exact", "prefix", "substring", "pinyin"][rank] } }); }
    });
    found.sort(function (a, b) { return a.rank - b.rank || text(a.item.name).length - text(b.item.name).length; });
    return Promise.resolve(found.slice(0, 12).map(function (f) { return f.item; }));
  }
  function renderHits() {
    results.replaceChildren();
    if (!hits.length) {
      results.appendChild(el("li", { class: "muted", text: t("noHits") }));
    }
    hits.forEach(function (h, i) {
      var name = lang === "en" && h.name_en ? h.name_en : (h.name || h.id);
      var meta = typeName(h.type) + (h.region ? " · " + h.region : "") + (records.has(h.id) ? " · " + t("inView") : "");
      results.appendChild(el("li", { role: "option", "data-id": h.id, "aria-selected": i === active ? "true" : "false",
                                     onmousedown: function (ev) { ev.preventDefault(); choose(i); } },
                             el("span", { class: "hit-name", text: name }), el("span", { class: "hit-meta", text: meta })));
    });
    results.hidden = false;
  }
  function runSearch(q) {
    var seq = ++searchSeq;
    var find = STANDALONE ? localSearch(q) : apiGet("/api/entities?limit=12&q=" + encodeURIComponent(q)).then(function (b) { return b.items; });
    find.then(function (items) {
      if (seq !== searchSeq) { return; }
      hits = items; active = items.length ? 0 : -1;
      renderHits();
    }).catch(function (err) { setStatus(t("loadFailed", { msg: err.message })); });
  }
  function choose(i) {
    var h = hits[i];
    if (!h) { return; }
    results.hidden = true;
    searchBox.blur();
    focusNode(h.id);
  }
  if (searchBox && results) {
    searchBox.addEventListener("input", function () {
      clearTimeout(searchTimer);
      var q = searchBox.value.trim();
      if (!q) { results.hidden = true; hits = []; return; }
      searchTimer = setTimeout(function () { runSearch(q); }, SEARCH_DELAY_MS);
    });
    searchBox.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (!hits.length) { return; }
        active = (active + (ev.key === "ArrowDown" ? 1 : hits.length - 1)) % hits.length;
        renderHits();
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(searchTimer);
        var q = searchBox.value.trim();
        if (hits.length && results.hidden === false) { choose(Math.max(active, 0)); }
        else if (q) { runSearch(q); }
      } else if (ev.key === "Escape") {
        results.hidden = true;
      }
    });
    searchBox.addEventListener("blur", function () { setTimeout(function () { results.hidden = true; }, 150); });
  }

  // -- note, counts, toolbar -----------------------------------------------------------------------------
  function renderNote() {
    var noteEl = $("view-note");
    if (!noteEl) { return; }
    var n = VIEW.note, shown = (VIEW.graph.nodes || []).length, rels = (VIEW.graph.relationships || []).length;
    var msg;
    if (VIEW.kind === "home" && n) {
      msg = n.total > n.shown ? t("noteCut", { shown: n.shown, total: n.total, by: t(n.ranked_by === "importance" ? "byImportance" : "byDegree") })
                              : t("noteAll", { shown: shown, rels: rels });
      if ((n.hidden_types || []).indexOf("Source") >= 0) { msg += " " + t("noteHidden"); }
    } else if (VIEW.kind === "entity") {
      msg = t("noteEntity", { name: nameOf(VIEW.center), depth: VIEW.depth, shown: shown, rels: rels });
    } else if (VIEW.kind === "cluster") {
      msg = t("noteCluster", { shown: shown, rels: rels });
    } else if (VIEW.kind === "query") {
      msg = t("noteQuery", { shown: shown, rels: rels });
    } else {
      msg = t("noteExport", { shown: shown, rels: rels });
    }
    if (VIEW.graph.truncated && !(VIEW.kind === "home")) { msg += " " + t("truncated"); }
    if (!shown) { msg = t("noteEmpty"); }
    noteEl.replaceChildren(document.createTextNode(msg + " "));
    if (VIEW.api && !STANDALONE) { noteEl.appendChild(el("a", { href: VIEW.api, class: "api-link", text: t("viewJson") })); }
    noteEl.hidden = false;
    var title = $("view-title");
    if (title && VIEW.title) { title.textContent = lang === "en" ? (VIEW.title_en || VIEW.title) : VIEW.title; }
  }
  function updateCounts() {
    if (api.ready) { setStatus(t("nodeCount", { n: api.visibleNodeIds().length }) + (serverLayout ? " · " + t("layoutServer") : "")); }
  }

  function download(name, href) {
    var a = el("a", { href: href, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  function fileStem() {
    var d = new Date(), pad = function (x) { return (x < 10 ? "0" : "") + x; };
    return "ecomap-" + VIEW.kind + "-" + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) + "-" + pad(d.getHours()) + pad(d.getMinutes());
  }
  function exportPng() {
    var canvas = container.querySelector("canvas");
    var url = canvas.toDataURL("image/png");
    api.lastPng = url;
    download(fileStem() + ".png", url);
  }
  function currentView() {
    var ids = api.visibleNodeIds();
    var pos = network.getPositions(ids);
    var out = {};
    ids.forEach(function (id) { out[id] = [Math.round(pos[id].x), Math.round(pos[id].y)]; });
    return {
      // What the user sees now (expansions and filters applied): a cluster keeps its 补链 view.
      kind: VIEW.kind === "cluster" ? "cluster" : "export", title: VIEW.title, title_en: VIEW.title_en,
      center: VIEW.center, note: null,
      depth: VIEW.depth, gaps: VIEW.gaps || api.gaps || null,
      graph: { nodes: ids.map(function (id) { return records.get(id); }),
               relationships: api.visibleEdgeIds().map(function (id) { return relRecords.get(id); }),
               truncated: !!VIEW.graph.truncated },
      positions: out
    };
  }
  api.currentView = currentView;
  function exportHtml() {
    var headers = { "Content-Type": "application/json" };
    var key = storage("ecomap.apiKey");
    if (key) { headers["X-API-Key"] = key; }
    return fetch("/export/map.html", { method: "POST", headers: headers, body: JSON.stringify(currentView()) })
      .then(function (resp) {
        if (!resp.ok) { return resp.json().then(function (b) { throw new Error((b.error && b.error.message) || resp.statusText); }); }
        return resp.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        download(fileStem() + ".html", url);
        setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
        setStatus(t("exported"));
      })
      .catch(function (err) { setStatus(t("exportFailed", { msg: err.message })); });
  }
  var fitButton = $("btn-fit"), pngButton = $("btn-png"), htmlButton = $("btn-html");
  if (fitButton) { fitButton.addEventListener("click", function () { network.fit({ animation: { duration: 300 } }); }); }
  if (pngButton) { pngButton.addEventListener("click", exportPng); }
  if (htmlButton) { htmlButton.addEventListener("click", exportHtml); }

  // -- the 补链 view of a cluster ----------------------------------------------------------------------------
  function removeGhost(id) { ghosts.delete(id); nodes.remove(id); edges.remove(edges.getIds({ filter: function (e) { return e.from === id || e.to === id; } })); }
  function roleName(r) { return lang === "en" || !r.label ? text(r.role).replace(/_/g, " ") : r.label; }
  function renderGaps(report) {
    var box = $("gaps");
    if (!box) { return; }
    var c = report && (report.clusters || []).filter(function (x) { return x.id === VIEW.center; })[0];
    if (!c) { box.replaceChildren(el("p", { class: "muted", text: t("gapsNone") })); return; }
    api.gaps = report;
    var roles = el("ul", { id: "gaps-roles" });
    (c.roles || []).forEach(function (r) {
      var li = el("li", { class: r.present ? "present" : "missing", "data-role": r.role },
                  el("span", { class: "badge " + (r.present ? "ok" : "gap"), text: r.present ? t("present") : t("missing") }),
                  el("span", { class: "role", text: roleName(r) }));
      (r.entities || []).forEach(function (id) {
        li.appendChild(el("a", { href: "#", "data-id": id, text: nameOf(id), onclick: function (ev) { ev.preventDefault(); focusNode(id, { keepCentre: true }); } }));
      });
      roles.appendChild(li);
    });
    var links = el("ul", { id: "gaps-links" });
    (c.links || []).forEach(function (l) {
      linkStatus.set(l.id, l.status);
      var li = el("li", { class: "link-" + l.status, "data-id": l.id },
                  el("span", { class: "badge " + l.status, text: t(l.status) }),
                  el("a", { href: "#", text: l.name || l.id, onclick: function (ev) { ev.preventDefault(); focusNode(l.id, { keepCentre: true }); } }),
                  el("span", { class: "muted", text: (l.enterprises || []).length + " " + t("enterprises") }));
      links.appendChild(li);
    });
    var score = typeof c.score === "number" ? Math.round(c.score * (c.score <= 1 ? 100 : 1)) + (c.score <= 1 ? "%" : "") : text(c.score);
    if (!(c.links || []).length) { links.appendChild(el("li", { class: "muted", text: t("noLinks") })); }
    box.replaceChildren(el("div", null, el("span", { class: "muted", text: t("score") + " " }), el("span", { class: "score", id: "gaps-score", text: score })),
                        el("h4", { text: t("roles") }), roles, el("h4", { text: t("links") }), links);
    // On the map: chain links recoloured by status, and a dashed placeholder per missing role.
    var updates = [];
    linkStatus.forEach(function (s, id) {
      if (records.has(id) && s !== "ok") { var v = visNode(records.get(id)); updates.push({ id: id, color: nodeColour(v), borderWidth: v.borderWidth, shapeProperties: v.shapeProperties || {} }); }
    });
    nodes.update(updates);
    // Placeholders go on a ring just outside everything already drawn around the cluster.
    var anchor = records.has(c.id) ? network.getPosition(c.id) : { x: 0, y: 0 };
    var all = network.getPositions();
    var reach = 0;
    Object.keys(all).forEach(function (k) { reach = Math.max(reach, Math.hypot(all[k].x - anchor.x, all[k].y - anchor.y)); });
    var missing = (c.roles || []).filter(function (r) { return !r.present; });
    missing.forEach(function (r, i) {
      var id = "gap:" + r.role;
      if (ghosts.has(id)) { return; }
      ghosts.add(id);
      var a = -Math.PI / 2 + (2 * Math.PI * i) / missing.length;
      var missingLabel = (lang === "en" ? "missing: " : "缺：") + roleName(r);
      nodes.add({ id: id, label: shortLabel(missingLabel), fullLabel: missingLabel, shape: "box", kind: "", liuxin: [], region: "",
                  x: anchor.x + (reach + 120) * Math.cos(a), y: anchor.y + (reach + 120) * Math.sin(a), physics: false,
                  color: { background: "#fff5f5", border: "#d62828", highlight: { background: "#ffe3e3", border: "#d62828" } },
                  font: { color: "#d62828" }, borderWidth: 2, shapeProperties: { borderDashes: [6, 4] } });
      if (records.has(c.id)) { edges.add({ id: id + "|edge", from: c.id, to: id, dashes: [6, 4], color: { color: "#e5989b" }, arrows: { to: { enabled: false } } }); }
    });
    buildLegend();
    applyFilters();
    if (missing.length && !api.moved) { network.fit({ animation: false }); }
  }
  if (VIEW.kind === "cluster") {
    if (VIEW.gaps) { renderGaps(VIEW.gaps); }
    else if (STANDALONE) { renderGaps(null); }
    else {
      apiGet("/api/analytics/gaps?cluster=" + encodeURIComponent(VIEW.center)).then(renderGaps).catch(function () { renderGaps(null); });
    }
  }

  // -- start ---------------------------------------------------------------------------------------------
  buildFilters();
  buildLegend();
  renderNote();
  if (VIEW.kind === "entity" && VIEW.center && records.has(VIEW.center)) {
    network.selectNodes([VIEW.center]);
    api.focused = VIEW.center;
    showDetails(VIEW.center);
  }
  langListeners.push(function () {
    if (labelTier) { relabel(); }
    buildFilters();
    buildLegend();
    renderNote();
    if (api.detailsFor) { showDetails(api.detailsFor); }
    if (api.gaps) { renderGaps(api.gaps); }
    updateCounts();
  });
})();
