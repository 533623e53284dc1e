// The voter page: credential, ballot form, encryption in WebAssembly,
// Benaloh check, cast, receipt (e2e/SPEC.md §7, §8.6).
"use strict";

(() => {
  const { el, api, call, showMsg, showError, explain, setText } = T;
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
  // Other fragments (the skip link's #main) are left alone.
  function takeFragment() {
    if (location.hash.length <= 1) return;
    let h = location.hash.slice(1);
    try { h = decodeURIComponent(h); } catch (_) { return; }
    const cred = h.startsWith("cred=") ? h.slice(5) : h;
    if (!/^tc1-/i.test(cred.trim())) return;
    if (!$("credential").readOnly) $("credential").value = cred;
    history.replaceState(null, "", location.pathname + location.search);
  }
  takeFragment();
  window.addEventListener("hashchange", takeFragment);

  // Download and compile the ballot client now; start it once the ballot
  // is on screen (it runs on the main thread).
  T.prefetchWasm().catch(() => {});
  let wasm = null;
  function startWasm() {
    wasm = T.loadWasm().then(() => { T.setText($("wasm-status"), ""); }, (e) => {
      showMsg($("page-msg"), "bad", ["vote.client_failed"], ["vote.client_failed_text"]);
      throw e;
    });
    return wasm;
  }
  T.ready.then(() => { if (!wasm || !globalThis.tabella) setText($("wasm-status"), ["vote.preparing"]); });

  async function start() {
    await T.ready;
    if (!id) {
      showMsg($("page-msg"), "bad", ["common.no_election"], ["common.no_election_text"]);
      return;
    }
    try {
      info = await api(`/v1/elections/${id}`);
    } catch (e) {
      setText($("title"), ["common.unavailable"]);
      $("contests").replaceChildren();
      showError($("page-msg"), e, {}, el("p", {}, el("button", { class: "btn btn-secondary", type: "button", onclick: () => location.reload(), text: ["common.retry"] })));
      return;
    }
    manifest = T.manifestOf(info);
    T.setTitle(["common.page_title", { title: { loc: manifest } }]);
    setText($("title"), T.loc(manifest));
    $("meta").replaceChildren(T.phaseBadge(info.phase),
      el("span", { text: ["common.voting_period", { opens: { date: manifest.schedule.opens }, closes: { date: manifest.schedule.closes } }] }),
      el("span", { text: ["vote.questions", { n: manifest.contests.length }] }));
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
      showMsg($("page-msg"), "bad", ["vote.data_bad"], ...T.because(e));
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
      showMsg($("page-msg"), "ok", ["vote.now_open"], ["vote.now_open_text"]);
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
    $("board-check").replaceChildren(el("span", { class: "tick", id: "board-ok", text: ["vote.board_ok"] }));
    return r;
  }

  function startBoardCheck() {
    // The line is there before the check ends, so the form does not move
    // under the voter's finger when the result arrives.
    if (!$("board-ok")) setText($("board-check"), ["vote.board_checking"]);
    boardCheck = checkBoard();
    boardCheck.catch((e) => {
      if (e instanceof T.ApiError) return; // the network: retried before casting
      setText($("board-check"), "");
      ready = false;
      updateButton();
      showMsg($("page-msg"), "bad", ["vote.mismatch"], ["vote.mismatch_text", { reason: e.message }]);
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
      showMsg($("page-msg"), "warn", ["err.closed.title"], ["vote.closed_text"], ph === "tallied" ? el("p", { text: ["vote.results_on", { link: el("a", { href: `/e/${id}/observe`, text: ["vote.observer_page"] }) }] }) : null);
    } else {
      showMsg($("page-msg"), "warn", ["err.not_open.title"], ["vote.not_open_text", { opens: { date: manifest.schedule.opens } }]);
    }
  }

  // --- The ballot form -------------------------------------------------

  function renderContests() {
    const box = $("contests");
    box.replaceChildren();
    for (const c of manifest.contests) {
      const rule = el("p", { class: "rule", id: `rule-${c.id}`, text: T.kindRule(c) });
      const counter = el("p", { class: "counter", id: `count-${c.id}`, "aria-live": "polite" });
      const fs = el("fieldset", { class: "contest", "data-contest": c.id, "aria-describedby": `rule-${c.id} count-${c.id}` }, el("legend", { text: T.loc(c) }), rule);
      const opts = el("div", { class: "options" });
      if (c.kind === "ranked") {
        TR.render(c, fs, updateButton); // rank.js
        box.append(fs);
        continue;
      }
      c.options.forEach((o, j) => {
        const inputId = `opt-${c.id}-${j}`;
        if (c.kind === "one_of_n") {
          opts.append(el("label", { class: "option", for: inputId }, el("input", { type: "radio", id: inputId, name: `c-${c.id}`, value: String(j) }), el("span", { class: "opt-title", text: T.loc(o) })));
        } else if (c.kind === "approval") {
          opts.append(el("label", { class: "option", for: inputId }, el("input", { type: "checkbox", id: inputId, name: `c-${c.id}`, value: String(j) }), el("span", { class: "opt-title", text: T.loc(o) })));
        } else if (c.kind === "score") {
          const sel = el("select", { id: inputId, name: `c-${c.id}`, "aria-label": ["vote.points_for", { title: { loc: o } }] });
          for (let s = 0; s <= c.max_score; s++) sel.append(el("option", { value: String(s), text: ["vote.points", { n: s }] }));
          opts.append(el("div", { class: "option" }, el("label", { class: "opt-title", for: inputId, text: T.loc(o) }), sel));
        }
      });
      fs.append(opts, counter);
      if (c.kind === "one_of_n" && !c.min_selections) {
        fs.append(el("button", { type: "button", class: "linkish", text: ["vote.clear"], onclick: () => { fs.querySelectorAll("input").forEach((i) => (i.checked = false)); update(c); } }));
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
      setText(counter, [sum >= hi && hi < c.options.length ? "vote.count_full" : lo > sum ? "vote.count_min" : "vote.count", { sum, n: hi, lo }]);
      counter.className = "counter" + (sum >= hi ? " full" : "");
    } else if (c.kind === "score") {
      c.options.forEach((o, j) => {
        const sel = fs.querySelector(`#opt-${CSS.escape(c.id)}-${j}`);
        const room = hi - (sum - v[j]);
        for (const opt of sel.options) opt.disabled = Number(opt.value) > room;
      });
      setText(counter, [sum < lo ? "vote.points_used_min" : "vote.points_used", { sum, n: hi, lo }]);
      counter.className = "counter" + (sum > hi ? " over" : sum === hi ? " full" : "");
    } else {
      setText(counter, sum ? "" : lo ? ["vote.no_choice"] : ["vote.blank"]);
      counter.className = "counter";
    }
    updateButton();
  }

  function problems() {
    const out = [];
    for (const c of manifest.contests) {
      if (c.kind === "ranked") { const p = TR.problem(c); if (p) out.push({ c, text: p }); continue; }
      const sum = values(c).reduce((a, b) => a + b, 0);
      const [lo, hi] = sumRange(c);
      if (sum < lo) out.push({ c, text: [c.kind === "score" ? "vote.problem_points" : c.kind === "one_of_n" ? "vote.problem_one" : "vote.problem_min", { title: { loc: c }, n: lo }] });
      if (sum > hi) out.push({ c, text: ["vote.problem_max", { title: { loc: c }, n: hi }] });
    }
    return out;
  }

  function updateButton() {
    const b = $("encrypt");
    b.disabled = !manifest || !ready || info.phase !== "open" || current !== null;
  }

  function choices() {
    const ch = {};
    for (const c of manifest.contests) ch[c.id] = c.kind === "ranked" ? TR.ranking(c) : values(c);
    return ch;
  }

  function setFormLocked(locked) {
    manifest.contests.forEach((c) => { if (c.kind === "ranked") TR.lock(c, locked); });
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
      else showMsg($("cred-error"), "bad", ["vote.enter_cred"], ["vote.enter_cred_text"]);
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
    $("summary").replaceChildren(...manifest.contests.flatMap((c) => [el("dt", { text: T.loc(c) }), el("dd", { text: T.describeContest(c, ch[c.id]) })]));
    $("fresh-note").replaceChildren();
    if (note) showMsg($("fresh-note"), "info", ["vote.fresh"], note);
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
      showMsg($("ballot-error"), "bad", ["vote.complete"], "", el("ul", {}, p.map((x) => el("li", { text: x.text }))));
      const first = document.querySelector(`fieldset[data-contest="${CSS.escape(p[0].c.id)}"] :is(input, select, button:not(:disabled))`);
      if (first) first.focus();
      return;
    }
    $("encrypt").disabled = true;
    $("wasm-status").replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), " ", el("span", { text: ["vote.encrypting"] }));
    await T.sleep(20); // let the status paint before the CPU-bound work
    try {
      encryptNow();
    } catch (e) {
      setText($("wasm-status"), "");
      showMsg($("ballot-error"), "bad", ["vote.encrypt_failed"], ...T.because(e));
      updateButton();
      return;
    }
    setText($("wasm-status"), "");
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
    const first = $("step-ballot").querySelector("input, select, button.rank-btn:not(:disabled)");
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
      showMsg($("cast-status"), "bad", ["vote.check_failed"], ...T.because(e));
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
      encryptNow(["vote.fresh_text", { code: checked.tracking_code }]);
    } catch (e) {
      showMsg($("cast-status"), "bad", ["vote.reencrypt_failed"], ...T.because(e));
    }
    $("spoiled-h").focus();
  });

  const spoiledFile = (checked) => `tabella-checked-${id}-${checked.tracking_code}.json`;

  function renderSpoiled(checked, sp, published) {
    const body = $("spoiled-body");
    // A ranked contest's opened values are compared as the option ids
    // they rank (the page encrypted the ids; the ballot holds numbers).
    const openedOf = (c) => (c.kind === "ranked" ? sp.rankings[c.id] : sp.choices[c.id]);
    const rows = manifest.contests.map((c) => {
      const picked = T.describeContest(c, checked.choices[c.id]);
      const opened = T.describeContest(c, openedOf(c));
      const same = JSON.stringify(checked.choices[c.id]) === JSON.stringify(openedOf(c));
      return el("tr", {}, el("th", { scope: "row", text: T.loc(c) }), el("td", { "data-label": ["vote.col_chose"], text: picked }), el("td", { "data-label": ["vote.col_contained"], text: opened }),
        el("td", {}, same ? el("span", { class: "tick", text: ["vote.same"] }) : el("span", { class: "cross", text: ["vote.differs"] })));
    });
    const allSame = manifest.contests.every((c) => JSON.stringify(checked.choices[c.id]) === JSON.stringify(openedOf(c)));
    const status = el("div", { id: "spoil-status" });
    if (published === true) showMsg(status, "ok", ["vote.published"], ["vote.published_text"]);
    else if (published === "publishing") showMsg(status, "info", ["vote.publishing"], "");
    else if (published === "retrying") showMsg(status, "warn", ["vote.retrying"], "");
    else showError(status, published, { opens: manifest.schedule.opens }, published && published.retryable ? el("div", { class: "actions" }, el("button", {
      type: "button", class: "btn btn-secondary", text: ["vote.retry_publish"],
      onclick: async () => {
        renderSpoiled(checked, sp, "publishing");
        try { await T.postEntry(id, sp.submission); renderSpoiled(checked, sp, true); } catch (e) { renderSpoiled(checked, sp, e); }
      },
    })) : null);
    body.replaceChildren(
      allSame ? el("div", { class: "msg msg-ok" }, el("div", {}, el("strong", { text: ["vote.contained_same"] }), el("p", { text: ["vote.contained_same_text", { code: checked.tracking_code }] })))
        : el("div", { class: "msg msg-bad", role: "alert" }, el("div", {}, el("strong", { text: ["vote.contained_differs"] }), el("p", { text: ["vote.contained_differs_text", { code: checked.tracking_code }] }))),
      el("table", { class: "compare stack" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["common.question"] }), el("th", { scope: "col", text: ["vote.col_chose"] }), el("th", { scope: "col", text: ["vote.col_contained"] }), el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: ["vote.col_match"] })))), el("tbody", {}, rows)),
      status,
      el("h3", { class: "small eyebrow", text: ["vote.confirm"] }),
      el("ul", {},
        el("li", { text: ["vote.confirm_device", { link: el("a", { href: `/e/${id}/spoiled#${checked.tracking_code}`, text: `${location.host}/e/${id}/spoiled` }), code: checked.tracking_code }] }),
        el("li", { text: ["vote.confirm_tool", { cmd: el("code", { text: `tabella verify --spoiled ${spoiledFile(checked)} --server ${location.origin} --election ${id}` }) }] })),
      el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-secondary", id: "download-checked", text: ["vote.download_checked"], onclick: () => T.download(spoiledFile(checked), T.hexToText(sp.submission.payload)) })),
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
      if (e instanceof T.ApiError) showError($("cast-status"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-primary", text: ["common.retry"], onclick: () => $("cast").click() })));
      else showMsg($("cast-status"), "bad", ["vote.mismatch"], ["vote.mismatch_cast_text", { reason: e.message }]);
      return;
    }
    let sub;
    try {
      sub = call("cast", current.handle); // from now on this encryption can never be revealed
    } catch (e) {
      casting = false;
      showMsg($("cast-status"), "bad", ["vote.cast_failed"], ...T.because(e));
      return;
    }
    await submitCast(sub);
  });

  async function submitCast(sub) {
    showMsg($("cast-status"), "info", ["vote.casting"], ["vote.casting_text"]);
    let receiptText;
    try {
      receiptText = await T.postEntry(id, sub, (n) => showMsg($("cast-status"), "warn", ["vote.retrying"], ["vote.attempt", { n: n + 1 }]));
    } catch (e) {
      if (e.retryable) {
        showError($("cast-status"), e, {}, el("div", { class: "actions" }, el("button", { type: "button", class: "btn btn-primary", text: ["common.retry"], onclick: () => submitCast(sub) })));
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
    setText($("receipt-code"), current.tracking_code);
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
        li("ok", ["receipt.signed"]),
        li("ok", ["vote.receipt_entry", { index: String(v.index), n: v.size }]));
      $("receipt-kv").replaceChildren(
        el("dt", { text: ["common.board_entry"] }), el("dd", { text: `#${v.index}` }),
        el("dt", { text: ["common.checkpoint"] }), el("dd", { text: ["common.entries", { n: v.size }] }),
        el("dt", { text: ["common.tree_root"] }), el("dd", { class: "mono", text: v.root }),
        el("dt", { text: ["common.entry_hash"] }), el("dd", { class: "mono", text: v.entry_hash }));
    } catch (e) {
      checks.replaceChildren(li("bad", ["vote.receipt_bad", { reason: String(e.message || e) }]));
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
    showMsg($("receipt-msg"), "ok", ["vote.on_board"], ["vote.on_board_text"]);
    $("receipt-h").focus();
  }

  start();
})();
