// The checked-ballots page: every spoiled ballot on the board (Benaloh
// challenge, e2e/SPEC.md §7.9), opened and verified in the browser.
"use strict";

T.ready.then(() => {
  const { el, api, call, showMsg, showError } = T;
  const $ = (id) => document.getElementById(id);
  const id = T.electionId();
  let manifest = null;
  const found = new Map(); // tracking code → {index, time, choices} or {index, error}
  let scanned = null;

  T.initNav("spoiled");

  if (location.hash.length > 1) $("code").value = decodeURIComponent(location.hash.slice(1));

  async function scan() {
    await T.loadWasm();
    const info = await api(`/v1/elections/${id}`);
    manifest = T.manifestOf(info);
    call("loadElection", JSON.stringify(info));
    T.setText($("title"), ["spoiled.title", { title: { loc: manifest } }]);
    T.setTitle(["spoiled.page_title", { title: { loc: manifest } }]);
    for (let start = 0; start < 1000000; start += 1000) {
      const page = await api(`/v1/elections/${id}/entries?start=${start}&end=${start + 1000}`);
      for (const e of page.entries) {
        if (e.type !== "ballot.spoiled") continue;
        try {
          const o = call("verifySpoiled", e.payload);
          found.set(o.tracking_code, { index: e.index, time: e.time, choices: o.choices, payload: e.payload });
        } catch (err) {
          found.set(`#${e.index}`, { index: e.index, time: e.time, error: err.message });
        }
      }
      if (page.entries.length < 1000) break;
    }
    renderAll();
  }

  function openedTable(choices) {
    return el("table", { class: "compare" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["common.question"] }), el("th", { scope: "col", text: ["spoiled.col_contained"] }))),
      el("tbody", {}, manifest.contests.map((c) => el("tr", {}, el("th", { scope: "row", text: T.loc(c) }), el("td", { text: T.describeContest(c, choices[c.id]) })))));
  }

  function renderAll() {
    const box = $("all");
    if (!found.size) { box.replaceChildren(el("p", { class: "hint", text: ["spoiled.none"] })); return; }
    box.replaceChildren(el("table", { class: "entries" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["vote.tracking_code"] }), el("th", { scope: "col", text: ["spoiled.col_entry"] }), el("th", { scope: "col", text: ["spoiled.col_opened"] }))),
      el("tbody", {}, [...found].map(([code, f]) => el("tr", {},
        el("td", { class: "mono" }, f.error ? code : el("a", { href: `#${code}`, text: code, onclick: () => { $("code").value = code; lookup(); } })),
        el("td", { text: `#${f.index}` }),
        el("td", {}, f.error ? el("span", { class: "cross", text: ["common.not_verify"] }) : el("span", { class: "tick", text: ["spoiled.verified"] }))))))); 
  }

  async function lookup() {
    $("lookup-msg").replaceChildren();
    let code;
    try {
      code = call("parseTrackingCode", $("code").value).tracking_code;
    } catch (e) {
      if (!globalThis.tabella) return;
      $("code").setAttribute("aria-invalid", "true");
      showMsg($("lookup-msg"), "bad", ["spoiled.bad_code"], ["spoiled.bad_code_text"]);
      $("code").focus();
      return;
    }
    $("code").removeAttribute("aria-invalid");
    $("code").value = code;
    if (scanned) await scanned;
    const f = found.get(code);
    if (!f) {
      showMsg($("lookup-msg"), "warn", ["spoiled.not_found"], ["spoiled.not_found_text"]);
      return;
    }
    $("found").hidden = false;
    showMsg($("found-body"), "ok", ["spoiled.found", { code }], ["spoiled.found_text", { index: String(f.index), date: { date: f.time } }]);
    $("found-body").append(openedTable(f.choices),
      el("p", { class: "hint", text: ["spoiled.compare", { cmd: el("code", { text: `tabella verify --spoiled tabella-checked-${id}-${code}.json --server ${location.origin} --election ${id}` }) }] }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-secondary", text: ["spoiled.download"], onclick: () => T.download(`tabella-checked-${id}-${code}.json`, T.hexToText(f.payload)) })));
    $("found-h").focus();
  }

  $("lookup").addEventListener("submit", (ev) => { ev.preventDefault(); lookup(); });
  scanned = scan().catch((e) => showError($("all"), e));
  if ($("code").value) scanned.then(lookup);
});
