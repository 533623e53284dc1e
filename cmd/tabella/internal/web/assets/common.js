// Tabella web client: helpers shared by every page. Plain JavaScript, no
// build step. All cryptography is done by the Go code compiled to
// WebAssembly (tabella.wasm, cmd/tabellawasm); this file only fetches,
// renders, explains and translates.
"use strict";

const T = (() => {
  // The election id is the path segment after /e/.
  function electionId() {
    const m = location.pathname.match(/^\/e\/([a-z0-9][a-z0-9._-]{0,63})(\/|$)/);
    return m ? m[1] : null;
  }

  // --- Languages ---------------------------------------------------------
  //
  // Every user-visible string goes through a message catalogue: a plain
  // JSON file per language (assets/i18n-<lang>.json, key → text), served
  // with the other assets. Why not golang.org/x/text/message: the pages
  // render in JavaScript, so a Go catalogue would have to run in the
  // WebAssembly client; measured (Go 1.26, GOOS=js, -s -w) it adds
  // 790 kB to a WebAssembly binary (220 kB gzipped) before one message,
  // and the page could not show a word before the client has started.
  // One JSON catalogue is about 27 kB (7.5 kB gzipped), fetched in
  // parallel with English (the fallback) before the page renders.
  //
  // A text is a template with {name} placeholders. A plural text is an
  // object of CLDR plural forms ("one", "other", …), chosen with
  // Intl.PluralRules on the argument n. A key missing from a catalogue
  // (or empty) falls back to English, then to the key itself: never a
  // blank.
  //
  // In the page a translated text is a "spec": [key, args]. Static HTML
  // marks elements with data-i18n="key" (children with data-slot="name"
  // are kept and put where {name} is), data-i18n-placeholder,
  // data-i18n-aria-label and data-i18n-title; el() accepts a spec as
  // text or as any attribute's value. Switching language re-renders
  // every such element in place, so nothing the voter typed or picked is
  // lost.
  const LANGS = { en: "English", fr: "Français", de: "Deutsch", es: "Español", it: "Italiano" };
  const LANG_KEY = "tabella.lang";
  const cats = {};
  const specs = new WeakMap(); // element → {text: spec, attrs: {name: spec}}
  let lang = pickLang();
  let titleSpec = null;

  function pickLang() {
    try {
      const saved = localStorage.getItem(LANG_KEY);
      if (saved && LANGS[saved]) return saved;
    } catch (_) {}
    for (const l of navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"]) {
      const p = String(l).toLowerCase().split("-")[0];
      if (LANGS[p]) return p;
    }
    return "en";
  }

  // A page may add catalogues of its own, named on its root element
  // (<html data-i18n-extra="admin-i18n"> loads admin-i18n-<lang>.json
  // too); their keys join the language's catalogue.
  const EXTRA = (document.documentElement.dataset.i18nExtra || "").split(/\s+/).filter((n) => /^[a-z][a-z0-9-]*$/.test(n));
  function loadCatalogue(l) {
    if (cats[l]) return Promise.resolve(cats[l]);
    const one = (name) => fetch(`/assets/${name}-${l}.json`).then((r) => (r.ok ? r.json() : {})).catch(() => ({})).then((c) => (c && typeof c === "object" ? c : {}));
    return Promise.all(["i18n", ...EXTRA].map(one)).then((cs) => (cats[l] = Object.assign({}, ...cs)));
  }

  const own = (o, k) => o && Object.prototype.hasOwnProperty.call(o, k);

  // Localised titles (e2e/SPEC.md §6.1): the election, each contest and
  // each option of a manifest may carry "titles", language tag → title,
  // beside the default "title". locTitle(o) is o's title in the page's
  // language, else its default title. In a spec an argument {loc: o}
  // renders as locTitle(o) and follows a language switch like the rest;
  // loc(o) is the spec of o's title alone.
  const LOC = "@title";
  function locTitle(o) {
    if (!o) return "";
    const ts = o.titles;
    return ts && typeof ts === "object" && own(ts, lang) && typeof ts[lang] === "string" && ts[lang] !== "" ? ts[lang] : String(o.title || "");
  }
  const loc = (o) => [LOC, { title: { loc: o } }];

  // template returns the text of key in the current language for args
  // (the plural form chosen by args.n), falling back to English.
  function template(key, args) {
    if (key === LOC) return "{title}";
    for (const l of lang === "en" ? ["en"] : [lang, "en"]) {
      let v = own(cats[l], key) ? cats[l][key] : undefined;
      if (v && typeof v === "object") {
        const n = Number(args && args.n);
        let form = "other";
        try { form = new Intl.PluralRules(l).select(n); } catch (_) {}
        v = own(v, form) && v[form] ? v[form] : v.other;
      }
      if (typeof v === "string" && v !== "") return v;
    }
    return key;
  }

  // parts renders spec [key, args] into strings and nodes.
  function parts(key, args) {
    const tpl = template(key, args);
    const out = [];
    let last = 0;
    tpl.replace(/\{([a-z0-9_]+)\}/g, (m, name, off) => {
      out.push(tpl.slice(last, off));
      out.push(...argParts(args, name, m));
      last = off + m.length;
      return m;
    });
    out.push(tpl.slice(last));
    return out.filter((x) => x !== "");
  }

  function argParts(args, name, m) {
    const v = args ? args[name] : undefined;
    if (v === undefined || v === null) return [m];
    if (v instanceof Node) return [v];
    if (Array.isArray(v)) return parts(v[0], v[1]);
    if (typeof v === "object" && v.loc !== undefined) return [locTitle(v.loc)];
    if (typeof v === "number") return [v.toLocaleString(lang)];
    if (typeof v === "object" && v.date !== undefined) return [fmtTime(v.date)];
    if (typeof v === "object" && v.pct !== undefined) return [new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(v.pct)];
    if (typeof v === "object" && v.clock !== undefined) return [new Date(v.clock).toLocaleTimeString(lang)];
    return [String(v)];
  }

  // t returns the text of a spec (or of key and args) as a string.
  function t(key, args) {
    if (Array.isArray(key)) [key, args] = key;
    return parts(key, args).map((p) => (p instanceof Node ? p.textContent : p)).join("");
  }

  const isSpec = (v) => Array.isArray(v) && typeof v[0] === "string";

  // fill renders a spec into element e and remembers it for a switch.
  function fill(e, spec) {
    const rec = specs.get(e) || { attrs: {} };
    rec.text = spec;
    specs.set(e, rec);
    e.dataset.i18n = spec[0];
    e.replaceChildren(...parts(spec[0], spec[1]));
  }
  function fillAttr(e, name, spec) {
    const rec = specs.get(e) || { attrs: {} };
    rec.attrs[name] = spec;
    specs.set(e, rec);
    e.dataset.i18nA = "1";
    e.setAttribute(name, t(spec));
  }

  // translate renders every marked element of root in the current language.
  function translate(root) {
    root.querySelectorAll("[data-i18n], [data-i18n-placeholder], [data-i18n-aria-label], [data-i18n-title], [data-i18n-a]").forEach((e) => {
      let rec = specs.get(e);
      if (!rec) {
        // Static HTML: the spec comes from the attributes, the slots are
        // the element's marked children.
        rec = { attrs: {} };
        if (e.dataset.i18n) {
          const args = {};
          e.querySelectorAll(":scope > [data-slot]").forEach((c) => (args[c.dataset.slot] = c));
          rec.text = [e.dataset.i18n, args];
        }
        for (const a of ["placeholder", "aria-label", "title"]) {
          const k = e.getAttribute("data-i18n-" + a);
          if (k) rec.attrs[a] = [k];
        }
        specs.set(e, rec);
      }
      if (rec.text) e.replaceChildren(...parts(rec.text[0], rec.text[1]));
      for (const [a, spec] of Object.entries(rec.attrs)) e.setAttribute(a, t(spec));
    });
  }

  const langListeners = [];
  function applyLanguage() {
    document.documentElement.lang = lang;
    translate(document);
    if (titleSpec) document.title = t(titleSpec);
    const sel = document.getElementById("lang");
    if (sel) sel.value = lang;
    for (const f of langListeners) f(lang);
  }

  // setLanguage switches every page element to l and keeps the choice.
  async function setLanguage(l) {
    if (!LANGS[l]) return;
    try { localStorage.setItem(LANG_KEY, l); } catch (_) {}
    await loadCatalogue(l);
    lang = l;
    applyLanguage();
  }

  // The switcher in the top bar: one option per language, each named in
  // its own language (and marked with it, for screen readers).
  function initSwitcher() {
    const sel = document.getElementById("lang");
    if (!sel) return;
    sel.replaceChildren(...Object.entries(LANGS).map(([code, name]) => el("option", { value: code, lang: code, text: name })));
    sel.value = lang;
    sel.addEventListener("change", () => setLanguage(sel.value));
  }

  // ready resolves once the catalogues are loaded and the page's static
  // text is in the chosen language; pages render after it.
  const ready = Promise.all([loadCatalogue("en"), loadCatalogue(lang)]).then(() => {
    initSwitcher();
    applyLanguage();
  });

  // setTitle sets the document title from a spec, kept for a switch.
  function setTitle(spec) {
    titleSpec = spec;
    document.title = t(spec);
  }

  // --- DOM ---------------------------------------------------------------

  // el creates an element. attrs.text is a literal string or a spec; an
  // attribute whose value is a spec is translated; children are nodes or
  // literal strings.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") { if (isSpec(v)) fill(e, v); else e.textContent = v; }
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (isSpec(v)) fillAttr(e, k, v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // setText sets an element's text to a literal string or a spec.
  function setText(e, v) {
    if (isSpec(v)) fill(e, v);
    else { specs.delete(e); delete e.dataset.i18n; e.textContent = v; }
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
      throw new ApiError(0, "network", "");
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

  // The failures a voter can meet, each with a title and an explanation
  // in the catalogue (err.<code>.title, err.<code>.text).
  const known = ["network", "unavailable", "rate_limited", "not_open", "closed", "not_on_roll", "bad_credential", "bad_signature", "bad_proof", "wrong_election", "malformed", "too_large", "spoiled", "already_cast", "not_found"];

  // The stable codes of the errors a page can meet, each with one
  // sentence in the catalogue (code.<code>): the service's write API
  // (e2e/service/errors.go), the board's read API (bulletin/api.go), the
  // network, and the WebAssembly client's (cmd/tabellawasm/errors.go).
  const codes = [
    "malformed", "too_large", "wrong_election", "not_open", "closed", "not_on_roll", "bad_signature", "bad_proof", "spoiled", "conflict", "forbidden", "rate_limited", "not_found", "unavailable", "internal",
    "bad_request", "rejected", "corrupt", "network",
    "bad_input", "no_election", "election_inconsistent", "unknown_encryption", "revealed", "already_submitted", "too_many", "wrong_ballot", "wrong_receipt", "no_key", "no_roll", "bad_manifest",
    "key_passphrase", "key_kind", "key_damaged", "credential_invalid", "tracking_invalid", "choices_invalid", "ballot_invalid", "spoiled_mismatch", "client_error", "loading",
  ];
  // codeText returns the spec of the sentence of an error's code, or null
  // for a code the pages do not know (then the caller's generic text).
  const codeText = (code) => (codes.includes(code) ? [`code.${code}`] : null);

  // explain returns {title, text, detail, detailKey} for an error: specs,
  // and the server's or client's own words (not translated) as detail.
  function explain(err, ctx = {}) {
    const code = err && err.code;
    const detail = err && err.message ? err.message : "";
    if (known.includes(code)) {
      let text = [`err.${code}.text`];
      if (code === "not_open" && ctx.opens) text = ["err.not_open.text_when", { opens: { date: ctx.opens } }];
      return { title: [`err.${code}.title`], text, detail: detail && code !== "network" ? detail : "", detailKey: "err.server_said" };
    }
    if (err instanceof ApiError) return { title: ["err.refused.title", { code }], text: codeText(code) || ["err.refused.text"], detail, detailKey: "err.server_said" };
    if (err instanceof WasmError) return { title: ["err.client.title"], text: codeText(err.code) || ["code.client_error"], detail, detailKey: "err.client_said" };
    return { title: ["err.unknown.title"], text: String(detail || err), detail: "", detailKey: "err.client_said" };
  }

  // because returns what to show after a title for an error: the
  // translated sentence of its code and, when there are any, the server's
  // or client's own words as a detail paragraph. Never blank: a code the
  // pages do not know gets a generic sentence, a missing translation
  // falls back to English.
  function because(err) {
    const e = explain(err);
    return [e.text, e.detail ? el("p", { class: "small err-detail", text: [e.detailKey, { detail: e.detail }] }) : null];
  }

  // showMsg renders a message box into container (an aria-live region);
  // title and text are literal strings or specs.
  function showMsg(container, kind, title, text, ...extra) {
    container.replaceChildren(el("div", { class: `msg msg-${kind}`, role: kind === "bad" ? "alert" : null },
      el("div", {}, el("strong", { text: title }), text ? el("p", { text }) : null, ...extra)));
  }
  function showError(container, err, ctx, ...extra) {
    const e = explain(err, ctx);
    showMsg(container, "bad", e.title, e.text, e.detail ? el("p", { class: "small err-detail", text: [e.detailKey, { detail: e.detail }] }) : null, ...extra);
  }

  function fmtTime(v) {
    const d = new Date(v);
    if (isNaN(d)) return String(v);
    return d.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
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
  // A failure of the WebAssembly client: its English message and its
  // stable code (cmd/tabellawasm/errors.go).
  class WasmError extends Error {
    constructor(message, code) {
      super(message);
      this.code = typeof code === "string" && code ? code : "client_error";
    }
  }
  function call(fn, ...args) {
    if (!globalThis.tabella) throw new WasmError(t("common.client_loading"), "loading");
    const out = JSON.parse(globalThis.tabella[fn](...args.map((a) => (typeof a === "string" || typeof a === "number" ? a : a == null ? "" : JSON.stringify(a)))));
    if (out && typeof out.error === "string") throw new WasmError(out.error, out.code);
    return out;
  }

  // Phase labels for the badge.
  const phases = ["setup", "ceremony", "ready", "open", "closed", "tallied"];
  function phaseBadge(phase) {
    const label = phases.includes(phase) ? [`phase.${phase}`] : phase || "unknown";
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

  // kindRule returns the spec of a contest's rule, as the voter reads it.
  function kindRule(c) {
    const n = c.options.length;
    switch (c.kind) {
      case "one_of_n": return c.min_selections ? ["rule.one"] : ["rule.one_or_blank"];
      case "approval": {
        const lo = c.min_selections || 0, hi = c.max_selections || 0;
        if (lo === hi) return ["rule.exactly", { n: hi }];
        if (lo > 0) return ["rule.between", { lo, n: hi }];
        return hi === 1 ? ["rule.at_most_one"] : hi >= n ? ["rule.any"] : ["rule.up_to", { n: hi }];
      }
      case "score": {
        const hi = c.max_total || n * c.max_score, lo = c.min_total || 0;
        const key = c.max_total && lo ? "rule.score_max_min" : c.max_total ? "rule.score_max" : lo ? "rule.score_min" : "rule.score";
        return [key, { n: c.max_score, total: hi, lo }];
      }
      case "ranked": return ["rule.ranked", { n: c.max_selections || n }];
    }
    return "";
  }

  // describeContest returns "what a ballot says" for a contest's values:
  // a literal string (the options' titles) or the spec of a blank.
  function describeContest(c, values) {
    if (!values) return "—";
    if (c.kind === "score") return c.options.map((o, j) => `${locTitle(o)}: ${values[j]}`).join(", ");
    if (c.kind === "ranked") {
      // Option ids from the first rank on, or the ballot's L numbers
      // (option number from 1, 0 for an empty rank; e2e/SPEC.md §7.2).
      const ids = [];
      for (const v of values) {
        const oid = typeof v === "number" ? (v > 0 && v <= c.options.length ? c.options[v - 1].id : null) : v;
        if (oid === null) break;
        ids.push(oid);
      }
      const ranked = ids.map((oid, k) => `${k + 1}. ${locTitle(c.options.find((o) => o.id === oid) || { title: oid })}`);
      return ranked.length ? ranked.join(", ") : ["contest.blank"];
    }
    const picked = c.options.filter((o, j) => values[j] > 0).map(locTitle);
    return picked.length ? picked.join(", ") : ["contest.blank"];
  }

  return {
    electionId, el, setText, api, ApiError, postEntry, explain, because, codeText, showMsg, showError, fmtTime, hexToText, prefetchWasm, loadWasm, call, WasmError,
    phaseBadge, initNav, download, manifestOf, kindRule, describeContest, sleep, title: locTitle, loc,
    t, ready, setTitle, setLanguage, onLanguage: (f) => langListeners.push(f), language: () => lang, languages: LANGS, catalogues: cats,
  };
})();
