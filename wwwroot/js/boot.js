// Starts Blazor with reconnection settings suited to a live app: keep trying for a long time (a kiosk forever),
// because the page is worthless without its circuit and people may not be there to press "Retry".
(() => {
  const kiosk = location.pathname.toLowerCase().startsWith("/kiosk");
  Blazor.start({
    circuit: {
      reconnectionOptions: {
        maxRetries: kiosk ? 1_000_000 : 120,
        retryIntervalMilliseconds: (attempt) => (attempt < 4 ? 500 : attempt < 20 ? 2000 : 5000),
      },
    },
  });
})();
