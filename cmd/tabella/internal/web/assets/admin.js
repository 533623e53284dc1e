// Tabella officials' console (/admin). Plain JavaScript, no build step.
// The official's key file is decrypted by the Go code compiled to
// WebAssembly (cmd/tabellawasm, admin.go: the same code as `tabella
// official init` and `tabella election …`); it stays in Go memory and no
// function hands it back. Every action is a board entry signed there and
// posted here, the same entry as the command line's. This file renders,
// fetches and posts.
"use strict";

(() => {
  const { el, t } = T;
  const $ = (id) => document.getElementById(id);
  const state = { key: null, id: null, trustees: [], manifestOK: false, canonical: null, submitted: false, info: null, nextEntry: 0, roll: null, polling: false };

  T.prefetchWasm();
  const wasm = T.loadWasm().then(() => {
    T.setText($("client-state"), ["admin.client_ready"]);
    $("key-open").disabled = false;
    checkManifest();
  }, () => T.showMsg($("page-msg"), "bad", ["admin.client_failed"], ""));

  // --- Messages -----------------------------------------------------------

  // refused shows an error of an action: for a refusal the server's code,
  // the translated sentence of that code and the server's words as
  // detail; for the client's error likewise with its code.
  function refused(box, err) {
    const api = err instanceof T.ApiError;
    const [, detail] = T.because(err);
    T.showMsg(box, "bad", api ? ["admin.refused", { code: err.code }] : ["admin.err_client"],
      T.codeText(err && err.code) || (api ? ["admin.refused_text"] : ["code.client_error"]), detail);
  }

  // --- 1. The key -------------------------------------------------------

  function base64(buf) {
    const b = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
    return btoa(s);
  }

  // keyError maps the Go client's error (its code, errors.go) to the
  // official's message; the kind of a wrong file is told by its message.
  function keyError(e) {
    const code = e && e.code, msg = (e && e.message) || "";
    if (code === "key_passphrase") return [["admin.err_pass"], ["admin.err_pass_text"]];
    if (code === "key_kind") {
      const kinds = [[/trustee's key file/, "admin.kind_trustee_key"], [/public record/, "admin.kind_trustee_pub"], [/voter's credential/, "admin.kind_credential"], [/empty/, "admin.kind_empty"], [/encrypted to a key/, "admin.kind_age_key"], [/at most/, "admin.kind_too_large"]];
      const k = kinds.find(([re]) => re.test(msg));
      return [["admin.err_kind"], [k ? k[1] : "admin.kind_unknown"]];
    }
    if (code === "key_damaged") return [["admin.err_corrupt"], ["admin.err_corrupt_text"]];
    return [["admin.err_client"], T.codeText(code) || ["code.client_error"]];
  }

  $("key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = $("key-msg");
    const file = $("key-file").files[0];
    if (!file) return T.showMsg(box, "bad", ["admin.key_none"], "");
    await wasm;
    T.showMsg(box, "info", ["admin.key_opening"], "");
    $("key-open").disabled = true;
    try {
      const buf = file.size > 16384 ? new ArrayBuffer(16384) : await file.arrayBuffer();
      // Let the message paint before scrypt takes the thread.
      await new Promise((r) => setTimeout(r, 30));
      const r = T.call("officialOpen", base64(buf), $("key-pass").value);
      state.key = r.public_key;
      $("key-pass").value = "";
      T.showMsg(box, "ok", ["admin.key_opened"], ["admin.key_public", { key: el("code", { class: "mono", text: r.public_key }) }]);
      $("key-forget").hidden = false;
      $("manage-card").hidden = false;
      if (!state.id) showCreate();
      updateCreate();
    } catch (e) {
      const [title, text] = keyError(e);
      T.showMsg(box, "bad", title, text);
    } finally {
      $("key-open").disabled = false;
    }
  });

  $("key-forget").addEventListener("click", () => {
    T.call("officialForget");
    state.key = null;
    $("key-forget").hidden = true;
    T.showMsg($("key-msg"), "info", ["admin.key_forgotten"], "");
    updateCreate();
  });

  function showCreate() {
    $("manifest-card").hidden = false;
    $("trustees-card").hidden = false;
    if (!$("contests").children.length) addContest();
  }

  // --- 2. The manifest form ---------------------------------------------

  const kinds = ["one_of_n", "approval", "score", "ranked"];
  const kindLabels = { one_of_n: "admin.kind.one_of_n", approval: "admin.kind.approval", score: "admin.kind.score", ranked: "admin.kind.ranked" };
  const limitLabels = { min_selections: "admin.f_min_selections", max_selections: "admin.f_max_selections", max_score: "admin.f_max_score", min_total: "admin.f_min_total", max_total: "admin.f_max_total", method: "admin.f_method", seats: "admin.f_seats" };
  const limits = { one_of_n: ["min_selections"], approval: ["min_selections", "max_selections"], ranked: ["min_selections", "max_selections", "method", "seats"], score: ["max_score", "min_total", "max_total"] };
  let contestSeq = 0;

  // fieldInput returns a labelled input for a manifest field path.
  function fieldInput(path, labelKey, attrs = {}) {
    const id = "m-" + path;
    return el("div", { class: "form-field" },
      el("label", { class: "field", for: id, text: Array.isArray(labelKey) ? labelKey : [labelKey] }),
      el("input", { id, "data-field": path, "aria-describedby": "err-" + path, type: "text", autocomplete: "off", spellcheck: "false", ...attrs }),
      el("p", { class: "field-err", id: "err-" + path }));
  }

  function addOption(list, values = {}) {
    const li = el("li", { class: "opt-row" });
    list.append(li);
    renumber();
    const n = li.dataset.path;
    li.querySelector("input.opt-id").value = values.id || "";
    li.querySelector("input.opt-title").value = values.title || "";
    return n;
  }

  function addContest(values) {
    const k = contestSeq++;
    const fs = el("fieldset", { class: "contest admin-contest", "data-contest": String(k) },
      el("legend", {}),
      el("div", { class: "grid-form" },
        el("div", { class: "form-field slot-id" }), el("div", { class: "form-field slot-title" }),
        el("div", { class: "form-field" },
          el("label", { class: "field", for: `kind-${k}`, text: ["admin.f_kind"] }),
          el("select", { id: `kind-${k}`, class: "kind" }, ...kinds.map((kd) => el("option", { value: kd, text: [kindLabels[kd]] }))),
          el("p", { class: "field-err kind-err" })),
        el("div", { class: "form-field slot-limits" })),
      el("h3", { text: ["admin.options"] }),
      el("ol", { class: "opt-list" }),
      el("p", { class: "field-err opts-err" }),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "btn btn-secondary add-opt", text: ["admin.add_option"] }),
        el("button", { type: "button", class: "btn btn-quiet del-contest", text: ["admin.remove_contest"] })));
    $("contests").append(fs);
    fs.querySelector(".add-opt").addEventListener("click", () => { addOption(fs.querySelector(".opt-list")); checkManifest(); });
    fs.querySelector(".del-contest").addEventListener("click", () => { fs.remove(); renumber(); checkManifest(); });
    fs.querySelector("select.kind").addEventListener("change", () => { renderLimits(fs); checkManifest(); });
    const v = values || {};
    fs.querySelector("select.kind").value = v.kind || "one_of_n";
    renumber();
    fs.querySelector(".slot-id input").value = v.id || "";
    fs.querySelector(".slot-title input").value = v.title || "";
    const opts = v.options || [{}, {}];
    for (const o of opts) addOption(fs.querySelector(".opt-list"), o);
    renderLimits(fs, v);
    return fs;
  }

  // renderLimits shows the limit fields of the contest's kind.
  function renderLimits(fs, values = {}) {
    const i = fs.dataset.index;
    const slot = fs.querySelector(".slot-limits");
    const old = {};
    slot.querySelectorAll("input, select").forEach((inp) => (old[inp.dataset.name] = inp.value));
    const kind = fs.querySelector("select.kind").value;
    slot.replaceChildren(...limits[kind].map((name) => {
      const f = fieldInput(`contests.${i}.${name}`, limitLabels[name], { type: "number", min: "0", step: "1", inputmode: "numeric", "data-name": name });
      let inp = f.querySelector("input");
      if (name === "method") {
        // The counting method of a ranked contest (e2e/SPEC.md §15).
        const sel = el("select", { id: inp.id, "data-field": inp.dataset.field, "aria-describedby": inp.getAttribute("aria-describedby"), "data-name": name },
          ...["irv", "stv", "schulze"].map((m) => el("option", { value: m, text: m })));
        inp.replaceWith(sel);
        inp = sel;
      }
      inp.value = values[name] !== undefined ? String(values[name]) : old[name] !== undefined ? old[name] : name === "max_selections" || name === "max_score" ? "1" : name === "method" ? "irv" : "";
      return f;
    }));
  }

  // renumber gives every contest and option its path (contests.i…), the
  // one the Go validation names in its errors, after an add or a removal.
  function renumber() {
    [...$("contests").children].forEach((fs, i) => {
      fs.dataset.index = String(i);
      T.setText(fs.querySelector("legend"), ["admin.contest_n", { n: i + 1 }]);
      for (const [slot, name, key] of [[".slot-id", "id", "admin.f_contest_id"], [".slot-title", "title", "admin.f_contest_title"]]) {
        const s = fs.querySelector(slot);
        const val = s.querySelector("input") ? s.querySelector("input").value : "";
        const f = fieldInput(`contests.${i}.${name}`, key, name === "id" ? { class: "mono" } : {});
        f.querySelector("input").value = val;
        s.replaceChildren(...f.childNodes);
      }
      const ke = fs.querySelector(".kind-err");
      ke.id = `err-contests.${i}.kind`;
      fs.querySelector("select.kind").setAttribute("aria-describedby", ke.id);
      fs.querySelector(".opts-err").id = `err-contests.${i}.options`;
      fs.querySelectorAll(".slot-limits input, .slot-limits select").forEach((inp) => {
        const p = `contests.${i}.${inp.dataset.name}`;
        inp.dataset.field = p;
        inp.id = "m-" + p;
        inp.setAttribute("aria-describedby", "err-" + p);
        inp.previousElementSibling.setAttribute("for", inp.id);
        inp.nextElementSibling.id = "err-" + p;
      });
      [...fs.querySelector(".opt-list").children].forEach((li, j) => {
        const p = `contests.${i}.options.${j}`;
        li.dataset.path = p;
        const vals = [li.querySelector("input.opt-id"), li.querySelector("input.opt-title")].map((x) => (x ? x.value : ""));
        const idF = fieldInput(p + ".id", "admin.f_option_id", { class: "mono opt-id" });
        const tiF = fieldInput(p + ".title", "admin.f_option_title", { class: "opt-title" });
        idF.querySelector("input").value = vals[0];
        tiF.querySelector("input").value = vals[1];
        const del = el("button", { type: "button", class: "btn btn-quiet del-opt", text: ["admin.remove_option"], "aria-label": ["admin.remove_option_n", { n: j + 1 }] });
        del.addEventListener("click", () => { li.remove(); renumber(); checkManifest(); });
        li.replaceChildren(idF, tiF, del);
      });
    });
    renderTitles();
  }

  // --- Titles in other languages (e2e/SPEC.md §6.1) --------------------
  //
  // The election, each contest and each option may carry titles in other
  // languages. They are kept per element (the title input of the
  // election, a contest's fieldset, an option's row), so adding or
  // removing a contest or option keeps each with its owner, and shown
  // for one language at a time, picked in #titles-lang.
  const localTitles = new WeakMap(); // element → {tag: title}
  const titleOwners = () => {
    const out = [{ key: $("m-title"), path: "", label: ["admin.tt_election"], def: () => $("m-title").value.trim() }];
    [...$("contests").children].forEach((fs, i) => {
      out.push({ key: fs, path: `contests.${i}.`, label: ["admin.tt_contest", { n: i + 1 }], def: () => fs.querySelector(".slot-title input").value.trim() });
      [...fs.querySelector(".opt-list").children].forEach((li, j) => {
        out.push({ key: li, path: `contests.${i}.options.${j}.`, label: ["admin.tt_option", { n: i + 1, m: j + 1 }], def: () => li.querySelector("input.opt-title").value.trim() });
      });
    });
    return out;
  };
  const titlesOf = (key) => {
    const ts = localTitles.get(key);
    if (!ts) return undefined;
    const out = {};
    for (const [tag, v] of Object.entries(ts)) if (v.trim()) out[tag] = v.trim();
    return Object.keys(out).length ? out : undefined;
  };

  function renderTitles() {
    const tag = $("titles-lang").value;
    $("titles-fields").replaceChildren(...titleOwners().map((o) => {
      const f = fieldInput(`${o.path}titles.${tag}`, o.label, { lang: tag, placeholder: o.def() });
      const inp = f.querySelector("input");
      inp.value = (localTitles.get(o.key) || {})[tag] || "";
      inp.addEventListener("input", () => {
        const ts = localTitles.get(o.key) || {};
        ts[tag] = inp.value;
        localTitles.set(o.key, ts);
      });
      inp.addEventListener("focus", () => { inp.placeholder = o.def(); });
      return f;
    }));
  }
  $("titles-lang").replaceChildren(...Object.entries(T.languages).map(([code, name]) => el("option", { value: code, lang: code, text: name })));
  $("titles-lang").value = T.language() === "fr" ? "de" : "fr";
  $("titles-lang").addEventListener("change", () => { renderTitles(); checkManifest(); });

  const utc = (v) => (v ? (v.length === 16 ? v + ":00" : v) + "Z" : "");

  // formManifest reads the form into a manifest object (e2e/SPEC.md §6).
  function formManifest() {
    const m = {
      version: "tabella/v1",
      election_id: $("m-election_id").value.trim(),
      title: $("m-title").value.trim(),
      titles: titlesOf($("m-title")),
      schedule: { opens: utc($("m-opens").value), closes: utc($("m-closes").value) },
      contests: [],
    };
    for (const fs of $("contests").children) {
      const kind = fs.querySelector("select.kind").value;
      const c = { id: fs.querySelector(".slot-id input").value.trim(), title: fs.querySelector(".slot-title input").value.trim(), titles: titlesOf(fs), kind, options: [] };
      for (const li of fs.querySelector(".opt-list").children) {
        c.options.push({ id: li.querySelector("input.opt-id").value.trim(), title: li.querySelector("input.opt-title").value.trim(), titles: titlesOf(li) });
      }
      if (kind === "one_of_n") c.max_selections = 1;
      fs.querySelectorAll(".slot-limits input, .slot-limits select").forEach((inp) => {
        if (inp.value !== "") c[inp.dataset.name] = inp.dataset.name === "method" ? inp.value : Number(inp.value);
      });
      m.contests.push(c);
    }
    return m;
  }

  let showAll = false;
  // checkManifest validates the form with the Go rules and shows each
  // error under its field (once the field was touched, or after a try).
  function checkManifest() {
    if (!globalThis.tabella) return;
    let r;
    try {
      r = T.call("manifestCheck", JSON.stringify(formManifest()));
    } catch (e) {
      return refused($("manifest-msg"), e);
    }
    document.querySelectorAll("#manifest-card .field-err").forEach((p) => { p.textContent = ""; });
    document.querySelectorAll("#manifest-card [aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
    let hidden = 0;
    for (const fe of r.errors) {
      const input = document.querySelector(`#manifest-card [data-field="${CSS.escape(fe.field)}"]`);
      if (input && !showAll && !input.dataset.touched) { hidden++; continue; }
      let box = $("err-" + fe.field);
      if (!box && /(^|\.)titles(\.|$)/.test(fe.field)) {
        // A title in a language not on screen: name the field.
        box = $("err-titles-other");
        $("titles-box").open = true;
        T.setText(box, `${fe.field}: ${fe.message}`);
        continue;
      }
      if (!box) {
        const m = fe.field.match(/^contests\.(\d+)/);
        box = m ? $(`err-contests.${m[1]}.kind`) : $("err-contests");
      }
      if (input) input.setAttribute("aria-invalid", "true");
      T.setText(box, fe.message);
    }
    state.manifestOK = r.errors.length === 0;
    state.canonical = r.canonical || null;
    if (state.manifestOK) T.showMsg($("manifest-msg"), "ok", ["admin.manifest_ok"], ["admin.manifest_hash", { hash: el("code", { class: "mono", text: r.manifest_hash }) }]);
    else T.showMsg($("manifest-msg"), "warn", ["admin.manifest_errors", { n: r.errors.length }], hidden ? ["admin.manifest_untouched", { n: hidden }] : "");
    updateCreate();
  }

  let checkTimer = null;
  $("manifest-card").addEventListener("input", (ev) => {
    if (ev.target.dataset) ev.target.dataset.touched = "1";
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkManifest, 120);
  });
  $("add-contest").addEventListener("click", () => { addContest(); checkManifest(); });

  // --- 3. Trustees and creation ----------------------------------------

  function addTrustee(text) {
    const box = $("tr-msg");
    try {
      const tr = T.call("trusteeParse", text);
      if (state.trustees.some((x) => x.signing_key === tr.signing_key)) return T.showMsg(box, "bad", ["admin.tr_dup"], tr.name);
      state.trustees.push(tr);
      renderTrustees();
      box.replaceChildren();
      return true;
    } catch (e) {
      T.showMsg(box, "bad", ["admin.tr_bad"], ...T.because(e));
      return false;
    }
  }

  function renderTrustees() {
    $("tr-list").replaceChildren(...state.trustees.map((tr, i) => {
      const del = el("button", { type: "button", class: "btn btn-quiet", text: ["admin.remove_trustee"], "aria-label": ["admin.remove_trustee_n", { name: tr.name || String(i + 1) }] });
      del.addEventListener("click", () => { state.trustees.splice(i, 1); renderTrustees(); });
      return el("li", {}, el("strong", { text: tr.name || "—" }), " ", el("span", { class: "mono small", text: tr.signing_key.slice(0, 16) + "…" }), " ", del);
    }));
    $("threshold").max = String(Math.max(1, state.trustees.length));
    updateCreate();
  }

  $("tr-add").addEventListener("click", () => { if (addTrustee($("tr-paste").value)) $("tr-paste").value = ""; });
  $("tr-files").addEventListener("change", async () => {
    for (const f of $("tr-files").files) addTrustee(await f.text());
    $("tr-files").value = "";
  });
  $("threshold").addEventListener("input", updateCreate);

  function thresholdOK() {
    const v = Number($("threshold").value);
    const ok = Number.isInteger(v) && v >= 1 && v <= state.trustees.length;
    T.setText($("threshold-err"), ok || !state.trustees.length ? "" : ["admin.threshold_bad", { n: state.trustees.length }]);
    return ok;
  }

  function updateCreate() {
    const ok = thresholdOK();
    $("create").disabled = !(state.key && state.manifestOK && state.trustees.length && ok && !state.submitted);
  }

  // postAll posts submissions in order and stops at the first refusal.
  async function postAll(id, subs, progress) {
    for (let i = 0; i < subs.length; i++) {
      if (progress) progress(i);
      await T.postEntry(id, subs[i]);
    }
  }

  $("create").addEventListener("click", async () => {
    const box = $("create-msg");
    showAll = true;
    checkManifest();
    if ($("create").disabled) return;
    $("create").disabled = true;
    try {
      const m = formManifest();
      // An election with this id already exists: nothing is posted.
      const exists = await T.api(`/v1/elections/${encodeURIComponent(m.election_id)}`).then(() => true, (e) => (e.status === 404 ? false : Promise.reject(e)));
      if (exists) { T.showMsg(box, "bad", ["admin.exists", { id: m.election_id }], ""); return; }
      const board = await T.api("/v1/board");
      const r = T.call("electionCreate", JSON.stringify({
        board: { name: board.name, key: board.key }, manifest: JSON.stringify(m),
        trustees: state.trustees.map((x) => x.record), threshold: Number($("threshold").value),
        round_seconds: Number($("round").value), co_officials: [],
      }));
      state.submitted = true;
      await postAll(r.election_id, r.submissions, (i) => T.showMsg(box, "info", ["admin.posting", { i: i + 1, n: r.submissions.length }], ""));
      T.showMsg(box, "ok", ["admin.created", { id: r.election_id }], ["admin.created_text"]);
      follow(r.election_id);
    } catch (e) {
      state.submitted = false;
      refused(box, e);
    } finally {
      updateCreate();
    }
  });

  // --- The election, live -------------------------------------------------

  $("manage-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("manage-id").value.trim();
    if (id) follow(id);
  });

  function follow(id) {
    state.id = id;
    state.nextEntry = 0;
    $("feed").replaceChildren();
    $("status-card").hidden = false;
    $("phase-card").hidden = false;
    $("st-id").textContent = id;
    $("roll-link").value = `${location.origin}/e/${id}/`;
    for (const [a, page] of [["nav-vote", ""], ["nav-observe", "observe"]]) { $(a).href = `/e/${id}/${page}`; $(a).hidden = false; }
    if (!state.polling) { state.polling = true; poll(); }
  }

  async function poll() {
    for (;;) {
      const id = state.id;
      try {
        const info = await T.api(`/v1/elections/${encodeURIComponent(id)}`);
        if (id === state.id) render(info);
        const page = await T.api(`/v1/elections/${encodeURIComponent(id)}/entries?start=${state.nextEntry}&end=${state.nextEntry + 200}`);
        if (id === state.id) feed(page.entries || []);
      } catch (e) {
        if (!(e instanceof T.ApiError && e.status === 404)) refused($("page-msg"), e);
      }
      await T.sleep(700);
    }
  }

  function feed(entries) {
    const list = $("feed");
    for (const e of entries) {
      state.nextEntry = e.index + 1;
      list.prepend(el("li", { value: String(e.index), "data-type": e.type }, el("span", { class: "mono", text: e.type }), " ", el("span", { class: "small", text: T.fmtTime(e.time) })));
    }
    while (list.children.length > 60) list.lastChild.remove();
  }

  function render(info) {
    state.info = info;
    $("st-phase").replaceChildren(T.phaseBadge(info.phase));
    const kv = [
      ["admin.st_board", ["admin.st_entries", { n: info.size }]],
      ["admin.st_trustees", ["admin.st_threshold", { t: info.threshold, n: info.trustees }]],
      ["admin.st_joint_key", info.joint_key ? info.joint_key : ["admin.st_waiting_ceremony"]],
      ["admin.st_roll", info.roll.sealed ? ["admin.st_roll_sealed", { n: info.roll.count }] : ["admin.st_roll_open", { n: info.roll.count }]],
      ["admin.st_ballots", ["admin.st_ballots_n", { n: info.ballots, counted: info.counted }]],
    ];
    $("st-kv").replaceChildren(...kv.flatMap(([k, v]) => [el("dt", { text: [k] }), el("dd", { class: k === "admin.st_joint_key" && info.joint_key ? "mono" : null, text: v })]));
    $("roll-card").hidden = info.roll.sealed || !state.key;
    $("open").disabled = !state.key || ["open", "closed", "tallied"].includes(info.phase);
    $("close").disabled = !state.key || info.phase !== "open";
    if (info.result && info.result !== "null") renderResult(info);
  }

  let shownResult = null;
  function renderResult(info) {
    const raw = typeof info.result === "string" ? info.result : JSON.stringify(info.result);
    if (raw === shownResult) return;
    shownResult = raw;
    const res = JSON.parse(raw);
    const m = T.manifestOf(info);
    const out = [el("h3", { text: ["admin.results"] }), el("p", { text: ["admin.turnout", { n: res.turnout }] })];
    for (const cr of res.contests) {
      const c = m.contests.find((x) => x.id === cr.id) || { title: cr.id, options: [] };
      out.push(el("table", { class: "result-table" },
        el("caption", { text: T.loc(c) }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["admin.col_option"] }), el("th", { scope: "col", class: "num", text: ["admin.col_count"] }))),
        el("tbody", {}, ...cr.options.map((o) => {
          const opt = c.options.find((x) => x.id === o.id);
          return el("tr", { "data-option": o.id }, el("th", { scope: "row", text: opt ? T.loc(opt) : o.id }), el("td", { class: "num", text: String(o.count) }));
        }))));
    }
    $("results").replaceChildren(...out);
  }

  // --- 4. The roll ----------------------------------------------------------

  $("roll-gen").addEventListener("click", async () => {
    const box = $("roll-msg");
    const n = Number($("roll-n").value);
    if (!Number.isInteger(n) || n < 1) return T.showMsg(box, "bad", ["admin.roll_n_bad"], "");
    const btn = $("roll-gen");
    btn.disabled = true;
    box.replaceChildren();
    for (const b of ["roll-csv", "roll-print", "roll-post"]) $(b).hidden = true;
    const bar = $("roll-progress");
    bar.hidden = false;
    bar.max = n;
    bar.value = 0;
    const t0 = performance.now();
    try {
      T.call("rollBegin", state.id, location.origin, n);
      const csv = ["voter,election,server,credential\n"];
      const secrets = [];
      for (let done = 0; done < n;) {
        const r = T.call("rollStep", 2000);
        csv.push(r.csv);
        for (const s of r.secrets) secrets.push(s);
        done = r.done;
        bar.value = done;
        T.setText($("roll-count"), ["admin.roll_progress", { done, n }]);
        await new Promise((res) => setTimeout(res, 0));
      }
      const entries = T.call("rollFinish");
      const ms = performance.now() - t0;
      globalThis.tabellaRollMillis = ms;
      state.roll = { csv: new Blob(csv, { type: "text/csv" }), secrets, entries, posted: false };
      T.setText($("roll-count"), ["admin.roll_made", { n, secs: (ms / 1000).toFixed(1) }]);
      for (const b of ["roll-csv", "roll-print", "roll-post"]) $(b).hidden = false;
    } catch (e) {
      refused(box, e);
    } finally {
      btn.disabled = false;
    }
  });

  $("roll-csv").addEventListener("click", () => {
    const url = URL.createObjectURL(state.roll.csv);
    const a = el("a", { href: url, download: `${state.id}-credentials.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  // The printable letters: one page per voter, with the voting link and
  // the credential; printed from this page (print style in admin.css).
  function buildLetters() {
    const title = state.info ? T.title(T.manifestOf(state.info)) : state.id;
    const link = $("roll-link").value.trim();
    $("letters").replaceChildren(...state.roll.secrets.map((s, i) => el("article", { class: "letter" },
      el("h2", { text: title }),
      el("p", { text: ["admin.letter_voter", { n: i + 1 }] }),
      el("p", { text: ["admin.letter_intro"] }),
      el("p", { class: "letter-link mono", text: link }),
      el("p", { text: ["admin.letter_credential"] }),
      el("p", { class: "code letter-code", text: s }),
      el("p", { class: "small", text: ["admin.letter_secret"] }))));
  }
  $("roll-print").addEventListener("click", () => { buildLetters(); window.print(); });

  $("roll-post").addEventListener("click", async () => {
    const box = $("roll-msg");
    const subs = state.roll.entries.submissions;
    $("roll-post").disabled = true;
    try {
      await postAll(state.id, subs, (i) => T.showMsg(box, "info", ["admin.posting", { i: i + 1, n: subs.length }], ""));
      T.showMsg(box, "ok", ["admin.roll_posted", { n: state.roll.entries.count }], ["admin.roll_hash", { hash: el("code", { class: "mono", text: state.roll.entries.hash }) }]);
    } catch (e) {
      refused(box, e);
    } finally {
      $("roll-post").disabled = false;
    }
  });

  // --- 5. Open and close --------------------------------------------------

  for (const verb of ["open", "close"]) {
    $(verb).addEventListener("click", async () => {
      const box = $("phase-msg");
      box.replaceChildren();
      $(verb).disabled = true;
      try {
        const s = T.call("phaseEntry", state.id, verb);
        await T.postEntry(state.id, s);
        T.showMsg(box, "ok", [verb === "open" ? "admin.opened" : "admin.closed"], "");
      } catch (e) {
        refused(box, e);
        $(verb).disabled = false;
      }
    });
  }

  T.ready.then(() => {
    T.setTitle(["admin.page_title"]);
    T.onLanguage(() => { checkManifest(); if (state.info) { shownResult = null; render(state.info); } });
  });
})();
