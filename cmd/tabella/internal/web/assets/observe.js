// The observer page: the live board over the websocket feed
// (e2e/SPEC.md §8.7), each entry chained and each checkpoint matched in
// the browser; trustees' progress, checked ballots, and the results.
"use strict";

(() => {
  const { el, api, call, showMsg, showError } = T;
  const $ = (id) => document.getElementById(id);
  const id = T.electionId();
  const SVG = "http://www.w3.org/2000/svg";
  let manifest = null, info = null;
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
      $("title").textContent = "Election unavailable";
      showError($("page-msg"), e);
      return;
    }
    manifest = T.manifestOf(info);
    document.title = `Observe · ${manifest.title} · Tabella`;
    $("title").textContent = manifest.title;
    $("record").addEventListener("click", downloadRecord);
    renderMeta();
    try {
      await T.loadWasm();
      call("loadElection", JSON.stringify(info));
      if (!info.board_key) throw new Error("the server did not publish the board's key");
      call("observe", id, info.board_key);
    } catch (e) {
      showMsg($("page-msg"), "bad", "Cannot check this board", String(e.message || e));
      return;
    }
    connect(0);
  }

  function renderMeta() {
    const phase = st.result ? "tallied" : st.closed ? "closed" : st.opened ? "open" : (info && info.phase) || "setup";
    const parts = [T.phaseBadge(phase)];
    if (st.rollCount !== null) parts.push(el("span", { text: `${st.rollCount} voters on the roll` }));
    parts.push(el("span", { text: `Voting ${T.fmtTime(manifest.schedule.opens)} – ${T.fmtTime(manifest.schedule.closes)}` }));
    $("meta").replaceChildren(...parts);
  }

  // --- The feed ----------------------------------------------------------

  let retryDelay = 500;
  function connect() {
    if (failed) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/v1/elections/${id}/feed?from=${next}`);
    ws.onopen = () => { $("live").textContent = "live"; $("live").classList.add("on"); retryDelay = 500; };
    ws.onmessage = (ev) => {
      if (failed) return;
      let item;
      try {
        item = call("observeFeed", ev.data);
      } catch (e) {
        failed = true;
        ws.close();
        showMsg($("page-msg"), "bad", "The board failed a check", `This browser stopped following the board: ${e.message}. Save this page and report it; a board that shows inconsistent histories is caught this way.`);
        $("chain").textContent = "check FAILED";
        return;
      }
      if (item.entry) onEntry(item.entry);
      if (item.checkpoint) onCheckpoint(item.checkpoint);
      keepForRecord(ev.data, item);
      schedule();
    };
    ws.onclose = () => {
      $("live").textContent = failed ? "stopped" : "reconnecting";
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

  const typeLabels = {
    "election.setup": "Setup", "election.manifest": "Manifest", "roll.voters": "Voter roll", "roll.seal": "Roll sealed",
    "ceremony.params": "Key ceremony", "ceremony.commitments": "Commitments", "ceremony.shares": "Key shares",
    "ceremony.complaints": "Complaints", "ceremony.answer": "Answer", "ceremony.result": "Joint key",
    "election.open": "Voting opened", "ballot": "Ballot", "ballot.spoiled": "Checked encryption",
    "election.close": "Voting closed", "tally.share": "Decryption share", "tally.result": "Result",
  };

  function parse(p) { try { return JSON.parse(p); } catch (_) { return null; } }

  function trusteeName(e) {
    const t = st.byKey.get(e.signer_key);
    return t ? t.name : `trustee ${e.signer_key.slice(0, 8)}`;
  }

  function onEntry(e) {
    next = e.index + 1;
    let detail = "";
    const p = e.payload ? parse(e.payload) : null;
    switch (e.type) {
      case "election.setup":
        if (p && Array.isArray(p.trustees)) {
          st.trustees = p.trustees.map((t, i) => ({ name: t.name || `Trustee ${i + 1}`, key: t.signing_key, posted: new Set() }));
          st.trustees.forEach((t) => st.byKey.set(t.key, t));
          st.threshold = p.threshold;
          detail = `${p.trustees.length} trustees, any ${p.threshold} can decrypt`;
        }
        break;
      case "election.manifest": detail = p ? p.title : ""; break;
      case "roll.voters": detail = p && p.credentials ? `${p.credentials.length} credentials` : ""; break;
      case "roll.seal": if (p) { st.rollCount = p.count; detail = `${p.count} voters`; } break;
      case "ceremony.commitments": case "ceremony.shares": case "ceremony.complaints": case "ceremony.answer": case "tally.share": {
        const t = st.byKey.get(e.signer_key);
        if (t) t.posted.add(e.type);
        detail = trusteeName(e);
        break;
      }
      case "ceremony.result": st.ceremonyDone = true; detail = p && p.joint_key ? `joint key ${p.joint_key.slice(0, 16)}…` : "key ceremony complete"; break;
      case "election.open": st.opened = e.time; break;
      case "election.close": st.closed = e.time; break;
      case "ballot": st.ballots++; st.voters.add(e.signer_key); detail = e.tracking_code ? `tracking code ${e.tracking_code}` : ""; break;
      case "ballot.spoiled": st.spoiled.push(e); detail = e.tracking_code ? `tracking code ${e.tracking_code}` : "does not verify"; break;
      case "tally.result": st.result = p; detail = p ? `turnout ${p.turnout}` : ""; break;
    }
    const row = el("tr", { class: "new" },
      el("td", { class: "mono", text: String(e.index) }),
      el("td", { text: typeLabels[e.type] || e.type }),
      el("td", { class: e.type === "ballot" || e.type === "ballot.spoiled" ? "mono" : "", text: detail }),
      el("td", { class: "hide-sm", text: new Date(e.time).toLocaleTimeString() }),
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
      showMsg($("page-msg"), "warn", "The record is too large to assemble in the browser", `Download it with: tabella export --server ${location.origin} --election ${id}`);
      return;
    }
    const header = JSON.stringify({ version: "tabella-record/v2", election: id, board_key: info.board_key });
    const text = [header, ...recordLines.slice(0, recordCut)].join("\n") + "\n";
    T.download(`${id}.record.jsonl`, text, "application/jsonl");
  }

  let lastCp = null;
  function onCheckpoint(cp) { lastCp = cp; }

  // --- Rendering ---------------------------------------------------------

  function render() {
    $("n-ballots").textContent = String(st.ballots);
    $("n-voters").textContent = `${st.voters.size} voter${st.voters.size === 1 ? "" : "s"}${st.rollCount ? ` of ${st.rollCount} (${Math.round((100 * st.voters.size) / st.rollCount)}%)` : ""}`;
    $("n-spoiled").textContent = String(st.spoiled.length);
    $("n-entries").textContent = String(next);
    if (!failed) $("chain").textContent = "every entry hash-chained and checked";
    if (lastCp) {
      $("cp-size").textContent = `${lastCp.size}`;
      $("cp-root").textContent = (lastCp.matched ? "✓ signed, matches the entries · " : "signed · ") + lastCp.root.slice(0, 16) + "…" + (lastCp.witnesses.length ? ` · cosigned by ${lastCp.witnesses.join(", ")}` : "");
    }
    renderMeta();
    renderTrustees();
    renderSpoiled();
    if (st.result) renderResult();
  }

  function renderTrustees() {
    if (!st.trustees.length) return;
    const tallying = st.closed !== null;
    const shares = st.trustees.filter((t) => t.posted.has("tally.share")).length;
    $("cer-status").textContent = tallying
      ? `Decryption: ${shares} of ${st.trustees.length} trustees posted their share; ${st.threshold} are needed.` + (st.result ? " The result is published." : "")
      : st.ceremonyDone ? `Key ceremony complete: any ${st.threshold} of ${st.trustees.length} trustees can decrypt the tally.` : `Key ceremony in progress: ${st.trustees.length} trustees, threshold ${st.threshold}.`;
    $("trustees").replaceChildren(...st.trustees.map((t) => {
      let s;
      if (tallying) s = t.posted.has("tally.share") ? el("span", { class: "badge open", text: "share posted" }) : el("span", { class: "badge", text: "no share yet" });
      else if (st.ceremonyDone) s = el("span", { class: "badge open", text: "ready" });
      else {
        const steps = ["ceremony.commitments", "ceremony.shares"].filter((x) => t.posted.has(x)).length;
        s = el("span", { class: steps === 2 ? "badge open" : "badge setup", text: steps === 2 ? "round 2 done" : steps === 1 ? "round 1 done" : "waiting" });
      }
      return el("li", {}, el("span", { text: t.name }), s);
    }));
  }

  function renderSpoiled() {
    if (!st.spoiled.length) return;
    $("spoiled-list").replaceChildren(el("table", { class: "entries" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Tracking code" }), el("th", { scope: "col", text: "Opens to" }))),
      el("tbody", {}, st.spoiled.slice(-50).reverse().map((e) => el("tr", {},
        el("td", { class: "mono" }, e.tracking_code ? el("a", { href: `/e/${id}/spoiled#${e.tracking_code}`, text: e.tracking_code }) : `#${e.index}`),
        el("td", {}, e.choices ? manifest.contests.map((c) => el("div", { class: "small" }, el("strong", { text: c.title + ": " }), T.describeContest(c, e.choices[c.id])))
          : el("span", { class: "cross", text: "✕ does not verify" })))))));
  }

  let resultShown = false;
  function renderResult() {
    if (resultShown) return;
    resultShown = true;
    const r = st.result;
    const body = $("results-body");
    body.replaceChildren(el("p", { class: "hint", text: `Turnout: ${r.turnout} ballot${r.turnout === 1 ? "" : "s"} counted. Decrypted jointly by the trustees, with proofs anyone can check.` }));
    for (const rc of r.contests || []) {
      const c = manifest.contests.find((x) => x.id === rc.id);
      if (!c) continue;
      body.append(el("h3", { text: c.title }), chart(c, rc));
    }
    $("results").hidden = false;
  }

  // chart draws one contest's counts as horizontal bars (SVG).
  function chart(c, rc) {
    const rows = rc.options.map((o) => ({ title: (c.options.find((x) => x.id === o.id) || { title: o.id }).title, count: o.count }));
    const max = Math.max(1, ...rows.map((r) => r.count));
    const total = rows.reduce((a, r) => a + r.count, 0);
    const W = 720, label = 200, gap = 12, bar = 28, rowH = bar + gap, right = 110;
    const H = rows.length * rowH;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    const summary = `${c.title}: ` + rows.map((r) => `${r.title} ${r.count}`).join(", ");
    svg.setAttribute("aria-label", summary);
    const mk = (tag, attrs, text) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text !== undefined) n.textContent = text; return n; };
    rows.forEach((r, i) => {
      const y = i * rowH;
      const w = ((W - label - right) * r.count) / max;
      const top = r.count === max && r.count > 0;
      svg.append(mk("text", { x: label - 10, y: y + bar / 2 + 5, "text-anchor": "end", "font-size": 15, fill: "#16191f" }, r.title.length > 26 ? r.title.slice(0, 25) + "…" : r.title));
      svg.append(mk("rect", { x: label, y, width: W - label - right, height: bar, rx: 6, fill: "#eef0f4" }));
      svg.append(mk("rect", { x: label, y, width: Math.max(w, r.count ? 4 : 0), height: bar, rx: 6, fill: top ? "#2848c9" : "#8ea2e8" }));
      const pct = c.kind === "score" ? "" : total ? ` (${Math.round((100 * r.count) / total)}%)` : "";
      svg.append(mk("text", { x: W - right + 10, y: y + bar / 2 + 5, "font-size": 15, "font-weight": 700, fill: "#16191f" }, `${r.count}${pct}`));
    });
    return el("figure", { class: "chart-fig" }, svg, el("figcaption", { class: "hint small", text: c.kind === "score" ? "Total points per option." : "Votes per option." }));
  }

  start();
})();
