/* 创新生态云图 — the chain page's what-if panel: entities supposed removed (ticked in the table or clicked in
 * the picture) and hypothetical enterprises supposed added are sent to POST /api/clusters/{id}/whatif; the
 * answer (score before and after, links that become gaps or fragile, roles lost or gained, entities cut
 * off, new single points of failure) is shown in words and the changed links are marked in the picture.
 * Nothing is saved: the API answers from a read of the graph.
 */
(function () {
  "use strict";
  var Ecomap = window.Ecomap, el = Ecomap.dom.el, $ = Ecomap.dom.$, i18n = Ecomap.i18n, chain = Ecomap.chain;
  if (!chain || !$("whatif")) { return; }
  var data = chain.data;

  var names = {};   // every entity the chain lists: id → {name, name_en}
  data.links.forEach(function (l) {
    names[l.id] = l;
    l.local.concat(l.outside, l.support).forEach(function (e) { names[e.id] = e; });
  });
  var removed = [];           // ids, in the order chosen
  var added = [];             // {link, name, leader}
  var answer = null, failure = null, pending = 0;

  function label(id) { return names[id] ? chain.nameOf(names[id]) : id; }
  function percent(x) { return Math.round(x * 100); }

  function syncBoxes() {
    Array.prototype.forEach.call(document.querySelectorAll("input.wi-remove"), function (box) {
      box.checked = removed.indexOf(box.value) >= 0;
    });
    chain.setRemoved(removed);
  }
  function toggle(id) {
    var at = removed.indexOf(id);
    if (at >= 0) { removed.splice(at, 1); } else { removed.push(id); }
    syncBoxes();
    renderChoices();
  }
  function chip(text, onDrop) {
    return el("span", { class: "wi-chip" }, text,
              el("button", { type: "button", title: i18n.t("chain.whatif.drop"), "aria-label": i18n.t("chain.whatif.drop"),
                             onclick: onDrop }, "×"));
  }
  function renderChoices() {
    var shown = $("wi-removed");
    shown.replaceChildren.apply(shown, removed.length ? removed.map(function (id) {
      return chip(label(id), function () { toggle(id); });
    }) : [el("span", { class: "muted", text: i18n.t("chain.whatif.remove_none") })]);
    var list = $("wi-added");
    list.replaceChildren.apply(list, added.length ? [i18n.t("chain.whatif.added_list")].concat(added.map(function (a, i) {
      var text = a.name + " → " + label(a.link) + (a.leader ? "（" + i18n.t("chain.mark.leader") + "）" : "");
      return chip(text, function () { added.splice(i, 1); renderChoices(); });
    })) : []);
  }

  function addOne() {
    var name = $("wi-add-name").value.trim();
    if (!name) { failure = i18n.t("chain.whatif.add_missing"); answer = null; renderAnswer(); return; }
    added.push({ link: $("wi-add-link").value, name: name, leader: $("wi-add-leader").checked });
    $("wi-add-name").value = "";
    $("wi-add-leader").checked = false;
    renderChoices();
  }

  function run() {
    if (!removed.length && !added.length) { failure = i18n.t("chain.whatif.nothing"); answer = null; renderAnswer(); return; }
    pending += 1;
    failure = null;
    $("wi-result").replaceChildren(el("p", { class: "muted", text: i18n.t("chain.whatif.running") }));
    fetch("/api/clusters/" + encodeURIComponent(data.cluster.id) + "/whatif", {
      method: "POST", headers: Ecomap.api.headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ remove: removed, add: added })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (!resp.ok) {
          var error = body.error || {};
          var zh = error.details && error.details.message_zh;
          throw new Error((i18n.lang() === "zh" && zh) || error.message || resp.status + " " + resp.statusText);
        }
        return body;
      });
    }).then(function (body) { answer = body; }, function (err) { answer = null; failure = i18n.t("chain.whatif.failed", { message: err.message }); })
      .then(function () { pending -= 1; renderAnswer(); });
  }

  function clear() {
    removed = []; added = []; answer = null; failure = null;
    syncBoxes(); renderChoices(); renderAnswer();
  }

  function entry(titleKey, items, vars) {
    return [el("dt", { text: i18n.t(titleKey, vars) }),
            el("dd", null, items.length ? items.join("、") : el("span", { class: "muted", text: i18n.t("chain.whatif.none") }))];
  }
  function entityName(e) { return e.name_en && i18n.lang() === "en" ? e.name_en : (e.name || e.id); }
  function roleName(r) { return i18n.lang() === "en" ? r.label_en : r.label; }

  function markLinks(result) {
    var byLink = {};
    (result ? result.links : []).forEach(function (l) { if (l.after !== l.before) { byLink[l.id] = l.after; } });
    chain.markChanged(byLink);
    Array.prototype.forEach.call(document.querySelectorAll("tr.chain-link"), function (row) {
      row.classList.toggle("wi-changed", row.dataset.link in byLink);
    });
  }

  function renderAnswer() {
    var out = $("wi-result");
    markLinks(answer);
    if (failure) { out.replaceChildren(el("p", { class: "wi-error", text: failure })); return; }
    if (!answer) { out.replaceChildren(); return; }
    var a = answer, s = a.score, delta = percent(s.after) - percent(s.before);
    var changedLinks = a.links.filter(function (l) { return l.before !== l.after || l.local_before !== l.local_after; });
    var st = a.structure;
    var list = el("dl", null,
      el("dt", { id: "wi-score", text: i18n.t("chain.whatif.score", { before: percent(s.before), after: percent(s.after),
                                                                      delta: (delta > 0 ? "+" : "") + delta }) }),
      entry("chain.whatif.became_gap", a.became_gap.map(label)),
      entry("chain.whatif.became_fragile", a.became_fragile.map(label)),
      entry("chain.whatif.links_changed", changedLinks.map(function (l) {
        return i18n.t("chain.whatif.link_change", { name: label(l.id), before: i18n.t("chain.status." + l.before),
                                                    after: i18n.t("chain.status." + l.after),
                                                    local_before: l.local_before, local_after: l.local_after });
      })),
      entry("chain.whatif.roles_lost", a.roles_lost.map(roleName)),
      entry("chain.whatif.roles_gained", a.roles_gained.map(roleName)),
      entry("chain.whatif.cut_off", st.cut_off.map(entityName)),
      entry("chain.whatif.single_points", st.new_single_points.map(entityName),
            { before: st.single_points_before, after: st.single_points_after }));
    out.replaceChildren(el("p", { class: "whatif-note", text: i18n.t("chain.whatif.note") }), list);
  }

  Array.prototype.forEach.call(document.querySelectorAll("input.wi-remove"), function (box) {
    box.addEventListener("change", function () {
      if (box.checked !== (removed.indexOf(box.value) >= 0)) { toggle(box.value); }
    });
  });
  chain.onPick(toggle);
  $("wi-add-button").addEventListener("click", addOne);
  $("wi-run").addEventListener("click", run);
  $("wi-clear").addEventListener("click", clear);
  i18n.onChange(function () { renderChoices(); renderAnswer(); });
  renderChoices();

  window.ecomapChain.whatif = {
    pending: function () { return pending; },
    answer: function () { return answer; },
    removed: function () { return removed.slice(); }
  };
})();
