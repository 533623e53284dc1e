// The observer page: the live board over the websocket feed
// (e2e/SPEC.md §8.7), each entry chained and each checkpoint matched in
// the browser; trustees' progress, checked ballots, and the results.
"use strict";

T.ready.then(() => {
  const { el, api, call, showMsg, showError, setText } = T;
  const $ = (id) => document.getElementById(id);
  const id = T.electionId();
  const SVG = "http://www.w3.org/2000/svg";
  let manifest = null, info = null, summary = null;
  let next = 0;              // next entry index the page needs
  let failed = false;        // the board failed a check: stop following
  // The record (e2e/SPEC.md §11.7) is rebuilt from the verified feed: its
  // lines are exactly the feed's messages, entries in order and each
  // checkpoint after the entries it covers.
  const recordLines = [];
  let recordSize = 0, recordBytes = 0, recordCut = 0; // last checkpoint's size, and the line count up to it
  const maxRecordBytes = 256 << 20;
  const st = {
    ballots: 0, voters: new Set(), spoiled: [], trustees: [], threshold: 0, byKey: new Map(),
    ceremonyDone: false, opened: null, closed: null, result: null, rollCount: null,
  };

  T.initNav("observe");

  async function start() {
    try {
      info = await api(`/v1/elections/${id}`);
    } catch (e) {
      setText($("title"), ["common.unavailable"]);
      showError($("page-msg"), e);
      return;
    }
    manifest = T.manifestOf(info);
    T.setTitle(["observe.page_title", { title: { loc: manifest } }]);
    setText($("title"), T.loc(manifest));
    $("record").addEventListener("click", downloadRecord);
    $("print-summary").addEventListener("click", printSummary);
    renderMeta();
    try {
      await T.loadWasm();
      summary = call("loadElection", JSON.stringify(info));
      if (!info.board_key) throw new Error(T.t("observe.no_board_key"));
      call("observe", id, info.board_key);
    } catch (e) {
      showMsg($("page-msg"), "bad", ["observe.cannot_check"], ...T.because(e));
      return;
    }
    connect(0);
  }

  function renderMeta() {
    const phase = st.result ? "tallied" : st.closed ? "closed" : st.opened ? "open" : (info && info.phase) || "setup";
    const parts = [T.phaseBadge(phase)];
    if (st.rollCount !== null) parts.push(el("span", { text: ["observe.on_roll", { n: st.rollCount }] }));
    parts.push(el("span", { text: ["common.voting_period", { opens: { date: manifest.schedule.opens }, closes: { date: manifest.schedule.closes } }] }));
    $("meta").replaceChildren(...parts);
  }

  // --- The feed ----------------------------------------------------------

  let retryDelay = 500;
  function connect() {
    if (failed) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/v1/elections/${id}/feed?from=${next}`);
    ws.onopen = () => { setText($("live"), ["observe.live"]); $("live").classList.add("on"); retryDelay = 500; };
    ws.onmessage = (ev) => {
      if (failed) return;
      let item;
      try {
        item = call("observeFeed", ev.data);
      } catch (e) {
        failed = true;
        ws.close();
        showMsg($("page-msg"), "bad", ["observe.failed"], ["observe.failed_text", { reason: e.message }]);
        setText($("chain"), ["observe.check_failed"]);
        return;
      }
      if (item.entry) onEntry(item.entry);
      if (item.checkpoint) onCheckpoint(item.checkpoint);
      keepForRecord(ev.data, item);
      schedule();
    };
    ws.onclose = () => {
      setText($("live"), [failed ? "observe.stopped" : "observe.reconnecting"]);
      $("live").classList.remove("on");
      if (!failed) setTimeout(connect, retryDelay = Math.min(retryDelay * 2, 10000));
    };
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  }

  // The entry types with a label in the catalogue (type.<entry type>).
  const typeLabels = new Set(["election.setup", "election.manifest", "roll.voters", "roll.seal", "ceremony.params", "ceremony.commitments", "ceremony.shares",
    "ceremony.complaints", "ceremony.answer", "ceremony.result", "election.open", "ballot", "ballot.spoiled", "election.close", "tally.share", "tally.result",
    "mix.shuffle", "mix.share", "mix.result"]);

  function parse(p) { try { return JSON.parse(p); } catch (_) { return null; } }

  function trusteeName(e) {
    const t = st.byKey.get(e.signer_key);
    return t ? t.name : ["observe.trustee_key", { key: e.signer_key.slice(0, 8) }];
  }

  function onEntry(e) {
    next = e.index + 1;
    let detail = "";
    const p = e.payload ? parse(e.payload) : null;
    switch (e.type) {
      case "election.setup":
        if (p && Array.isArray(p.trustees)) {
          st.trustees = p.trustees.map((t, i) => ({ name: t.name || ["observe.trustee_n", { i: i + 1 }], key: t.signing_key, posted: new Set() }));
          st.trustees.forEach((t) => st.byKey.set(t.key, t));
          st.threshold = p.threshold;
          detail = ["observe.d_setup", { n: p.trustees.length, k: p.threshold }];
        }
        break;
      case "election.manifest": detail = p ? T.title(p) : ""; break;
      case "roll.voters": detail = p && p.credentials ? ["observe.d_credentials", { n: p.credentials.length }] : ""; break;
      case "roll.seal": if (p) { st.rollCount = p.count; detail = ["observe.d_voters", { n: p.count }]; } break;
      case "ceremony.commitments": case "ceremony.shares": case "ceremony.complaints": case "ceremony.answer": case "tally.share": case "mix.shuffle": case "mix.share": {
        const t = st.byKey.get(e.signer_key);
        if (t) t.posted.add(e.type);
        detail = trusteeName(e);
        break;
      }
      case "ceremony.result": st.ceremonyDone = true; detail = p && p.joint_key ? ["observe.d_joint_key", { key: p.joint_key.slice(0, 16) }] : ["observe.d_ceremony_done"]; break;
      case "election.open": st.opened = e.time; break;
      case "election.close": st.closed = e.time; break;
      case "ballot": st.ballots++; st.voters.add(e.signer_key); detail = e.tracking_code ? ["observe.d_code", { code: e.tracking_code }] : ""; break;
      case "ballot.spoiled": st.spoiled.push(e); detail = e.tracking_code ? ["observe.d_code", { code: e.tracking_code }] : ["observe.d_not_verify"]; break;
      case "tally.result": st.result = p; detail = p ? ["observe.d_turnout", { n: p.turnout }] : ""; break;
      case "mix.result": detail = p && manifest.contests.find((c) => c.id === p.contest) ? T.title(manifest.contests.find((c) => c.id === p.contest)) : ""; break;
    }
    TM.onEntry(e, p, st.trustees.indexOf(st.byKey.get(e.signer_key)) + 1); // observe-mix.js
    const row = el("tr", { class: "new" },
      el("td", { class: "mono", text: String(e.index) }),
      el("td", { text: typeLabels.has(e.type) ? [`type.${e.type}`] : e.type }),
      el("td", { class: e.type === "ballot" || e.type === "ballot.spoiled" ? "mono" : "", text: detail }),
      el("td", { class: "hide-sm", text: ["common.arg", { v: { clock: e.time } }] }),
      el("td", { class: "mono hide-sm", text: e.hash.slice(0, 12) + "…" }));
    const body = $("entries");
    body.prepend(row);
    while (body.childElementCount > 300) body.lastElementChild.remove();
  }

  function keepForRecord(text, item) {
    if (recordBytes > maxRecordBytes) return;
    if (item.entry) {
      recordLines.push(text.trim());
      recordBytes += text.length;
    } else if (item.checkpoint && item.checkpoint.matched && item.checkpoint.size > recordSize && item.checkpoint.size === next) {
      recordLines.push(text.trim());
      recordSize = item.checkpoint.size;
      recordCut = recordLines.length;
    }
  }

  function downloadRecord() {
    if (recordBytes > maxRecordBytes) {
      showMsg($("page-msg"), "warn", ["observe.record_too_large"], ["observe.record_export", { cmd: `tabella export --server ${location.origin} --election ${id}` }]);
      return;
    }
    const header = JSON.stringify({ version: "tabella-record/v2", election: id, board_key: info.board_key });
    const text = [header, ...recordLines.slice(0, recordCut)].join("\n") + "\n";
    T.download(`${id}.record.jsonl`, text, "application/jsonl");
  }

  let lastCp = null;
  function onCheckpoint(cp) { lastCp = cp; }

  // printSummary prints the one-page summary of the results: the page's
  // heading, figures and results, with what identifies them (the
  // election, its manifest and base hashes, the board's latest signed
  // checkpoint); the print style (style.css, body.print-summary) leaves
  // out the rest of the page.
  function printSummary() {
    const row = (key, v) => [el("dt", { text: [key] }), el("dd", { class: "mono", text: v })];
    $("print-info").replaceChildren(el("dl", { class: "kv" },
      ...row("observe.p_election", id),
      ...row("observe.p_manifest", summary ? summary.manifest_hash : "—"),
      ...row("observe.p_base", info.base_hash || "—"),
      ...row("observe.p_checkpoint", lastCp ? `${lastCp.size} · ${lastCp.root}` : "—"),
      ...row("observe.p_page", location.origin + location.pathname)),
    el("p", { class: "small", text: ["observe.p_printed", { when: { date: new Date().toISOString() } }] }));
    document.body.classList.add("print-summary");
    window.print();
  }
  window.addEventListener("afterprint", () => document.body.classList.remove("print-summary"));

  // --- Rendering ---------------------------------------------------------

  function render() {
    $("n-ballots").textContent = String(st.ballots);
    setText($("n-voters"), st.rollCount ? ["observe.voters_of", { n: st.voters.size, roll: st.rollCount, pct: { pct: st.voters.size / st.rollCount } }] : ["observe.voters", { n: st.voters.size }]);
    $("n-spoiled").textContent = String(st.spoiled.length);
    $("n-entries").textContent = String(next);
    if (!failed) setText($("chain"), ["observe.chained"]);
    if (lastCp) {
      $("cp-size").textContent = `${lastCp.size}`;
      setText($("cp-root"), [(lastCp.matched ? "observe.cp_matched" : "observe.cp_signed") + (lastCp.witnesses.length ? "_cosigned" : ""), { root: lastCp.root.slice(0, 16), witnesses: lastCp.witnesses.join(", ") }]);
    }
    renderMeta();
    renderTrustees();
    renderSpoiled();
    if (st.result) renderResult();
    TM.render({ manifest, trustees: st.trustees, threshold: st.threshold });
  }

  function renderTrustees() {
    if (!st.trustees.length) return;
    const tallying = st.closed !== null;
    const shares = st.trustees.filter((t) => t.posted.has("tally.share")).length;
    setText($("cer-status"), tallying
      ? [st.result ? "observe.decryption_done" : "observe.decryption", { shares, n: st.trustees.length, k: st.threshold }]
      : st.ceremonyDone ? ["observe.ceremony_done", { k: st.threshold, n: st.trustees.length }] : ["observe.ceremony_running", { n: st.trustees.length, k: st.threshold }]);
    $("trustees").replaceChildren(...st.trustees.map((t) => {
      let s;
      if (tallying) s = t.posted.has("tally.share") ? el("span", { class: "badge open", text: ["observe.share_posted"] }) : el("span", { class: "badge", text: ["observe.no_share"] });
      else if (st.ceremonyDone) s = el("span", { class: "badge open", text: ["observe.t_ready"] });
      else {
        const steps = ["ceremony.commitments", "ceremony.shares"].filter((x) => t.posted.has(x)).length;
        s = el("span", { class: steps === 2 ? "badge open" : "badge setup", text: [steps === 2 ? "observe.round2" : steps === 1 ? "observe.round1" : "observe.t_waiting"] });
      }
      return el("li", {}, el("span", { text: t.name }), s);
    }));
  }

  function renderSpoiled() {
    if (!st.spoiled.length) return;
    $("spoiled-list").replaceChildren(el("table", { class: "entries" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["vote.tracking_code"] }), el("th", { scope: "col", text: ["observe.opens_to"] }))),
      el("tbody", {}, st.spoiled.slice(-50).reverse().map((e) => el("tr", {},
        el("td", { class: "mono" }, e.tracking_code ? el("a", { href: `/e/${id}/spoiled#${e.tracking_code}`, text: e.tracking_code }) : `#${e.index}`),
        el("td", {}, e.choices ? manifest.contests.map((c) => el("div", { class: "small" }, el("strong", { text: T.title(c) + ": " }), el("span", { text: T.describeContest(c, e.choices[c.id]) })))
          : el("span", { class: "cross", text: ["common.not_verify"] })))))));
  }

  // The results (e2e/SPEC.md §10.5): turnout (ballots counted ÷ the
  // roll's size), the checked (spoiled) ballots, which are never counted,
  // and for each homomorphically counted contest a bar chart (an SVG
  // image whose text alternative lists every count) and a table.
  let resultShown = false;
  function renderResult() {
    if (resultShown) return;
    resultShown = true;
    const r = st.result;
    const body = $("results-body");
    const roll = st.rollCount;
    body.replaceChildren(
      el("dl", { class: "kv figures" },
        el("dt", { text: ["observe.turnout"] }),
        el("dd", { id: "turnout", text: roll ? ["observe.turnout_of", { n: r.turnout, roll, pct: { pct: r.turnout / roll } }] : ["observe.turnout_n", { n: r.turnout }] }),
        el("dt", { text: ["observe.checked_spoiled"] }),
        el("dd", { id: "spoiled-count", text: ["observe.spoiled_n", { n: st.spoiled.length }] })),
      el("p", { class: "hint", text: ["observe.result_hint"] }));
    for (const rc of r.contests || []) {
      const c = manifest.contests.find((x) => x.id === rc.id);
      if (!c || c.kind === "ranked") continue;
      const rows = rc.options.map((o) => ({ title: T.title(c.options.find((x) => x.id === o.id) || { title: o.id }), count: o.count }));
      const hid = `res-${c.id}`;
      body.append(el("section", { class: "contest-result", "aria-labelledby": hid, "data-contest": c.id },
        el("h3", { id: hid, text: T.loc(c) }), chart(c, rows), resultTable(c, rows)));
    }
    $("results").hidden = false;
  }
  T.onLanguage(() => { if (resultShown) { resultShown = false; renderResult(); } TM.redraw(); if (manifest) render(); });

  // chart draws one contest's counts as horizontal bars: each option's
  // title above its bar and the count (and share) at the bar's end.
  function chart(c, rows) {
    const max = Math.max(1, ...rows.map((r) => r.count));
    const total = rows.reduce((a, r) => a + r.count, 0);
    const W = 400, right = 96, bar = 22, rowH = 58, barW = W - right;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${rows.length * rowH}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", T.t("observe.chart_alt", { title: T.title(c), list: rows.map((r) => `${r.title} ${r.count}`).join(", ") }));
    const mk = (tag, attrs, text) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text !== undefined) n.textContent = text; return n; };
    rows.forEach((r, i) => {
      const y = i * rowH;
      const w = (barW * r.count) / max;
      const top = r.count === max && r.count > 0;
      svg.append(mk("text", { x: 0, y: y + 16, "font-size": 16, fill: "#16191f" }, r.title.length > 44 ? r.title.slice(0, 43) + "…" : r.title));
      svg.append(mk("rect", { x: 0, y: y + 24, width: barW, height: bar, rx: 5, fill: "#eef0f4" }));
      svg.append(mk("rect", { x: 0, y: y + 24, width: Math.max(w, r.count ? 4 : 0), height: bar, rx: 5, fill: top ? "#2848c9" : "#6f86d9" }));
      const share = c.kind === "score" || !total ? "" : ` (${pctText(r.count / total)})`;
      svg.append(mk("text", { x: barW + 8, y: y + 41, "font-size": 16, "font-weight": 700, fill: "#16191f" }, `${r.count.toLocaleString(T.language())}${share}`));
    });
    return el("figure", { class: "chart-fig" }, svg, el("figcaption", { class: "hint small", text: [c.kind === "score" ? "observe.caption_points" : "observe.caption_votes"] }));
  }

  function pctText(x) {
    return new Intl.NumberFormat(T.language(), { style: "percent", maximumFractionDigits: 1 }).format(x);
  }

  // resultTable is the chart's numbers as a table.
  function resultTable(c, rows) {
    const total = rows.reduce((a, r) => a + r.count, 0);
    const score = c.kind === "score";
    return el("table", { class: "compare result-table" },
      el("caption", { class: "visually-hidden", text: ["observe.table_caption", { title: { loc: c } }] }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["observe.col_option"] }), el("th", { scope: "col", class: "num", text: [score ? "observe.col_points" : "observe.col_votes"] }),
        score ? null : el("th", { scope: "col", class: "num", text: ["observe.col_share"] }))),
      el("tbody", {}, rows.map((r) => el("tr", {}, el("th", { scope: "row", text: r.title }), el("td", { class: "num", text: r.count.toLocaleString(T.language()) }),
        score ? null : el("td", { class: "num", text: total ? pctText(r.count / total) : "—" })))),
      score ? null : el("tfoot", {}, el("tr", {}, el("th", { scope: "row", text: ["observe.total"] }), el("td", { class: "num", text: total.toLocaleString(T.language()) }), el("td", { class: "num", text: total ? pctText(1) : "—" }))));
  }

  start();
});
