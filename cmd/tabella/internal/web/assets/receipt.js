// The receipt page: verify a receipt in the browser (e2e/SPEC.md §8.6),
// its consistency with the latest checkpoint (§8.3), the entry it names,
// and whether the ballot is counted (§11.6).
"use strict";

(() => {
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

  $("file").addEventListener("change", async () => {
    const f = $("file").files[0];
    if (!f) return;
    if (f.size > 1 << 20) { showMsg($("form-msg"), "bad", "This file is too large to be a receipt", ""); return; }
    $("paste").value = await f.text();
  });
  $("receipt-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("paste").value.trim();
    if (!text) {
      showMsg($("form-msg"), "bad", "No receipt", "Choose your receipt file or paste its contents.");
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
      showMsg($("form-msg"), "bad", "This is not a Tabella receipt", "A receipt is the JSON file the voting page offered to download after casting.");
      return;
    }
    if (parsed.receipt.election !== id) {
      if (!id) { location.href = `/e/${parsed.receipt.election}/receipt`; return; }
      showMsg($("form-msg"), "bad", "This receipt is for another election", "", el("p", {}, "Open ", el("a", { href: `/e/${parsed.receipt.election}/receipt`, text: `the receipt page of “${parsed.receipt.election}”` }), "."));
      return;
    }
    $("check").disabled = true;
    $("result").hidden = false;
    showMsg($("verdict"), "info", "Checking…", "Fetching the board's latest state and verifying it in this browser.");
    const checks = $("checks");
    checks.replaceChildren();
    $("facts").replaceChildren();
    const item = (cls, text, ...extra) => { const li = el("li", { class: cls }, text, ...extra); checks.append(li); return li; };
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
        item("bad", "The board's key changed since you voted: the receipt was saved with another key than the server shows now.");
      }
      let v;
      try {
        v = call("checkReceipt", JSON.stringify(parsed.receipt), parsed.boardKey || info.board_key || "", latest, proof, entryText);
      } catch (e) {
        item("bad", "The receipt does not check out: " + e.message);
        showMsg($("verdict"), "bad", "Your ballot could not be confirmed", "The board's data does not match this receipt. Keep the receipt file: it is evidence. Report this to the election officials and observers.");
        return;
      }
      item("ok", "The receipt's checkpoint is signed by the election board.");
      item("ok", `Your ballot is entry #${v.index} in the board's tree of ${v.size} entries (inclusion proof).`);
      item("ok", `The board's latest checkpoint (${v.latest_size} entries) extends the one in your receipt: nothing was removed or rewritten since (consistency proof).`);
      if (v.entry_type !== "ballot") {
        item("bad", `Entry #${v.index} is not a ballot (it is “${v.entry_type}”).`);
        showMsg($("verdict"), "bad", "This receipt is not for a ballot", "");
        return;
      }
      item("ok", `Entry #${v.index} on the board is the ballot with tracking code ${v.tracking_code}.`);
      if (parsed.tracking && parsed.tracking !== v.tracking_code) item("bad", `Your receipt file says tracking code ${parsed.tracking}; the board's entry has ${v.tracking_code}.`);
      $("facts").replaceChildren(
        el("dt", { text: "Tracking code" }), el("dd", { class: "mono", text: v.tracking_code }),
        el("dt", { text: "Board entry" }), el("dd", { text: `#${v.index}` }),
        el("dt", { text: "Receipt checkpoint" }), el("dd", { text: `${v.size} entries, root ${v.root.slice(0, 16)}…` }),
        el("dt", { text: "Latest checkpoint" }), el("dd", { text: `${v.latest_size} entries, root ${v.latest_root.slice(0, 16)}…` }));
      const counted = await countedStatus(JSON.parse(entryText), v.latest_size);
      item(counted.cls, counted.text);
      showMsg($("verdict"), counted.verdict, counted.title, counted.detail || "");
    } catch (e) {
      showError($("verdict"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-secondary", text: "Try again", onclick: () => check(text) })));
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
    if (later !== null) return { cls: "bad", text: `A later ballot with the same credential (entry #${later}) replaces this one: only the last ballot counts.`, verdict: "warn", title: "Your ballot is on the board, but a later ballot replaced it", detail: `Only the last ballot cast with a credential is counted. The later one is entry #${later}.` };
    if (result !== null) return { cls: "ok", text: `Counted: the election closed and the published result (entry #${result}) includes it.`, verdict: "ok", title: "Your ballot is on the board and was counted", detail: "It is the last ballot of your credential before the election closed, and the published result counts it. Anyone can confirm the result from the record with tabella verify." };
    if (closed !== null) return { cls: "wait", text: "The election is closed; the count has not been published yet.", verdict: "ok", title: "Your ballot is on the board", detail: "Voting is closed. It will be counted when the trustees publish the result; check again then." };
    return { cls: "wait", text: "The election is still open: your ballot will be counted unless you cast another one.", verdict: "ok", title: "Your ballot is on the board", detail: "Counting happens after the election closes. Check again then to see it counted." };
  }
})();
