// The voter page: credential, ballot form, encryption in WebAssembly,
// Benaloh check, cast, receipt (e2e/SPEC.md §7, §8.6).
"use strict";

(() => {
  const { el, api, call, showMsg, showError, explain } = T;
  const $ = (id) => document.getElementById(id);
  const id = T.electionId();
  let info = null;       // GET /v1/elections/{id}
  let manifest = null;
  let current = null;    // the encryption on screen: {handle, tracking_code, choices}
  let casting = false;
  let ready = false;     // the election is loaded into the WebAssembly client

  T.initNav("vote");

  // The credential may arrive in the URL fragment (#TC1-… or #cred=TC1-…).
  // Take it and remove it from the address bar and history at once.
  function takeFragment() {
    if (location.hash.length <= 1) return;
    const h = decodeURIComponent(location.hash.slice(1));
    if (!$("credential").readOnly) $("credential").value = h.startsWith("cred=") ? h.slice(5) : h;
    history.replaceState(null, "", location.pathname + location.search);
  }
  takeFragment();
  window.addEventListener("hashchange", takeFragment);

  // Download and compile the ballot client now; start it once the ballot
  // is on screen (it runs on the main thread).
  T.prefetchWasm().catch(() => {});
  let wasm = null;
  function startWasm() {
    wasm = T.loadWasm().then(() => { $("wasm-status").textContent = ""; }, (e) => {
      showMsg($("page-msg"), "bad", "The ballot client could not start", "This browser could not run the encryption code (WebAssembly). Try an up-to-date browser.");
      throw e;
    });
    return wasm;
  }
  $("wasm-status").textContent = "Preparing encryption…";

  async function start() {
    if (!id) {
      showMsg($("page-msg"), "bad", "No election", "This address does not name an election.");
      return;
    }
    try {
      info = await api(`/v1/elections/${id}`);
    } catch (e) {
      $("title").textContent = "Election unavailable";
      $("contests").replaceChildren();
      showError($("page-msg"), e, {}, el("p", {}, el("button", { class: "btn btn-secondary", type: "button", onclick: () => location.reload(), text: "Retry" })));
      return;
    }
    manifest = T.manifestOf(info);
    document.title = `${manifest.title} · Tabella`;
    $("title").textContent = manifest.title;
    $("meta").replaceChildren(T.phaseBadge(info.phase),
      el("span", { text: `Voting ${T.fmtTime(manifest.schedule.opens)} – ${T.fmtTime(manifest.schedule.closes)}` }),
      el("span", { text: `${manifest.contests.length} question${manifest.contests.length > 1 ? "s" : ""}` }));
    renderContests();
    document.body.dataset.formMs = String(performance.now());
    phaseMessage();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); // let the ballot paint first
    try {
      await startWasm();
      call("loadElection", JSON.stringify(info));
      ready = !!info.joint_key;
      if (ready) startBoardCheck();
      // While the voter reads and picks, encrypt one throwaway ballot so
      // the browser optimises the encryption code before it matters.
      if (ready && info.phase === "open") setTimeout(() => { try { call("warmUp"); } catch (_) {} document.body.dataset.warm = "1"; }, 300);
    } catch (e) {
      showMsg($("page-msg"), "bad", "The election data did not check out", String(e.message || e));
      return;
    }
    updateButton();
    document.body.dataset.readyMs = String(performance.now());
    if (info.phase !== "open" && info.phase !== "closed" && info.phase !== "tallied") setTimeout(recheck, 10000);
  }

  // recheck follows an election that is not open yet, and enables the
  // ballot when the officials open it.
  async function recheck() {
    try {
      const next = await api(`/v1/elections/${id}`);
      if (next.phase !== "open") { setTimeout(recheck, 10000); return; }
      info = next;
      call("loadElection", JSON.stringify(info));
      ready = !!info.joint_key;
      if (ready) startBoardCheck();
      $("meta").firstChild.replaceWith(T.phaseBadge(info.phase));
      showMsg($("page-msg"), "ok", "Voting is open", "You can vote now.");
      updateButton();
    } catch (_) {
      setTimeout(recheck, 10000);
    }
  }

  // checkBoard confirms that the manifest, joint key and ceremony hash
  // this page encrypts with are the ones on the public board (read from
  // entry 0, chained, and extended by the board's signed checkpoint). A
  // ballot is cast only after this check passed.
  let boardCheck = null;
  async function checkBoard() {
    call("setupBegin");
    let next = 0;
    for (;;) {
      const page = await api(`/v1/elections/${id}/entries?start=${next}&end=${next + 1000}`, { raw: true });
      const p = call("setupPage", page);
      next = p.next;
      if (p.done) break;
    }
    const note = await api(`/v1/elections/${id}/checkpoint`, { raw: true });
    const size = Number(note.split("\n")[1]);
    const proof = size > next ? await api(`/v1/elections/${id}/proof/consistency?old=${next}&new=${size}`, { raw: true }) : "";
    const r = call("setupFinish", note, proof);
    $("board-check").replaceChildren(el("span", { class: "tick", id: "board-ok", text: `✓ Election key matches the public board` }));
    return r;
  }

  function startBoardCheck() {
    // The line is there before the check ends, so the form does not move
    // under the voter's finger when the result arrives.
    if (!$("board-ok")) $("board-check").textContent = "Checking the election key against the public board…";
    boardCheck = checkBoard();
    boardCheck.catch((e) => {
      if (e instanceof T.ApiError) return; // the network: retried before casting
      $("board-check").textContent = "";
      ready = false;
      updateButton();
      showMsg($("page-msg"), "bad", "This page's election data does not match the public board", `Do not vote from this page: ${e.message}. Report this to the election officials and observers.`);
    });
  }

  // boardChecked waits for the check, retrying it once if the network
  // failed; it throws if the board contradicts the page's data.
  async function boardChecked() {
    try {
      return await boardCheck;
    } catch (e) {
      if (e instanceof T.ApiError && e.retryable) {
        startBoardCheck();
        return await boardCheck;
      }
      throw e;
    }
  }

  function phaseMessage() {
    const ph = info.phase;
    if (ph === "open") return;
    if (ph === "closed" || ph === "tallied") {
      showMsg($("page-msg"), "warn", "Voting is closed", "This election no longer accepts ballots.", ph === "tallied" ? el("p", {}, "The results are published on the ", el("a", { href: `/e/${id}/observe`, text: "observer page" }), ".") : null);
    } else {
      showMsg($("page-msg"), "warn", "Voting has not opened yet", `This election opens on ${T.fmtTime(manifest.schedule.opens)}. You can look at the ballot now; you can vote once it opens.`);
    }
  }

  // --- The ballot form -------------------------------------------------

  function renderContests() {
    const box = $("contests");
    box.replaceChildren();
    for (const c of manifest.contests) {
      const rule = el("p", { class: "rule", id: `rule-${c.id}`, text: T.kindRule(c) });
      const counter = el("p", { class: "counter", id: `count-${c.id}`, "aria-live": "polite" });
      const fs = el("fieldset", { class: "contest", "data-contest": c.id, "aria-describedby": `rule-${c.id} count-${c.id}` }, el("legend", { text: c.title }), rule);
      const opts = el("div", { class: "options" });
      if (c.kind === "ranked") {
        fs.append(el("div", { class: "msg msg-warn" }, el("div", {}, el("strong", { text: "Ranked questions are not supported in the browser yet" }), el("p", { text: "This election has a ranked question, which this page cannot encrypt yet. Please use the voting method your election officials describe." }))));
        box.append(fs);
        continue;
      }
      c.options.forEach((o, j) => {
        const inputId = `opt-${c.id}-${j}`;
        if (c.kind === "one_of_n") {
          opts.append(el("label", { class: "option", for: inputId }, el("input", { type: "radio", id: inputId, name: `c-${c.id}`, value: String(j) }), el("span", { class: "opt-title", text: o.title })));
        } else if (c.kind === "approval") {
          opts.append(el("label", { class: "option", for: inputId }, el("input", { type: "checkbox", id: inputId, name: `c-${c.id}`, value: String(j) }), el("span", { class: "opt-title", text: o.title })));
        } else if (c.kind === "score") {
          const sel = el("select", { id: inputId, name: `c-${c.id}`, "aria-label": `Points for ${o.title}` });
          for (let s = 0; s <= c.max_score; s++) sel.append(el("option", { value: String(s), text: `${s} point${s === 1 ? "" : "s"}` }));
          opts.append(el("div", { class: "option" }, el("label", { class: "opt-title", for: inputId, text: o.title }), sel));
        }
      });
      fs.append(opts, counter);
      if (c.kind === "one_of_n" && !c.min_selections) {
        fs.append(el("button", { type: "button", class: "linkish", text: "Clear this choice", onclick: () => { fs.querySelectorAll("input").forEach((i) => (i.checked = false)); update(c); } }));
      }
      fs.addEventListener("change", () => update(c));
      box.append(fs);
      update(c);
    }
    updateButton();
  }

  function values(c) {
    const fs = document.querySelector(`fieldset[data-contest="${CSS.escape(c.id)}"]`);
    if (c.kind === "score") return c.options.map((o, j) => Number(fs.querySelector(`#opt-${CSS.escape(c.id)}-${j}`).value));
    return c.options.map((o, j) => (fs.querySelector(`#opt-${CSS.escape(c.id)}-${j}`).checked ? 1 : 0));
  }

  // The contest's allowed range for the sum of its selections (SPEC §6.1).
  function sumRange(c) {
    if (c.kind === "one_of_n") return [c.min_selections || 0, 1];
    if (c.kind === "approval") return [c.min_selections || 0, c.max_selections];
    return [c.min_total || 0, c.max_total || c.options.length * c.max_score];
  }

  // update enforces a contest's limits as the voter picks: at the limit of
  // an approval contest the other boxes are disabled; a score contest
  // caps each option at what the total still allows.
  function update(c) {
    const v = values(c);
    const sum = v.reduce((a, b) => a + b, 0);
    const [lo, hi] = sumRange(c);
    const counter = $(`count-${c.id}`);
    const fs = document.querySelector(`fieldset[data-contest="${CSS.escape(c.id)}"]`);
    if (c.kind === "approval") {
      fs.querySelectorAll("input").forEach((i) => { i.disabled = !i.checked && sum >= hi; });
      counter.textContent = `${sum} of ${hi} chosen` + (sum >= hi && hi < c.options.length ? " — the most you can choose. Untick one to change." : lo > sum ? ` — choose at least ${lo}.` : "");
      counter.className = "counter" + (sum >= hi ? " full" : "");
    } else if (c.kind === "score") {
      c.options.forEach((o, j) => {
        const sel = fs.querySelector(`#opt-${CSS.escape(c.id)}-${j}`);
        const room = hi - (sum - v[j]);
        for (const opt of sel.options) opt.disabled = Number(opt.value) > room;
      });
      counter.textContent = `${sum} of ${hi} points used` + (sum < lo ? ` — give at least ${lo} in total.` : "");
      counter.className = "counter" + (sum > hi ? " over" : sum === hi ? " full" : "");
    } else {
      counter.textContent = sum ? "" : lo ? "No choice yet." : "Blank (no choice).";
      counter.className = "counter";
    }
    updateButton();
  }

  function problems() {
    const out = [];
    for (const c of manifest.contests) {
      if (c.kind === "ranked") { out.push({ c, text: `“${c.title}” is a ranked question, which this page cannot encrypt yet.` }); continue; }
      const sum = values(c).reduce((a, b) => a + b, 0);
      const [lo, hi] = sumRange(c);
      if (sum < lo) out.push({ c, text: c.kind === "score" ? `“${c.title}”: give at least ${lo} points in total.` : `“${c.title}”: choose ${c.kind === "one_of_n" ? "one option" : `at least ${lo}`}.` });
      if (sum > hi) out.push({ c, text: `“${c.title}”: at most ${hi}.` });
    }
    return out;
  }

  function updateButton() {
    const b = $("encrypt");
    b.disabled = !manifest || !ready || info.phase !== "open" || current !== null || manifest.contests.some((c) => c.kind === "ranked");
  }

  function choices() {
    const ch = {};
    for (const c of manifest.contests) ch[c.id] = values(c);
    return ch;
  }

  function setFormLocked(locked) {
    $("step-ballot").querySelectorAll("input, select, button.linkish").forEach((i) => { i.dataset.locked = locked ? "1" : ""; if (locked) i.disabled = true; });
    if (!locked) manifest.contests.forEach((c) => { if (c.kind !== "ranked") { document.querySelectorAll(`fieldset[data-contest="${CSS.escape(c.id)}"] input, fieldset[data-contest="${CSS.escape(c.id)}"] select, fieldset[data-contest="${CSS.escape(c.id)}"] button`).forEach((i) => (i.disabled = false)); update(c); } });
    $("credential").readOnly = locked;
  }

  // --- Encrypt, check, cast -------------------------------------------

  function credentialOK() {
    const input = $("credential");
    try {
      call("checkCredential", input.value);
      input.removeAttribute("aria-invalid");
      $("cred-error").replaceChildren();
      return true;
    } catch (e) {
      input.setAttribute("aria-invalid", "true");
      const ex = explain({ code: input.value.trim() ? "bad_credential" : "" });
      if (input.value.trim()) showMsg($("cred-error"), "bad", ex.title, ex.text);
      else showMsg($("cred-error"), "bad", "Enter your credential", "It is printed on your voting card and starts with TC1-.");
      input.focus();
      return false;
    }
  }

  function encryptNow(note) {
    const ch = choices();
    const t0 = performance.now();
    const enc = call("encrypt", $("credential").value, JSON.stringify(ch));
    enc.choices = ch;
    enc.page_ms = performance.now() - t0;
    current = enc;
    document.body.dataset.encryptMs = String(enc.page_ms);
    $("tracking").textContent = enc.tracking_code;
    $("summary").replaceChildren(...manifest.contests.flatMap((c) => [el("dt", { text: c.title }), el("dd", { text: T.describeContest(c, ch[c.id]) })]));
    $("fresh-note").replaceChildren();
    if (note) showMsg($("fresh-note"), "info", "Fresh encryption", note);
    $("cast-status").replaceChildren();
    $("step-review").hidden = false;
    ["cast", "check", "change"].forEach((b) => ($(b).disabled = false));
    return enc;
  }

  $("step-ballot").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("ballot-error").replaceChildren();
    $("cred-error").replaceChildren();
    if (!credentialOK()) return;
    const p = problems();
    if (p.length) {
      showMsg($("ballot-error"), "bad", "Please complete your ballot", "", el("ul", {}, p.map((x) => el("li", { text: x.text }))));
      const first = document.querySelector(`fieldset[data-contest="${CSS.escape(p[0].c.id)}"] input, fieldset[data-contest="${CSS.escape(p[0].c.id)}"] select`);
      if (first) first.focus();
      return;
    }
    $("encrypt").disabled = true;
    $("wasm-status").replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), " Encrypting…");
    await T.sleep(20); // let the status paint before the CPU-bound work
    try {
      encryptNow();
    } catch (e) {
      $("wasm-status").textContent = "";
      showMsg($("ballot-error"), "bad", "Could not encrypt the ballot", String(e.message || e));
      updateButton();
      return;
    }
    $("wasm-status").textContent = "";
    setFormLocked(true);
    $("review-h").focus();
  });

  $("change").addEventListener("click", () => {
    if (!current || casting) return;
    call("discard", current.handle);
    current = null;
    $("step-review").hidden = true;
    setFormLocked(false);
    updateButton();
    const first = $("step-ballot").querySelector("input, select");
    if (first) first.focus();
  });

  $("check").addEventListener("click", async () => {
    if (!current || casting) return;
    const checked = current;
    ["cast", "check", "change"].forEach((b) => ($(b).disabled = true));
    let sp;
    try {
      sp = call("spoil", checked.handle);
    } catch (e) {
      showMsg($("cast-status"), "bad", "Could not check this encryption", String(e.message || e));
      return;
    }
    current = null;
    renderSpoiled(checked, sp, "publishing");
    $("spoiled-panel").hidden = false;
    // Publish the check, then encrypt afresh: the checked encryption's
    // randomness is now known, so it must never be cast.
    let published = null;
    try {
      await T.postEntry(id, sp.submission, () => renderSpoiled(checked, sp, "retrying"));
      published = true;
    } catch (e) {
      published = e;
    }
    renderSpoiled(checked, sp, published);
    if (published !== true && !published.retryable) {
      refused(published);
      return;
    }
    try {
      encryptNow(`The checked encryption (${checked.tracking_code}) can never be cast. Your choices were encrypted again with fresh randomness; this is a new encryption with a new tracking code.`);
    } catch (e) {
      showMsg($("cast-status"), "bad", "Could not encrypt the ballot again", String(e.message || e));
    }
    $("spoiled-h").focus();
  });

  const spoiledFile = (checked) => `tabella-checked-${id}-${checked.tracking_code}.json`;

  function renderSpoiled(checked, sp, published) {
    const body = $("spoiled-body");
    const rows = manifest.contests.map((c) => {
      const picked = T.describeContest(c, checked.choices[c.id]);
      const opened = T.describeContest(c, sp.choices[c.id]);
      const same = JSON.stringify(checked.choices[c.id]) === JSON.stringify(sp.choices[c.id]);
      return el("tr", {}, el("th", { scope: "row", text: c.title }), el("td", { text: picked }), el("td", { text: opened }),
        el("td", {}, same ? el("span", { class: "tick", text: "✓ same" }) : el("span", { class: "cross", text: "✕ differs" })));
    });
    const allSame = manifest.contests.every((c) => JSON.stringify(checked.choices[c.id]) === JSON.stringify(sp.choices[c.id]));
    const status = el("div", { id: "spoil-status" });
    if (published === true) showMsg(status, "ok", "Published on the board", `Anyone can now open this checked encryption and see what it contained.`);
    else if (published === "publishing") showMsg(status, "info", "Publishing the check…", "");
    else if (published === "retrying") showMsg(status, "warn", "Network trouble: retrying…", "");
    else showError(status, published, { opens: manifest.schedule.opens }, published && published.retryable ? el("div", { class: "actions" }, el("button", {
      type: "button", class: "btn btn-secondary", text: "Retry publishing the check",
      onclick: async () => {
        renderSpoiled(checked, sp, "publishing");
        try { await T.postEntry(id, sp.submission); renderSpoiled(checked, sp, true); } catch (e) { renderSpoiled(checked, sp, e); }
      },
    })) : null);
    body.replaceChildren(
      allSame ? el("div", { class: "msg msg-ok" }, el("div", {}, el("strong", { text: "The encryption contained exactly what you chose." }), el("p", { text: `Tracking code ${checked.tracking_code}. The browser opened it with its secret randomness and checked every proof.` })))
        : el("div", { class: "msg msg-bad", role: "alert" }, el("div", {}, el("strong", { text: "The encryption did NOT contain what you chose." }), el("p", { text: "Do not cast a ballot from this device. Report this to the election officials, with the tracking code " + checked.tracking_code + "." }))),
      el("table", { class: "compare" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Question" }), el("th", { scope: "col", text: "You chose" }), el("th", { scope: "col", text: "Encryption contained" }), el("th", { scope: "col", text: "" }))), el("tbody", {}, rows)),
      status,
      el("h3", { class: "small eyebrow", text: "Confirm it independently" }),
      el("ul", {},
        el("li", {}, "On another device, open ", el("a", { href: `/e/${id}/spoiled#${checked.tracking_code}`, text: `${location.host}/e/${id}/spoiled` }), ` and enter ${checked.tracking_code}.`),
        el("li", {}, "Or download it and check it with the Tabella tool: ", el("code", { text: `tabella verify --spoiled ${spoiledFile(checked)} --server ${location.origin} --election ${id}` }), ".")),
      el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-secondary", id: "download-checked", text: "Download the checked encryption", onclick: () => T.download(spoiledFile(checked), T.hexToText(sp.submission.payload)) })),
    );
  }

  $("cast").addEventListener("click", async () => {
    if (!current || casting) return;
    casting = true;
    ["cast", "check", "change"].forEach((b) => ($(b).disabled = true));
    try {
      await boardChecked();
    } catch (e) {
      casting = false;
      ["cast", "check", "change"].forEach((b) => ($(b).disabled = false));
      if (e instanceof T.ApiError) showError($("cast-status"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-primary", text: "Retry", onclick: () => $("cast").click() })));
      else showMsg($("cast-status"), "bad", "This page's election data does not match the public board", `Do not cast from this page: ${e.message}. Report this to the election officials and observers.`);
      return;
    }
    let sub;
    try {
      sub = call("cast", current.handle); // from now on this encryption can never be revealed
    } catch (e) {
      casting = false;
      showMsg($("cast-status"), "bad", "Could not cast", String(e.message || e));
      return;
    }
    await submitCast(sub);
  });

  async function submitCast(sub) {
    showMsg($("cast-status"), "info", "Casting your ballot…", "Sending the encrypted, signed ballot to the board.");
    let receiptText;
    try {
      receiptText = await T.postEntry(id, sub, (n) => showMsg($("cast-status"), "warn", "Network trouble: retrying…", `Attempt ${n + 1}. Retrying is safe: the board never records the same ballot twice.`));
    } catch (e) {
      if (e.retryable) {
        showError($("cast-status"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-primary", text: "Retry", onclick: () => submitCast(sub) })));
        $("cast-status").querySelector("button").focus();
        return;
      }
      // The server refused: this encryption is finished. Let the voter
      // start again (a new encryption) after fixing the cause.
      casting = false;
      current = null;
      refused(e);
      return;
    }
    showReceipt(receiptText);
  }

  // refused shows a refusal where the voter can act on it and unlocks
  // the form: a credential problem at the credential, others at the ballot.
  function refused(e) {
    $("step-review").hidden = true;
    setFormLocked(false);
    updateButton();
    if (e.code === "not_on_roll") {
      $("credential").setAttribute("aria-invalid", "true");
      showError($("cred-error"), e, {});
      $("credential").focus();
    } else {
      showError($("ballot-error"), e, { opens: manifest.schedule.opens });
      $("ballot-error").scrollIntoView({ block: "center" });
      $("encrypt").focus();
    }
  }

  function showReceipt(text) {
    const r = JSON.parse(text);
    const receipt = r.receipt || r;
    $("receipt-code").textContent = current.tracking_code;
    $("step-review").hidden = true;
    $("step-cred").hidden = true;
    $("step-ballot").hidden = true;
    $("receipt-panel").hidden = false;
    window.scrollTo(0, 0);
    const checks = $("receipt-checks");
    const li = (cls, text) => el("li", { class: cls, text });
    try {
      const v = call("checkReceipt", text, info.board_key || "", "", "", "");
      checks.replaceChildren(
        li("ok", "The receipt's checkpoint is signed by the election board."),
        li("ok", `Your ballot is entry #${v.index} of the board's tree of ${v.size} entries (inclusion proof checked in this browser).`));
      $("receipt-kv").replaceChildren(
        el("dt", { text: "Board entry" }), el("dd", { text: `#${v.index}` }),
        el("dt", { text: "Checkpoint" }), el("dd", { text: `${v.size} entries` }),
        el("dt", { text: "Tree root" }), el("dd", { class: "mono", text: v.root }),
        el("dt", { text: "Entry hash" }), el("dd", { class: "mono", text: v.entry_hash }));
    } catch (e) {
      checks.replaceChildren(li("bad", "The receipt did not verify: " + (e.message || e)));
    }
    // The receipt file is what `tabella vote` saves and `tabella receipt
    // check` reads: {"receipt","tracking_code","board_key"}, canonical.
    let file;
    try {
      file = call("receiptFile", text, current.tracking_code, info.board_key || "").file;
    } catch (e) {
      file = JSON.stringify({ receipt, tracking_code: current.tracking_code, board_key: info.board_key || "" });
    }
    $("receipt-raw").textContent = JSON.stringify(JSON.parse(file), null, 2);
    try { localStorage.setItem(`tabella.receipt.${id}`, file); } catch (_) {}
    $("download").onclick = () => T.download(`tabella-receipt-${id}-${current.tracking_code}.json`, file);
    $("check-link").href = `/e/${id}/receipt`;
    $("check-link2").href = `/e/${id}/receipt`;
    showMsg($("receipt-msg"), "ok", "Your ballot is on the public board", "Download the receipt and keep it. You may vote again before the election closes; only your last ballot counts.");
    $("receipt-h").focus();
  }

  start();
})();
