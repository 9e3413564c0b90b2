/* 创新生态云图 — saving what the user sees: a PNG picture fit for a briefing, and (on a served page) the
 * current view — expansions and filters applied, positions as drawn — as a standalone HTML file built by
 * the server (POST /export/map.html).
 *
 * The picture is composed on a canvas of its own at twice the device pixel ratio: a title band (the view's
 * title), the map as shown, a legend of the node types visible (swatch, shape and name; 六新 badges; the
 * 补链 placeholders), the sources the visible nodes cite, the date and the product's name. vis-network
 * draws at the device pixel ratio; for the picture it redraws once, synchronously, at the larger ratio
 * into its own canvas, and is put back before the browser paints again.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap;
  var S = Ecomap.state, dom = Ecomap.dom, i18n = Ecomap.i18n, util = Ecomap.util, style = Ecomap.style;

  var SCALE = 2;                 // the picture's pixels per device pixel
  var MAX_SIDE = 16000;          // browsers refuse canvases much larger than this
  var SOURCE_LOOKUPS = 30;       // most source titles asked of the API for one picture
  var SOURCE_LINES = 3;          // the source line wraps to at most this many lines
  var INK = "#102a43", MUTED = "#52606d", LINE = "#d9e2ec", BAND = "#f0f4f8";
  var PAD = 16, TITLE_H = 46, ROW_H = 22, SWATCH_W = 18, SWATCH_H = 14;

  var titles = {};               // source id -> title (null: asked, none known)

  function download(name, href) {
    var a = dom.el("a", { href: href, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  function pad2(x) { return (x < 10 ? "0" : "") + x; }
  function fileStem() {
    var d = new Date();
    return "ecomap-" + S.view.kind + "-" + d.getFullYear() + pad2(d.getMonth() + 1) + pad2(d.getDate()) + "-" + pad2(d.getHours()) + pad2(d.getMinutes());
  }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
  }
  function font(size, bold) { return (bold ? "bold " : "") + size + "px " + style.FONT; }

  // -- what the picture says -------------------------------------------------------------------------------
  function visibleRecords() {
    return Ecomap.filters.visibleNodeIds().map(function (id) { return S.records.get(id); }).filter(Boolean);
  }
  /** The source ids the visible nodes cite, most cited first. */
  function citedSources(records) {
    var counts = new Map();
    records.forEach(function (rec) {
      util.asList(rec.properties && rec.properties.sources).forEach(function (c) {
        var id = c.split("#")[0];
        if (id) { counts.set(id, (counts.get(id) || 0) + 1); }
      });
    });
    return Array.from(counts.keys()).sort(function (a, b) { return counts.get(b) - counts.get(a) || (a < b ? -1 : 1); });
  }
  /** A Promise of {id: title} for `ids`: a standalone file carries them; a served page asks the API once per source. */
  function sourceTitles(ids) {
    if (S.standalone) {
      var out = {};
      ids.forEach(function (id) { var s = S.offline.sources && S.offline.sources[id]; out[id] = s && s.title ? s.title : null; });
      return Promise.resolve(out);
    }
    var wanted = ids.filter(function (id) { return !(id in titles); }).slice(0, SOURCE_LOOKUPS);
    return Promise.all(wanted.map(function (id) {
      titles[id] = null;
      return Ecomap.api.get("/api/sources/" + encodeURIComponent(id) + "?limit=1")
        .then(function (s) { titles[id] = s.title || s.name || null; })
        .catch(function () { /* an unknown source is named by its citation */ });
    })).then(function () { return titles; });
  }
  function viewTitle() {
    var v = S.view;
    return util.text(i18n.lang() === "en" ? v.title_en || v.title : v.title || v.title_en) || i18n.t("brand");
  }
  /** The legend's entries: the visible types (or communities), 六新 badges, 补链 placeholders. */
  function legendItems(records) {
    var types = new Map(), liuxin = new Map(), communities = new Map();
    records.forEach(function (rec) {
      types.set(rec.type, (types.get(rec.type) || 0) + 1);
      var p = rec.properties || {};
      util.asList(p.liuxin).forEach(function (c) { liuxin.set(c, true); });
      if (typeof p.community === "number") { communities.set(p.community, (communities.get(p.community) || 0) + 1); }
    });
    var byCommunity = S.colourBy === "community";
    var zhName = function (label) { var x = S.types[label]; return x ? x.zh : Ecomap.names.type(label); };
    var typeName = function (label) {
      var x = S.types[label];
      return x && i18n.lang() === "en" && x.en ? x.zh + " " + x.en : zhName(label);
    };
    var items = [];
    S.ontology.node_types.forEach(function (x) {
      if (types.has(x.label)) {
        items.push({ kind: "type", type: x.label, shape: x.shape, colour: byCommunity ? "#c4cdd5" : x.color, text: typeName(x.label) });
      }
    });
    types.forEach(function (n, label) {
      if (!S.types[label]) { items.push({ kind: "type", type: label, shape: "dot", colour: "#9aa5b1", text: typeName(label) }); }
    });
    if (byCommunity) {
      Array.from(communities.keys()).sort(function (a, b) { return communities.get(b) - communities.get(a) || a - b; }).slice(0, 12)
        .forEach(function (c) {
          items.push({ kind: "community", shape: "dot", colour: Ecomap.graph.communityColour(c), text: i18n.t("map.legend.community", { n: c }) });
        });
    }
    var badges = [];
    S.ontology.liuxin.forEach(function (x) {
      if (liuxin.has(x.name)) {
        badges.push({ kind: "liuxin", colour: style.LIUXIN_COLORS[x.name] || "#627d98", mark: style.LIUXIN_SHORT[x.name] || "?",
                      text: x.name + (i18n.lang() === "en" && x.en ? " " + x.en : "") });
      }
    });
    var ghosts = Ecomap.gaps && Ecomap.gaps.legendEntries ? Ecomap.gaps.legendEntries().map(function (g) {
      return { kind: "ghost", colour: g.colour, border: g.border, ink: g.ink, dashed: g.dashed, text: g.text };
    }) : [];
    return { types: items, badges: badges, ghosts: ghosts };
  }

  // -- drawing ---------------------------------------------------------------------------------------------
  function shapePath(ctx, shape, x, y, w, h) {
    var cx = x + w / 2, cy = y + h / 2;
    ctx.beginPath();
    switch (shape) {
      case "box": ctx.rect(x, y + 1, w, h - 2); break;
      case "square": ctx.rect(cx - h / 2, y, h, h); break;
      case "ellipse": ctx.ellipse(cx, cy, w / 2, h / 2.6, 0, 0, 2 * Math.PI); break;
      case "diamond": ctx.moveTo(cx, y); ctx.lineTo(cx + h / 2, cy); ctx.lineTo(cx, y + h); ctx.lineTo(cx - h / 2, cy); ctx.closePath(); break;
      case "triangle": ctx.moveTo(cx, y); ctx.lineTo(cx + h / 2 + 1, y + h); ctx.lineTo(cx - h / 2 - 1, y + h); ctx.closePath(); break;
      case "hexagon":
        for (var i = 0; i < 6; i++) { var a = Math.PI / 3 * i; ctx[i ? "lineTo" : "moveTo"](cx + h / 2 * Math.cos(a), cy + h / 2 * Math.sin(a)); }
        ctx.closePath(); break;
      case "star":
        for (var k = 0; k < 10; k++) {
          var r = k % 2 ? h / 4.5 : h / 2, b = -Math.PI / 2 + Math.PI / 5 * k;
          ctx[k ? "lineTo" : "moveTo"](cx + r * Math.cos(b), cy + r * Math.sin(b));
        }
        ctx.closePath(); break;
      case "database":
        ctx.ellipse(cx, y + 3, h / 2, 3, 0, Math.PI, 2 * Math.PI);
        ctx.lineTo(cx + h / 2, y + h - 3);
        ctx.ellipse(cx, y + h - 3, h / 2, 3, 0, 0, Math.PI);
        ctx.closePath(); break;
      default: ctx.arc(cx, cy, h / 2, 0, 2 * Math.PI);
    }
  }
  function entryWidth(ctx, item) {
    ctx.font = font(13);
    return SWATCH_W + 6 + ctx.measureText(item.text).width + 16;
  }
  /** One legend entry at (x, y), y the top of its row: the type's shape in its colour, a 六新 badge, or a
   * 补链 placeholder's box; then its name. */
  function drawEntry(ctx, item, x, y) {
    var top = y + (ROW_H - SWATCH_H) / 2;
    ctx.save();
    if (item.kind === "liuxin") {
      var r = SWATCH_H / 2 + 1, cx = x + SWATCH_W / 2, cy = y + ROW_H / 2;
      ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI);
      ctx.fillStyle = item.colour; ctx.fill();
      ctx.fillStyle = "#ffffff"; ctx.font = font(10, true); ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(item.mark, cx, cy + 0.5);
    } else if (item.kind === "ghost") {
      ctx.beginPath(); ctx.rect(x + 0.5, top + 0.5, SWATCH_W - 1, SWATCH_H - 1);
      ctx.fillStyle = item.colour; ctx.fill();
      ctx.setLineDash(item.dashed ? [3, 2] : []); ctx.lineWidth = 1.5; ctx.strokeStyle = item.border; ctx.stroke();
    } else {
      shapePath(ctx, item.shape, x, top, SWATCH_W, SWATCH_H);
      ctx.fillStyle = item.colour; ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = util.shade(item.colour, -0.35); ctx.stroke();
    }
    ctx.restore();
    ctx.font = font(13); ctx.fillStyle = INK; ctx.textBaseline = "middle"; ctx.textAlign = "left";
    ctx.fillText(item.text, x + SWATCH_W + 6, y + ROW_H / 2 + 0.5);
  }
  /** Entries laid out (measured with `measure`) in rows `width` wide after a heading: {height, draw(ctx, y)}. */
  function flow(measure, heading, items, width) {
    if (!items.length) { return { height: 0, draw: function () {} }; }
    measure.font = font(12, true);
    var headW = measure.measureText(heading).width + 10;
    var rows = [[]], x = PAD + headW;
    items.forEach(function (item) {
      var w = entryWidth(measure, item);
      if (x + w > width - PAD && rows[rows.length - 1].length) { rows.push([]); x = PAD + headW; }
      rows[rows.length - 1].push({ x: x, item: item });
      x += w;
    });
    return { height: rows.length * ROW_H, draw: function (ctx, y) {
      ctx.font = font(12, true); ctx.fillStyle = MUTED; ctx.textBaseline = "middle"; ctx.textAlign = "left";
      ctx.fillText(heading, PAD, y + ROW_H / 2 + 0.5);
      rows.forEach(function (row, i) { row.forEach(function (cell) { drawEntry(ctx, cell.item, cell.x, y + i * ROW_H); }); });
    } };
  }
  /** `text` broken into lines at most `width` wide (between any two characters, after a separator when one is near). */
  function wrap(ctx, text, width, maxLines, ellipsis) {
    var lines = [], line = "";
    for (var i = 0; i < text.length; i++) {
      var next = line + text[i];
      if (ctx.measureText(next).width > width && line) {
        var cut = Math.max(line.lastIndexOf("；"), line.lastIndexOf(" "), line.lastIndexOf("、"));
        if (cut > line.length * 0.6) { lines.push(line.slice(0, cut + 1)); line = line.slice(cut + 1) + text[i]; }
        else { lines.push(line); line = text[i]; }
      } else { line = next; }
    }
    if (line) { lines.push(line); }
    if (lines.length > maxLines) {
      lines = lines.slice(0, maxLines);
      var last = lines[maxLines - 1];
      while (last && ctx.measureText(last + ellipsis).width > width) { last = last.slice(0, -1); }
      lines[maxLines - 1] = last + ellipsis;
    }
    return lines;
  }
  function sourceLine(ids, known) {
    var t = i18n.t;
    if (!ids.length) { return { text: t("map_png.no_sources"), more: "" }; }
    var sep = i18n.lang() === "en" ? "; " : "；";
    return { text: t("map_png.sources") + ids.map(function (id) { return known[id] || id; }).join(sep),
             more: "…" + (ids.length > 1 ? t("map_png.more_sources", { n: ids.length }) : "") };
  }

  /** The network as drawn now, at `ratio` pixels per CSS pixel, in a canvas of its own. */
  function networkPicture(ratio) {
    var network = S.network, canvas = network.canvas, frame = canvas.frame.canvas;
    var w = frame.clientWidth, h = frame.clientHeight;
    var out = document.createElement("canvas");
    out.width = Math.round(w * ratio);
    out.height = Math.round(h * ratio);
    var renderer = network.renderer;
    if (!renderer || typeof renderer._redraw !== "function") {
      out.getContext("2d").drawImage(frame, 0, 0, out.width, out.height);   // no synchronous redraw: scale the picture up
      return { canvas: out, width: w, height: h };
    }
    var saved = { ratio: canvas.pixelRatio, width: frame.width, height: frame.height };
    try {
      canvas.pixelRatio = ratio;
      frame.width = out.width;
      frame.height = out.height;
      renderer._redraw();
      out.getContext("2d").drawImage(frame, 0, 0);
    } finally {
      canvas.pixelRatio = saved.ratio;
      frame.width = saved.width;
      frame.height = saved.height;
      renderer._redraw();
    }
    return { canvas: out, width: w, height: h };
  }

  /** Compose the picture; returns {canvas, layout} (layout: the parts' boxes in the picture's pixels). */
  function compose(sources) {
    var t = i18n.t;
    var records = visibleRecords();
    var dpr = window.devicePixelRatio || 1;
    var frame = S.network.canvas.frame.canvas;
    var cssW = Math.max(frame.clientWidth, 1), cssH = Math.max(frame.clientHeight, 1);
    var ratio = Math.min(SCALE * dpr, MAX_SIDE / cssW, MAX_SIDE / (cssH + 400));
    var width = Math.max(cssW, 480);
    var scratch = document.createElement("canvas").getContext("2d");
    var legend = legendItems(records);
    var parts = [flow(scratch, t("map.legend.heading"), legend.types, width),
                 flow(scratch, t("map.legend.badges"), legend.badges, width),
                 flow(scratch, t("map_gaps.legend.heading"), legend.ghosts, width)];
    var line = sourceLine(sources.ids, sources.titles);
    scratch.font = font(12);
    var srcLines = wrap(scratch, line.text, width - 2 * PAD, SOURCE_LINES, line.more);
    var legendH = parts.reduce(function (s, p) { return s + p.height; }, 0);
    var mapTop = TITLE_H, mapBottom = mapTop + cssH;
    var legendTop = mapBottom + 10;
    var srcTop = legendTop + legendH + (legendH ? 8 : 0);
    var footTop = srcTop + srcLines.length * 17 + 4;
    var height = footTop + 26;

    var picture = networkPicture(ratio);
    var out = document.createElement("canvas");
    out.width = Math.round(width * ratio);
    out.height = Math.round(height * ratio);
    var ctx = out.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    // the title band
    ctx.fillStyle = BAND;
    ctx.fillRect(0, 0, width, TITLE_H);
    ctx.fillStyle = INK;
    ctx.font = font(20, true);
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    scratch.font = font(20, true);
    var title = wrap(scratch, viewTitle(), width - 2 * PAD, 1, "…")[0];
    ctx.fillText(title, PAD, TITLE_H / 2 + 1);
    // the map, as shown, framed
    ctx.drawImage(picture.canvas, (width - cssW) / 2, mapTop, cssW, cssH);
    ctx.strokeStyle = LINE;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, mapTop + 0.5); ctx.lineTo(width, mapTop + 0.5);
    ctx.moveTo(0, mapBottom + 0.5); ctx.lineTo(width, mapBottom + 0.5);
    ctx.stroke();
    // the legend, the sources, the date and the credit
    var y = legendTop;
    parts.forEach(function (p) { p.draw(ctx, y); y += p.height; });
    ctx.font = font(12);
    ctx.fillStyle = "#334e68";
    ctx.textBaseline = "top";
    srcLines.forEach(function (l, i) { ctx.fillText(l, PAD, srcTop + i * 17); });
    ctx.fillStyle = MUTED;
    ctx.textBaseline = "middle";
    ctx.fillText(today(), PAD, footTop + 13);
    ctx.textAlign = "right";
    ctx.font = font(12, true);
    ctx.fillText(i18n.lang() === "en" ? "创新生态云图 · " + t("brand") : t("brand"), width - PAD, footTop + 13);
    var box = function (x, top, w, h) { return { x: Math.round(x * ratio), y: Math.round(top * ratio), width: Math.round(w * ratio), height: Math.round(h * ratio) }; };
    return { canvas: out, layout: {
      ratio: ratio, width: out.width, height: out.height, mapCss: { width: cssW, height: cssH },
      title: box(0, 0, width, TITLE_H), map: box((width - cssW) / 2, mapTop, cssW, cssH),
      legend: box(0, legendTop, width, legendH), sources: box(0, srcTop, width, srcLines.length * 17),
      footer: box(0, footTop, width, 26),
      types: legend.types.map(function (i) { return { type: i.type || null, colour: i.colour }; }),
      titleText: title, sourceText: srcLines.join(""), date: today()
    } };
  }

  /** Compose the picture, keep it (`window.ecomap.lastPng`) and download it; a Promise of the data URL. */
  function png() {
    var records = visibleRecords();
    var ids = citedSources(records);
    return sourceTitles(ids).then(function (known) {
      var made = compose({ ids: ids, titles: known });
      var url = made.canvas.toDataURL("image/png");
      Ecomap.exporter.lastLayout = made.layout;
      S.lastPng = url;
      download(fileStem() + ".png", url);
      return url;
    }).catch(function (err) {
      Ecomap.note.status(i18n.t("map_png.failed", { msg: err && err.message ? err.message : String(err) }));
      return null;
    });
  }

  /** The view as drawn now, in the shape of the view JSON the server renders. */
  function currentView() {
    var ids = Ecomap.filters.visibleNodeIds();
    var pos = S.network.getPositions(ids);
    var out = {};
    ids.forEach(function (id) { out[id] = [Math.round(pos[id].x), Math.round(pos[id].y)]; });
    var view = S.view;
    return {
      // What the user sees now (expansions and filters applied): a cluster keeps its 补链 view.
      kind: view.kind === "cluster" ? "cluster" : "export", title: view.title, title_en: view.title_en,
      center: view.center, note: null,
      depth: view.depth, gaps: view.gaps || S.gaps || null,
      graph: { nodes: ids.map(function (id) { return S.records.get(id); }),
               relationships: Ecomap.filters.visibleEdgeIds().map(function (id) { return S.relRecords.get(id); }),
               truncated: !!view.graph.truncated },
      positions: out
    };
  }
  function html() {
    var t = i18n.t;
    return fetch("/export/map.html", { method: "POST", headers: Ecomap.api.headers({ "Content-Type": "application/json" }),
                                       body: JSON.stringify(currentView()) })
      .then(function (resp) {
        if (!resp.ok) { return resp.json().then(function (b) { throw new Error((b.error && b.error.message) || resp.statusText); }); }
        return resp.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        download(fileStem() + ".html", url);
        setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
        Ecomap.note.status(t("map.export.done"));
      })
      .catch(function (err) { Ecomap.note.status(t("map.export.failed", { msg: err.message })); });
  }

  function init() {
    var pngButton = dom.$("btn-png"), htmlButton = dom.$("btn-html");
    if (pngButton) { pngButton.addEventListener("click", png); }
    if (htmlButton) { htmlButton.addEventListener("click", html); }
  }

  Ecomap.exporter = { init: init, png: png, html: html, currentView: currentView, lastLayout: null };
})();
