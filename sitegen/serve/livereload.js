/* Development server only: reload when the site is rebuilt, show build errors over the page. */
(() => {
  "use strict";

  const OVERLAY_ID = "dev-build-error";
  const CHANNEL = "dev-livereload";
  // The build this page was served from; any other build means the page is stale.
  const served = document.currentScript ? document.currentScript.dataset.build : null;
  let latest = null;

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

  function apply(state) {
    latest = state;
    if (served && state.build !== served) {
      window.location.reload();
      return;
    }
    if (state.error) showOverlay(state.error);
    else hideOverlay();
  }

  function listen(onState) {
    const source = new EventSource("/__dev/events");
    source.addEventListener("build", (event) => onState(JSON.parse(event.data)));
    window.addEventListener("pagehide", () => source.close());
  }

  // A browser opens at most six HTTP/1.1 connections to one server, and each event stream
  // holds one: so one tab listens and passes what it hears to the others.
  if (!navigator.locks || !window.BroadcastChannel) {
    listen(apply);
    return;
  }
  const channel = new BroadcastChannel(CHANNEL);
  channel.addEventListener("message", (event) => {
    if (event.data.state) apply(event.data.state);
    else if (event.data.hello && latest) channel.postMessage({ state: latest });
  });
  navigator.locks.request(CHANNEL, () => {
    listen((state) => {
      channel.postMessage({ state });
      apply(state);
    });
    // Held while this page lives; when it goes, another tab takes over.
    return new Promise(() => {});
  });
  channel.postMessage({ hello: true });
})();
