// The ranking control of a ranked contest on the voter page (e2e/SPEC.md
// §6.1, §7.2). The voter builds an ordered list of at most L options (the
// contest's max_selections) from the first preference on: "Rank next"
// appends an unranked option, "Move up"/"Move down" reorder, "Remove"
// takes an option out and closes the gap. Every control is a button, so
// keyboard (Tab, Enter, Space), touch and mouse work alike, and no drag is
// needed; arrow keys move between rows, Alt+arrow moves the option. By
// construction a ranking never repeats an option and never skips a rank;
// the WebAssembly client checks it again (ballot.Contest.Ranking) before
// encrypting. Each change is announced in a polite live region.
"use strict";

const TR = (() => {
  const { el, setText } = T;
  const state = new Map(); // contest id → {c, order, locked, onChange, parts}

  const rankLength = (c) => c.max_selections || c.options.length;
  const titleOf = (c, oid) => T.title(c.options.find((o) => o.id === oid) || { title: oid });

  // render builds the control of contest c inside its fieldset; onChange
  // is called after every change of the ranking.
  function render(c, fs, onChange) {
    const ids = (what) => `rank-${what}-${c.id}`;
    const p = {
      help: el("p", { class: "hint", id: ids("help"), text: ["vote.rank_help", { n: rankLength(c) }] }),
      yoursH: el("h3", { class: "rank-h", id: ids("yours"), text: ["vote.rank_yours"] }),
      empty: el("p", { class: "hint rank-empty", text: ["vote.rank_empty"] }),
      ol: el("ol", { class: "ranking", id: `ranking-${c.id}`, "aria-labelledby": ids("yours") }),
      restH: el("h3", { class: "rank-h", id: ids("rest"), text: ["vote.rank_unranked"] }),
      allRanked: el("p", { class: "hint", text: ["vote.rank_all"] }),
      ul: el("ul", { class: "unranked", id: `unranked-${c.id}`, "aria-labelledby": ids("rest") }),
      counter: el("p", { class: "counter", id: `count-${c.id}` }),
      live: el("p", { class: "visually-hidden", id: ids("live"), role: "status", "aria-live": "polite" }),
    };
    const s = { c, order: [], locked: false, onChange, parts: p };
    state.set(c.id, s);
    fs.setAttribute("aria-describedby", `rule-${c.id} ${ids("help")} count-${c.id}`);
    fs.classList.add("ranked");
    p.root = el("div", { class: "rank-cols" },
      el("div", { class: "rank-col" }, p.yoursH, p.empty, p.ol),
      el("div", { class: "rank-col" }, p.restH, p.allRanked, p.ul));
    fs.append(p.help, p.root, p.counter, p.live);
    for (const list of [p.ol, p.ul]) list.addEventListener("keydown", (ev) => arrows(s, list, ev));
    draw(s);
  }

  function button(s, oid, act, text, label, disabled) {
    return el("button", {
      type: "button", id: `rank-${act}-${s.c.id}-${oid}`, class: `btn btn-secondary rank-btn rank-${act}`, "data-act": act, "aria-label": label, text,
      disabled: s.locked || disabled, onclick: () => change(s, oid, act),
    });
  }

  function draw(s) {
    const { c, parts: p } = s;
    const L = rankLength(c), n = s.order.length, full = n >= L;
    p.ol.replaceChildren(...s.order.map((oid, k) => {
      const title = titleOf(c, oid);
      return el("li", { class: "rank-item", "data-option": oid },
        el("span", { class: "rank-num", "aria-hidden": "true", text: String(k + 1) }),
        el("span", { class: "opt-title" }, el("span", { class: "visually-hidden", text: ["vote.rank_pos", { n: k + 1 }] }), title),
        el("span", { class: "rank-btns" },
          button(s, oid, "up", ["vote.rank_up"], ["vote.rank_up_label", { title }], k === 0),
          button(s, oid, "down", ["vote.rank_down"], ["vote.rank_down_label", { title }], k === n - 1),
          button(s, oid, "remove", ["vote.rank_remove"], ["vote.rank_remove_label", { title }], false)));
    }));
    p.ol.hidden = n === 0;
    p.empty.hidden = n > 0;
    const rest = c.options.filter((o) => !s.order.includes(o.id));
    p.ul.replaceChildren(...rest.map((o) => el("li", { class: "rank-item", "data-option": o.id },
      el("span", { class: "opt-title", text: T.loc(o) }),
      el("span", { class: "rank-btns" }, button(s, o.id, "add", ["vote.rank_add"], ["vote.rank_add_label", { title: { loc: o }, n: n + 1 }], full)))));
    p.ul.hidden = rest.length === 0;
    p.allRanked.hidden = rest.length > 0;
    const lo = c.min_selections || 0;
    setText(p.counter, [n < lo ? "vote.rank_count_min" : full && rest.length ? "vote.rank_count_full" : "vote.rank_count", { sum: n, n: L, lo }]);
    p.counter.className = "counter" + (full ? " full" : "");
  }

  // focusOn focuses the first enabled button of the candidates
  // [option id, action] (after a redraw the old buttons are gone).
  function focusOn(s, ...candidates) {
    for (const [oid, act] of candidates) {
      if (!oid) continue;
      const b = s.parts.root.querySelector(`li[data-option="${CSS.escape(oid)}"] button[data-act="${act}"]`);
      if (b && !b.disabled) { b.focus(); return; }
    }
  }

  // change applies one action of the voter, announces it and moves the
  // focus to where the next action naturally is.
  function change(s, oid, act) {
    if (s.locked) return;
    const { c } = s;
    const L = rankLength(c), k = s.order.indexOf(oid), title = titleOf(c, oid);
    let msg, focus;
    if (act === "add") {
      if (k >= 0 || s.order.length >= L) return;
      s.order.push(oid);
      msg = ["vote.rank_added", { title, n: s.order.length }];
      const next = c.options.find((o) => !s.order.includes(o.id) && c.options.indexOf(o) > c.options.findIndex((x) => x.id === oid))
        || c.options.find((o) => !s.order.includes(o.id));
      focus = [[s.order.length < L && next && next.id, "add"], [oid, "up"], [oid, "remove"]];
    } else if (act === "up" || act === "down") {
      const j = act === "up" ? k - 1 : k + 1;
      if (k < 0 || j < 0 || j >= s.order.length) return;
      [s.order[k], s.order[j]] = [s.order[j], s.order[k]];
      msg = ["vote.rank_moved", { title, n: j + 1 }];
      focus = [[oid, act], [oid, act === "up" ? "down" : "up"]];
    } else if (act === "remove") {
      if (k < 0) return;
      s.order.splice(k, 1);
      msg = ["vote.rank_removed", { title, n: s.order.length }];
      focus = [[s.order[k], "remove"], [s.order[k - 1], "remove"], [oid, "add"]];
    } else return;
    draw(s);
    focusOn(s, ...focus);
    announce(s, msg, act === "add" && s.order.length >= L && L < c.options.length);
    s.onChange(c);
  }

  function announce(s, msg, full) {
    const live = s.parts.live;
    const parts = [el("span", { text: msg })];
    if (full) parts.push(" ", el("span", { text: ["vote.rank_now_full", { n: rankLength(s.c) }] }));
    live.replaceChildren(...parts);
  }

  // arrows: Up/Down move between the rows of a list (same action where
  // it can), Alt+Up/Alt+Down move the focused ranked option.
  function arrows(s, list, ev) {
    if (ev.key !== "ArrowUp" && ev.key !== "ArrowDown") return;
    const b = ev.target.closest("button[data-act]");
    const li = ev.target.closest("li[data-option]");
    if (!b || !li) return;
    ev.preventDefault();
    if (ev.altKey && list === s.parts.ol) {
      change(s, li.dataset.option, ev.key === "ArrowUp" ? "up" : "down");
      return;
    }
    const rows = [...list.children];
    const to = rows[rows.indexOf(li) + (ev.key === "ArrowUp" ? -1 : 1)];
    if (!to) return;
    const same = to.querySelector(`button[data-act="${b.dataset.act}"]`);
    const target = same && !same.disabled ? same : to.querySelector("button:not(:disabled)");
    if (target) target.focus();
  }

  // ranking returns the option ids of contest c from the first rank on
  // (what the WebAssembly client's encrypt takes for a ranked contest).
  function ranking(c) {
    const s = state.get(c.id);
    return s ? [...s.order] : [];
  }

  // problem returns the spec of what keeps the ranking from being cast,
  // or null.
  function problem(c) {
    const lo = c.min_selections || 0;
    const n = ranking(c).length;
    return n < lo ? ["vote.rank_problem_min", { title: { loc: c }, n: lo }] : null;
  }

  // lock disables (or enables again) the controls of contest c.
  function lock(c, locked) {
    const s = state.get(c.id);
    if (!s) return;
    s.locked = locked;
    draw(s);
  }

  return { render, ranking, problem, lock };
})();
