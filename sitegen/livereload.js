/* Development server only: reload when the site is rebuilt, show build errors over the page. */
(() => {
  "use strict";

  const OVERLAY_ID = "dev-build-error";
  // The build this page was served from; any other build means the page is stale.
  const served = document.currentScript ? document.currentScript.dataset.build : null;

  function hideOverlay() {
    const overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
  }

  // Styles are set through the CSSOM, which a strict style-src policy allows.
  function showOverlay(message) {
    hideOverlay();
    const overlay = document.createElement("div");
    overlay.id = OVERLAY_ID;
    overlay.setAttribute("role", "alert");
    Object.assign(overlay.style, {
      position: "fixed",
      inset: "0",
      zIndex: "2147483647",
      overflow: "auto",
      padding: "2rem",
      background: "rgba(20, 20, 20, 0.95)",
      color: "#fff",
      font: "16px/1.5 ui-monospace, monospace",
    });
    const title = overlay.appendChild(document.createElement("h2"));
    title.textContent = "The site did not build. Still showing the last good build.";
    Object.assign(title.style, { color: "#ffb4a8", font: "bold 1.25rem/1.4 sans-serif" });
    const details = overlay.appendChild(document.createElement("pre"));
    details.textContent = message;
    details.style.whiteSpace = "pre-wrap";
    document.body.appendChild(overlay);
  }

  const source = new EventSource("/__dev/events");
  source.addEventListener("build", (event) => {
    const state = JSON.parse(event.data);
    if (served && state.build !== served) {
      source.close();
      window.location.reload();
      return;
    }
    if (state.error) showOverlay(state.error);
    else hideOverlay();
  });
})();
