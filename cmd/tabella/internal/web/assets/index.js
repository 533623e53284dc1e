// The landing page: elections on this server, or go to one by id.
"use strict";

T.ready.then(() => {
  const { el, api } = T;
  const $ = (id) => document.getElementById(id);
  T.initNav("");

  $("go").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("eid").value.trim().toLowerCase();
    if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(v)) location.href = `/e/${v}/`;
    else { $("eid").setAttribute("aria-invalid", "true"); $("eid").focus(); }
  });

  api("/v1/elections").then((list) => {
    const items = Array.isArray(list) ? list : list && Array.isArray(list.elections) ? list.elections : [];
    if (!items.length) { $("list").replaceChildren(el("p", { class: "hint", text: ["index.none"] })); return; }
    const ids = items.map((e) => (typeof e === "string" ? e : e.election_id || e.id)).filter((x) => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(x));
    $("list").replaceChildren(el("ul", { class: "trustees" }, ids.map((eid) => {
      const title = el("strong", { text: eid });
      const badge = el("span", {});
      // Fill in each election's title and phase (the first 20).
      if (ids.indexOf(eid) < 20) {
        api(`/v1/elections/${eid}`).then((info) => {
          const m = T.manifestOf(info);
          if (m && m.title) title.replaceChildren(T.title(m), " ", el("span", { class: "hint mono small", text: eid }));
          badge.replaceChildren(T.phaseBadge(info.phase));
        }).catch(() => {});
      }
      return el("li", {}, el("span", {}, title, " ", badge),
        el("span", { class: "row-actions" }, el("a", { class: "btn btn-primary", href: `/e/${eid}/`, text: ["nav.vote"] }), el("a", { class: "btn btn-secondary", href: `/e/${eid}/observe`, text: ["nav.observe"] })));
    })));
  }).catch(() => {
    $("list").replaceChildren(el("p", { class: "hint", text: ["index.enter_id"] }));
  });
});
