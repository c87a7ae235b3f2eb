/* /admin/ and /admin/request/: go on in the moderator's language, the one chosen last time,
   else the browser's first of ours. The links stay for browsers without scripts. */
(() => {
  "use strict";

  const LANGUAGE_KEY = "ask-for-help:admin-language";
  const TARGETS = ["", "request/"];

  const links = Array.from(document.querySelectorAll("a[data-language]"));
  const codes = links.map((link) => link.dataset.language);
  const target = TARGETS.includes(document.body.dataset.target) ? document.body.dataset.target : "";
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    // Storage may be off: the browser's languages decide.
  }
  const preferred = Array.from(navigator.languages || [navigator.language || ""], (tag) =>
    String(tag).toLowerCase().split("-")[0],
  );
  const chosen = [stored, ...preferred].find((code) => codes.includes(code)) || codes[0];
  const rest = window.location.search + window.location.hash;
  for (const link of links) link.href = `/admin/${link.dataset.language}/${target}${rest}`;
  if (chosen) window.location.replace(`/admin/${chosen}/${target}${rest}`);
})();
