// Tabella web client: helpers shared by every page. Plain JavaScript, no
// build step. All cryptography is done by the Go code compiled to
// WebAssembly (tabella.wasm, cmd/tabellawasm); this file only fetches,
// renders and explains.
"use strict";

const T = (() => {
  // The election id is the path segment after /e/.
  function electionId() {
    const m = location.pathname.match(/^\/e\/([a-z0-9][a-z0-9._-]{0,63})(\/|$)/);
    return m ? m[1] : null;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // A failure the voter can meet, with a stable code.
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
    get retryable() {
      return this.code === "network" || this.status === 502 || this.status === 503 || this.status === 504 || this.code === "unavailable" || this.code === "rate_limited";
    }
  }

  // api calls the service. Network failures become code "network";
  // error bodies {"code","message"} become ApiError.
  async function api(path, opts = {}) {
    let resp;
    try {
      resp = await fetch(path, { cache: "no-store", ...opts });
    } catch (e) {
      throw new ApiError(0, "network", "The election server could not be reached.");
    }
    const text = await resp.text().catch(() => "");
    if (!resp.ok) {
      let code = "http_" + resp.status, message = text.slice(0, 300);
      try {
        const j = JSON.parse(text);
        if (j && typeof j.code === "string") { code = j.code; message = j.message || ""; }
      } catch (_) {}
      throw new ApiError(resp.status, code, message);
    }
    return opts.raw ? text : (text ? JSON.parse(text) : null);
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // post retries a submission on network failures and 5xx. Repeating the
  // exact same submission is safe: the board answers a repeat with the
  // receipt of the first entry and never appends twice (SPEC §8.1).
  async function postEntry(id, submission, onRetry) {
    const body = JSON.stringify(submission);
    let last;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) {
        if (onRetry) onRetry(attempt);
        await sleep(600 * 2 ** (attempt - 1));
      }
      try {
        return await api(`/v1/elections/${id}/entries`, { method: "POST", headers: { "Content-Type": "application/json" }, body, raw: true });
      } catch (e) {
        last = e;
        if (!(e instanceof ApiError) || !e.retryable) throw e;
      }
    }
    throw last;
  }

  // Human messages for every failure a voter can meet.
  function explain(err, ctx = {}) {
    const code = err && err.code;
    const detail = err && err.message ? err.message : "";
    const m = {
      network: ["Cannot reach the election server", "Check your connection, then press Retry. Retrying is safe: the same encrypted ballot is sent again, and the board never records it twice."],
      unavailable: ["The election server is busy or restarting", "Nothing was recorded yet. Wait a moment and press Retry; retrying never casts twice."],
      rate_limited: ["Too many attempts in a short time", "Wait a minute, then press Retry."],
      not_open: ["Voting has not opened yet", ctx.opens ? `This election opens on ${fmtTime(ctx.opens)}. Come back then; nothing was recorded.` : "Come back when the election opens; nothing was recorded."],
      closed: ["Voting is closed", "This election no longer accepts ballots. Nothing was recorded."],
      not_on_roll: ["This credential is not on the voter roll", "The credential is well formed, but no voter of this election has it. Check that you are on the right election's page and that you typed the credential exactly as printed. Nothing was recorded."],
      bad_credential: ["This is not a valid credential", "Credentials look like TC1-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. A typo was detected: please check each group of four characters."],
      bad_signature: ["The server rejected the ballot's signature", "Nothing was recorded. Reload the page and vote again; if it happens again, contact the election officials."],
      bad_proof: ["The server found the ballot's proofs invalid", "Nothing was recorded. Reload the page and vote again; if it happens again, contact the election officials."],
      wrong_election: ["This ballot was made for another election", "The page's election data is out of date. Reload the page and vote again. Nothing was recorded."],
      malformed: ["The server could not read the ballot", "Nothing was recorded. Reload the page and try again."],
      too_large: ["The ballot is too large for the server", "Nothing was recorded. Contact the election officials."],
      spoiled: ["This encryption was checked, so it cannot be cast", "Its secret randomness is public now. A fresh encryption was made; cast that one instead."],
      already_cast: ["This encryption was already cast", "It cannot be checked any more."],
      not_found: ["Not found", "The election or entry does not exist on this server."],
    }[code];
    if (m) return { title: m[0], text: m[1], detail: detail && code !== "network" ? detail : "" };
    if (err instanceof ApiError) return { title: `The server refused the request (${code})`, text: detail || "Nothing was recorded.", detail: "" };
    return { title: "Something went wrong", text: String(detail || err), detail: "" };
  }

  // showMsg renders a message box into container (an aria-live region).
  function showMsg(container, kind, title, text, ...extra) {
    container.replaceChildren(el("div", { class: `msg msg-${kind}`, role: kind === "bad" ? "alert" : null },
      el("div", {}, el("strong", { text: title }), text ? el("p", { text }) : null, ...extra)));
  }
  function showError(container, err, ctx, ...extra) {
    const e = explain(err, ctx);
    showMsg(container, "bad", e.title, e.text, e.detail ? el("p", { class: "small", text: "Server said: " + e.detail }) : null, ...extra);
  }

  function fmtTime(t) {
    const d = typeof t === "number" ? new Date(t) : new Date(t);
    if (isNaN(d)) return String(t);
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function hexToText(hex) {
    const b = new Uint8Array(hex.length / 2);
    for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.substr(2 * i, 2), 16);
    return new TextDecoder().decode(b);
  }

  // The WebAssembly client. load() starts it once; call() runs a function
  // and throws on {"error"}.
  // prefetchWasm starts downloading and compiling the module (off the
  // main thread); loadWasm then starts the Go program, which runs on the
  // main thread, so pages call it once their first content is shown.
  let wasmPromise = null, modulePromise = null;
  function prefetchWasm() {
    if (modulePromise) return modulePromise;
    const src = "/assets/tabella.wasm";
    modulePromise = WebAssembly.compileStreaming
      ? WebAssembly.compileStreaming(fetch(src))
      : fetch(src).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b));
    modulePromise.catch(() => { modulePromise = null; });
    return modulePromise;
  }
  function loadWasm() {
    if (wasmPromise) return wasmPromise;
    wasmPromise = new Promise((resolve, reject) => {
      const go = new Go();
      globalThis.tabellaReady = () => resolve(globalThis.tabella);
      prefetchWasm()
        .then((mod) => WebAssembly.instantiate(mod, go.importObject))
        .then((inst) => { go.run(inst); })
        .catch((e) => { wasmPromise = null; reject(e); });
    });
    return wasmPromise;
  }
  class WasmError extends Error {}
  function call(fn, ...args) {
    if (!globalThis.tabella) throw new WasmError("The ballot client is still loading.");
    const out = JSON.parse(globalThis.tabella[fn](...args.map((a) => (typeof a === "string" || typeof a === "number" ? a : a == null ? "" : JSON.stringify(a)))));
    if (out && typeof out.error === "string") throw new WasmError(out.error);
    return out;
  }

  // Phase labels for the badge.
  function phaseBadge(phase) {
    const label = { setup: "Being set up", ceremony: "Key ceremony", ready: "Ready to open", open: "Open for voting", closed: "Voting closed", tallied: "Results published" }[phase] || phase || "unknown";
    const cls = phase === "open" ? "open" : phase === "closed" || phase === "tallied" ? phase : "setup";
    return el("span", { class: `badge ${cls}`, text: label });
  }

  // Navigation: fill links with the election id and mark the current page.
  function initNav(current) {
    const id = electionId();
    document.querySelectorAll("[data-href]").forEach((a) => {
      if (id) a.href = `/e/${id}/${a.dataset.href}`;
      else a.hidden = true;
      if (a.dataset.page === current) a.setAttribute("aria-current", "page");
    });
  }

  function download(name, text, type = "application/json") {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // manifest returns the election's manifest object from the info.
  function manifestOf(info) {
    return typeof info.manifest === "string" ? JSON.parse(info.manifest) : info.manifest;
  }

  function kindRule(c) {
    const n = c.options.length;
    switch (c.kind) {
      case "one_of_n": return c.min_selections ? "Choose one." : "Choose one, or leave it blank.";
      case "approval": {
        const lo = c.min_selections || 0, hi = c.max_selections || 0;
        if (lo === hi) return `Choose exactly ${hi}.`;
        if (lo > 0) return `Choose between ${lo} and ${hi}.`;
        return hi === 1 ? "Choose at most one." : hi >= n ? "Choose any you approve of." : `Choose up to ${hi}.`;
      }
      case "score": {
        const hi = c.max_total || n * c.max_score, lo = c.min_total || 0;
        let s = `Give each option 0 to ${c.max_score} points.`;
        if (c.max_total) s += ` At most ${hi} points in total.`;
        if (lo) s += ` At least ${lo} points in total.`;
        return s;
      }
      case "ranked": return "Ranked contest.";
    }
    return "";
  }

  // describeChoices renders "what a ballot says" for a contest's values.
  function describeContest(c, values) {
    if (!values) return "—";
    if (c.kind === "score") return c.options.map((o, j) => `${o.title}: ${values[j]}`).join(", ");
    const picked = c.options.filter((o, j) => values[j] > 0).map((o) => o.title);
    return picked.length ? picked.join(", ") : "(blank)";
  }

  return { electionId, el, api, ApiError, postEntry, explain, showMsg, showError, fmtTime, hexToText, prefetchWasm, loadWasm, call, WasmError, phaseBadge, initNav, download, manifestOf, kindRule, describeContest, sleep };
})();
