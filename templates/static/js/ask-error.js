/* The error page lists every rule; keep only the ones the API named in `?errors=field.code,...`. */
(() => {
  "use strict";

  const raw = new URLSearchParams(window.location.search).get("errors") || "";
  const wanted = raw
    .split(",")
    .map((token) => token.trim())
    .filter((token) => /^[a-z_]+\.[a-z_]+$/.test(token))
    .map((token) => `error-${token.replace(".", "-")}`);
  const items = Array.from(document.querySelectorAll('[id^="error-"]')).filter(
    (item) => item.tagName === "LI",
  );
  // An unknown or empty list leaves every rule visible rather than an empty page.
  if (!items.some((item) => wanted.includes(item.id))) return;
  for (const item of items) item.hidden = !wanted.includes(item.id);
})();
