// The observer page's ranked contests: the mix cascade's progress from the
// board's mix.shuffle and mix.share entries (e2e/SPEC.md §16.2, §16.3) and
// each contest's count from its mix.result (§16.4): the rounds of the
// canonical count result (§15.7) as a table and a bar chart with a text
// alternative. observe.js hands every entry to TM.onEntry and calls
// TM.render with its state after each batch.
"use strict";

const TM = (() => {
  const { el, setText, t } = T;
  const SVG = "http://www.w3.org/2000/svg";
  const m = { roundSeconds: 0, qualified: null, closed: null, mixes: [], shares: [], results: new Map() };
  let manifest = null;
  const shownResults = new Set();

  // The catalogue keys of the count's methods, actions and tie rules.
  const methodKey = { irv: "observe.mix_method_irv", stv: "observe.mix_method_stv", schulze: "observe.mix_method_schulze" };
  const actionKey = { elect: "observe.mix_a_elect", eliminate: "observe.mix_a_eliminate", surplus: "observe.mix_a_surplus" };
  const tieKey = { previous_rounds: "observe.mix_tie_prev", precedence: "observe.mix_tie_order" };

  const ranked = () => (manifest ? manifest.contests.filter((c) => c.kind === "ranked") : []);

  // onEntry records what the cascade needs from one verified entry; p is
  // its payload parsed as JSON (or null); trustee its signer's 1-based
  // index in the setup, or 0.
  function onEntry(e, p, trustee) {
    switch (e.type) {
      case "ceremony.params": if (p && p.round_seconds > 0) m.roundSeconds = p.round_seconds; break;
      case "ceremony.result": if (p && Array.isArray(p.qualified)) m.qualified = p.qualified; break;
      case "election.close": m.closed = e.time; break;
      case "mix.shuffle": if (trustee) m.mixes.push({ trustee, time: e.time }); break;
      case "mix.share": if (trustee) m.shares.push({ trustee, time: e.time }); break;
      case "mix.result": if (p && typeof p.contest === "string" && p.count) m.results.set(p.contest, p); break;
    }
  }

  // cascade works out each qualified trustee's state (§16.2): turns in
  // QUAL order, each d seconds from the previous admitted mix (or the
  // close, or the previous deadline when a trustee was skipped). With
  // several ranked contests a trustee counts as mixed once it mixed all.
  function cascade(trustees) {
    const qual = m.qualified || trustees.map((_, i) => i + 1);
    const need = Math.max(1, ranked().length);
    const d = m.roundSeconds * 1000;
    const over = m.shares.length > 0 || m.results.size >= need;
    let open = m.closed, turn = null;
    const rows = qual.map((i, k) => {
      const mine = m.mixes.filter((x) => x.trustee === i);
      const later = m.mixes.some((x) => qual.indexOf(x.trustee) > k);
      if (mine.length >= need) { open = mine[mine.length - 1].time; return { i, state: "mixed" }; }
      if (turn) return { i, state: "waiting" };
      if (later || over || (d && Date.now() > open + d)) { open += d; return { i, state: "skipped" }; }
      turn = { i, until: d ? open + d : null };
      return { i, state: "turn" };
    });
    return { rows, turn, over, mixed: rows.filter((r) => r.state === "mixed").length };
  }

  function render(st) {
    manifest = st.manifest;
    const box = document.getElementById("mix");
    if (!box || !ranked().length) return;
    box.hidden = false;
    const name = (i) => (st.trustees[i - 1] ? st.trustees[i - 1].name : ["observe.trustee_n", { i }]);
    const status = document.getElementById("mix-status");
    const list = document.getElementById("mix-trustees");
    if (m.closed === null) {
      setText(status, ["observe.mix_waiting"]);
      list.replaceChildren();
    } else {
      const c = cascade(st.trustees);
      const lines = [el("p", { text: ["observe.mix_done_n", { done: c.mixed, n: c.rows.length }] })];
      if (c.turn && !c.over) lines.push(el("p", { text: [c.turn.until ? "observe.mix_turn_until" : "observe.mix_turn", { name: el("strong", { text: name(c.turn.i) }), until: { clock: c.turn.until } }] }));
      if (c.over || m.shares.length) {
        const need = ranked().length;
        const done = m.results.size >= need;
        const shares = new Set(m.shares.map((x) => x.trustee)).size;
        lines.push(el("p", { text: done ? ["observe.mix_decrypt_done"] : ["observe.mix_decrypt", { shares: Math.min(shares, st.threshold), n: st.threshold }] }));
      }
      status.replaceChildren(...lines);
      const badge = { mixed: ["badge open", "observe.mix_b_mixed"], turn: ["badge setup", "observe.mix_b_turn"], skipped: ["badge", "observe.mix_b_skipped"], waiting: ["badge", "observe.mix_b_waiting"] };
      list.replaceChildren(...c.rows.map((r) => el("li", {}, el("span", { text: name(r.i) }),
        el("span", { class: badge[r.state][0], text: [badge[r.state][1]] }))));
    }
    for (const rc of ranked()) {
      const res = m.results.get(rc.id);
      if (res && !shownResults.has(rc.id)) {
        shownResults.add(rc.id);
        document.getElementById("mix-results").append(contestResult(rc, res));
      }
    }
  }

  function redraw() {
    const box = document.getElementById("mix-results");
    if (!box) return;
    box.replaceChildren();
    shownResults.clear();
  }

  const optTitle = (c, k) => (c.options[k - 1] ? T.title(c.options[k - 1]) : `#${k}`);
  const titles = (c, ks) => ks.map((k) => optTitle(c, k)).join(", ");

  // contestResult shows one contest's count (§15.7).
  function contestResult(c, res) {
    const r = res.count;
    const hid = `mixres-${c.id}`;
    const pr = r.problems || {};
    const sec = el("section", { class: "contest-result", "aria-labelledby": hid, "data-contest": c.id },
      el("h3", { id: hid, text: T.loc(c) }),
      el("p", { class: "winners", text: ["observe.mix_winners", { n: r.winners.length, list: el("strong", { text: titles(c, r.winners) }) }] }),
      el("p", { class: "hint", text: [methodKey[r.method] || "observe.mix_method_irv", { quota: r.quota || "" }] }),
      el("p", { class: "hint", text: ["observe.mix_ballots", { n: r.ballots }] }),
      el("p", { class: "hint small", text: ["observe.mix_problems", { blank: pr.blank || 0, skipped: (pr.skipped_rank || {}).count || 0, repeated: (pr.repeated_option || {}).count || 0, invalid: (pr.invalid_ballot || {}).count || 0 }] }));
    if (Array.isArray(r.rounds) && r.rounds.length) sec.append(roundsChart(c, r), roundsTable(c, r));
    if (r.schulze && Array.isArray(r.schulze.ranking)) {
      sec.append(el("p", { text: ["observe.mix_schulze_order"] }), el("ol", { class: "schulze-order" }, r.schulze.ranking.map((k) => el("li", { text: optTitle(c, k) }))));
      if (Array.isArray(r.schulze.d)) sec.append(schulzeMatrix(c, r.schulze));
    }
    return sec;
  }

  // schulzeMatrix: the pairwise preferences d (§15.5) as a table, options
  // down and across; each cell the number of ballots preferring the row's
  // option to the column's, with the strongest path p in brackets.
  function schulzeMatrix(c, sz) {
    const n = c.options.length, d = sz.d, p = Array.isArray(sz.p) ? sz.p : [];
    const cell = (i, j) => (i === j ? "—" : `${d[i][j]}` + (p[i] ? ` (${p[i][j]})` : ""));
    return el("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-label": ["observe.mix_pairwise_caption", { title: c.title }] },
      el("p", { class: "hint small", text: ["observe.mix_pairwise_hint"] }),
      el("table", { class: "compare result-table pairwise-table", id: `pairwise-${c.id}` },
        el("caption", { class: "visually-hidden", text: ["observe.mix_pairwise_caption", { title: c.title }] }),
        el("thead", {}, el("tr", {}, el("td", {}), c.options.map((o) => el("th", { scope: "col", class: "num", text: o.title })))),
        el("tbody", {}, c.options.map((o, i) => el("tr", {}, el("th", { scope: "row", text: o.title }),
          Array.from({ length: n }, (_, j) => el("td", { class: "num", text: d[i] ? cell(i, j) : "" })))))));
  }

  function actionText(c, rd) {
    const a = rd.action || {};
    const spec = [actionKey[a.kind] || "observe.mix_a_elect", { list: titles(c, a.options || []), v: a.surplus || "" }];
    return tieKey[a.tie] ? el("span", {}, el("span", { text: spec }), " ", el("span", { class: "small", text: [tieKey[a.tie]] })) : el("span", { text: spec });
  }

  // roundsTable: options down, rounds across; each cell the tally at the
  // start of the round; then the exhausted value and the round's action.
  function roundsTable(c, r) {
    const rounds = r.rounds;
    return el("div", { class: "table-scroll", role: "region", tabindex: "0", "aria-label": ["observe.mix_table_caption", { title: { loc: c } }] },
      el("table", { class: "compare result-table rounds-table", id: `rounds-${c.id}` },
        el("caption", { class: "visually-hidden", text: ["observe.mix_table_caption", { title: { loc: c } }] }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: ["observe.col_option"] }), rounds.map((_, i) => el("th", { scope: "col", class: "num", text: ["observe.mix_round", { n: i + 1 }] })))),
        el("tbody", {},
          c.options.map((o, k) => el("tr", { class: r.winners.includes(k + 1) ? "winner" : null }, el("th", { scope: "row", text: T.loc(o) }), rounds.map((rd) => el("td", { class: "num", text: rd.tallies[k] })))),
          el("tr", {}, el("th", { scope: "row", text: ["observe.mix_exhausted"] }), rounds.map((rd) => el("td", { class: "num", text: rd.exhausted }))),
          el("tr", {}, el("th", { scope: "row", text: ["observe.mix_action"] }), rounds.map((rd) => el("td", {}, actionText(c, rd)))))));
  }

  // roundsChart draws, for each option, one bar per round (the tally at
  // the round's start); its text alternative lists every figure.
  function roundsChart(c, r) {
    const rounds = r.rounds, n = c.options.length;
    const num = (v) => Number(v) || 0;
    const max = Math.max(1, ...rounds.flatMap((rd) => rd.tallies.map(num)));
    const W = 480, right = 110, barW = W - right, bar = 12, gap = 3, head = 22, pad = 12;
    const rowH = head + rounds.length * (bar + gap) + pad;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${n * rowH}`);
    svg.setAttribute("role", "img");
    const alt = rounds.map((rd, i) => t("observe.mix_round", { n: i + 1 }) + ": " + c.options.map((o, k) => `${T.title(o)} ${rd.tallies[k]}`).join(", ")).join("; ");
    svg.setAttribute("aria-label", t("observe.mix_chart_alt", { title: T.title(c), list: alt }));
    const mk = (tag, attrs, text) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
    c.options.forEach((o, k) => {
      const y = k * rowH;
      const won = r.winners.includes(k + 1);
      svg.append(mk("text", { x: 0, y: y + 15, "font-size": 15, "font-weight": won ? 700 : 400, fill: "#16191f" }, (T.title(o).length > 52 ? T.title(o).slice(0, 51) + "…" : T.title(o)) + (won ? " ✓" : "")));
      rounds.forEach((rd, i) => {
        const by = y + head + i * (bar + gap);
        const v = num(rd.tallies[k]);
        svg.append(mk("rect", { x: 0, y: by, width: Math.max((barW * v) / max, v ? 3 : 0), height: bar, rx: 3, fill: won ? "#2848c9" : i === rounds.length - 1 ? "#6f86d9" : "#a9b7ea" }));
        svg.append(mk("text", { x: barW + 8, y: by + bar - 1, "font-size": 12, fill: "#3b4250" }, `${t("observe.mix_round_short", { n: i + 1 })} ${rd.tallies[k]}`));
      });
    });
    return el("figure", { class: "chart-fig" }, svg, el("figcaption", { class: "hint small", text: ["observe.mix_caption"] }));
  }

  return { onEntry, render, redraw };
})();
