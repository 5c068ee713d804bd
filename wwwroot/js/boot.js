// Starts Blazor with reconnection settings suited to a live app: keep trying for a long time (a kiosk forever),
// because the page is worthless without its circuit and people may not be there to press "Retry".
(() => {
  const kiosk = location.pathname.toLowerCase().startsWith("/kiosk");
  Blazor.start({
    circuit: {
      // A connection that stalls without closing (a phone moving between networks, a proxy holding the socket) was
      // silent for SignalR's default 30 s: with the server pinging every 5 s (UiServiceCollectionExtensions), 12 s of
      // silence means the connection is gone, and the reconnect dialog says so.
      configureSignalR: (builder) => builder.withServerTimeout(12_000).withKeepAliveInterval(5_000),
      reconnectionOptions: {
        maxRetries: kiosk ? 1_000_000 : 120,
        retryIntervalMilliseconds: (attempt) => (attempt < 4 ? 500 : attempt < 20 ? 2000 : 5000),
      },
    },
  });
})();

// Skip links must move the keyboard focus. Blazor's router takes a same-page #link and only scrolls to it, so the next
// Tab would start from the top again; this runs first (capture) and focuses the target itself.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.nl-skip") : null;
  const target = link && document.getElementById(new URL(link.href).hash.slice(1));
  if (!target) {
    return;
  }
  event.preventDefault();
  event.stopPropagation();
  target.focus();
}, true);
