// The landing page: elections on this server, or go to one by id.
"use strict";

(() => {
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
    if (!items.length) { $("list").replaceChildren(el("p", { class: "hint", text: "No election is listed here. If you have an election id, enter it below." })); return; }
    $("list").replaceChildren(el("ul", { class: "trustees" }, items.map((e) => {
      const eid = typeof e === "string" ? e : e.election_id || e.id;
      const title = (e.title || (e.manifest && e.manifest.title)) || eid;
      return el("li", {}, el("span", {}, el("strong", { text: title }), " ", el("span", { class: "hint mono", text: eid })),
        el("span", {}, e.phase ? T.phaseBadge(e.phase) : null, " ", el("a", { class: "btn btn-primary", href: `/e/${eid}/`, text: "Vote" }), " ", el("a", { class: "btn btn-secondary", href: `/e/${eid}/observe`, text: "Observe" })));
    })));
  }).catch(() => {
    $("list").replaceChildren(el("p", { class: "hint", text: "If you have an election id, enter it below." }));
  });
})();
