// The receipt page: verify a receipt in the browser (e2e/SPEC.md §8.6),
// its consistency with the latest checkpoint (§8.3), the entry it names,
// and whether the ballot is counted (§11.6).
"use strict";

T.ready.then(() => {
  const { el, api, call, showMsg, showError } = T;
  const $ = (id) => document.getElementById(id);
  const id = T.electionId();
  const savedKey = `tabella.receipt.${id}`;
  let info = null;

  T.initNav("receipt");
  const wasm = T.loadWasm();

  let saved = null;
  try { saved = localStorage.getItem(savedKey); } catch (_) {}
  if (saved) {
    $("saved").hidden = false;
    $("use-saved").addEventListener("click", () => check(saved));
  }

  async function loadFile() {
    const f = $("file").files[0];
    if (!f) return;
    if (f.size > 1 << 20) { showMsg($("form-msg"), "bad", ["receipt.too_large"], ""); return; }
    $("paste").value = await f.text();
  }
  $("file").addEventListener("change", loadFile);
  // A file chosen while the catalogues were still loading (before this
  // listener existed) is read now rather than lost.
  if ($("file").files.length > 0) loadFile();
  $("receipt-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("paste").value.trim();
    if (!text) {
      showMsg($("form-msg"), "bad", ["receipt.none"], ["receipt.none_text"]);
      $("file").focus();
      return;
    }
    check(text);
  });

  // Receipts are accepted as downloaded ({election, tracking_code,
  // receipt}), as the service returns them ({receipt, tracking_code}) or
  // bare.
  function unwrap(text) {
    const j = JSON.parse(text);
    const r = j.receipt || j;
    if (typeof r.index !== "number" || typeof r.checkpoint !== "string" || typeof r.election !== "string") throw new Error("not a receipt");
    return { receipt: r, tracking: j.tracking_code || null, boardKey: j.board_key || null };
  }

  function noteSize(note) {
    const lines = note.split("\n");
    return Number(lines[1]);
  }

  async function check(text) {
    $("form-msg").replaceChildren();
    let parsed;
    try {
      parsed = unwrap(text);
    } catch (e) {
      showMsg($("form-msg"), "bad", ["receipt.not_receipt"], ["receipt.not_receipt_text"]);
      return;
    }
    if (parsed.receipt.election !== id) {
      if (!id) { location.href = `/e/${parsed.receipt.election}/receipt`; return; }
      showMsg($("form-msg"), "bad", ["receipt.other_election"], "", el("p", { text: ["receipt.open_other", { link: el("a", { href: `/e/${parsed.receipt.election}/receipt`, text: ["receipt.other_page", { id: parsed.receipt.election }] }) }] }));
      return;
    }
    $("check").disabled = true;
    $("result").hidden = false;
    showMsg($("verdict"), "info", ["receipt.checking"], ["receipt.checking_text"]);
    const checks = $("checks");
    checks.replaceChildren();
    $("facts").replaceChildren();
    const item = (cls, text, ...extra) => { const li = el("li", { class: cls, text }, ...extra); checks.append(li); return li; };
    try {
      await wasm;
      if (!info) {
        info = await api(`/v1/elections/${id}`);
        call("loadElection", JSON.stringify(info));
      }
      const latest = await api(`/v1/elections/${id}/checkpoint`, { raw: true });
      const oldSize = noteSize(parsed.receipt.checkpoint);
      const newSize = noteSize(latest);
      let proof = "";
      if (newSize > oldSize) proof = await api(`/v1/elections/${id}/proof/consistency?old=${oldSize}&new=${newSize}`, { raw: true });
      const entryText = await api(`/v1/elections/${id}/entries/${parsed.receipt.index}`, { raw: true });
      // The key saved with the receipt when the ballot was cast is the one
      // to trust; a server now showing another key is a red flag.
      if (parsed.boardKey && info.board_key && parsed.boardKey !== info.board_key) {
        item("bad", ["receipt.key_changed"]);
      }
      let v;
      try {
        v = call("checkReceipt", JSON.stringify(parsed.receipt), parsed.boardKey || info.board_key || "", latest, proof, entryText);
      } catch (e) {
        item("bad", ["receipt.bad", { reason: e.message }]);
        showMsg($("verdict"), "bad", ["receipt.unconfirmed"], ["receipt.unconfirmed_text"]);
        return;
      }
      item("ok", ["receipt.signed"]);
      item("ok", ["receipt.inclusion", { index: String(v.index), n: v.size }]);
      item("ok", ["receipt.consistency", { n: v.latest_size }]);
      if (v.entry_type !== "ballot") {
        item("bad", ["receipt.not_ballot", { index: String(v.index), type: v.entry_type }]);
        showMsg($("verdict"), "bad", ["receipt.not_ballot_title"], "");
        return;
      }
      item("ok", ["receipt.entry_is", { index: String(v.index), code: v.tracking_code }]);
      if (parsed.tracking && parsed.tracking !== v.tracking_code) item("bad", ["receipt.code_differs", { mine: parsed.tracking, code: v.tracking_code }]);
      $("facts").replaceChildren(
        el("dt", { text: ["vote.tracking_code"] }), el("dd", { class: "mono", text: v.tracking_code }),
        el("dt", { text: ["common.board_entry"] }), el("dd", { text: `#${v.index}` }),
        el("dt", { text: ["receipt.receipt_cp"] }), el("dd", { text: ["receipt.cp_root", { n: v.size, root: v.root.slice(0, 16) }] }),
        el("dt", { text: ["observe.latest_cp"] }), el("dd", { text: ["receipt.cp_root", { n: v.latest_size, root: v.latest_root.slice(0, 16) }] }));
      const counted = await countedStatus(JSON.parse(entryText), v.latest_size);
      item(counted.cls, counted.text);
      showMsg($("verdict"), counted.verdict, counted.title, counted.detail || "");
    } catch (e) {
      showError($("verdict"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-secondary", text: ["common.try_again"], onclick: () => check(text) })));
    } finally {
      $("check").disabled = false;
      $("result-h").focus();
    }
  }

  // countedStatus reads the entries after the ballot: a later ballot with
  // the same credential replaces it; after election.close and
  // tally.result it is counted (SPEC §11.6).
  async function countedStatus(entry, size) {
    let later = null, closed = null, result = null;
    for (let start = entry.index + 1; start < size && start < entry.index + 200000; start += 1000) {
      const page = await api(`/v1/elections/${id}/entries?start=${start}&end=${Math.min(start + 1000, size)}`);
      for (const e of page.entries) {
        if (e.type === "ballot" && e.signer === entry.signer && closed === null && later === null) later = e.index;
        if (e.type === "election.close" && closed === null) closed = e.index;
        if (e.type === "tally.result") result = e.index;
      }
      if (!page.entries.length) break;
    }
    if (later !== null) return { cls: "bad", text: ["receipt.replaced", { index: String(later) }], verdict: "warn", title: ["receipt.replaced_title"], detail: ["receipt.replaced_text", { index: String(later) }] };
    if (result !== null) return { cls: "ok", text: ["receipt.counted", { index: String(result) }], verdict: "ok", title: ["receipt.counted_title"], detail: ["receipt.counted_text"] };
    if (closed !== null) return { cls: "wait", text: ["receipt.closed"], verdict: "ok", title: ["receipt.on_board"], detail: ["receipt.closed_text"] };
    return { cls: "wait", text: ["receipt.open"], verdict: "ok", title: ["receipt.on_board"], detail: ["receipt.open_text"] };
  }
});
