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

// A radio item a click or key may choose: not disabled, natively or by aria-disabled.
const usable = (item) => !item.disabled && item.getAttribute("aria-disabled") !== "true";

// Radio groups built from buttons (the settings' Steps, Seed, Model and Size): the arrow keys move the choice to the
// next or previous item and focus it, Home and End to the first and last, as native radio buttons do; disabled items
// are skipped. The chosen item is the group's one tab stop (GenerationControls).
document.addEventListener("keydown", (event) => {
  const radio = event.target instanceof Element ? event.target.closest("[role=radiogroup] [role=radio]") : null;
  if (!radio || event.defaultPrevented || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  const group = radio.closest("[role=radiogroup]");
  const items = [...group.querySelectorAll("[role=radio]")].filter((item) =>
    item.closest("[role=radiogroup]") === group && usable(item));
  const at = items.indexOf(radio);
  const next = {
    ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: items.length - 1,
  }[event.key];
  if (next === undefined || items.length === 0) {
    return;
  }
  event.preventDefault();
  const target = items[(next + items.length) % items.length];
  target.focus();
  if (target.getAttribute("aria-checked") !== "true") {
    target.click();
  }
});

// A settings click shows at once: the choice is the circuit's to make, so on a slow link the old item stayed marked for
// a round trip and people clicked again. The clicked item looks chosen (nl-pending, app.css) until the group's
// aria-checked changes (the server's answer, which then says what holds) or 3 s pass.
const PendingMs = 3_000;
document.addEventListener("click", (event) => {
  const radio = event.target instanceof Element ? event.target.closest("[role=radiogroup] [role=radio]") : null;
  if (!radio || !usable(radio) || radio.getAttribute("aria-checked") === "true") {
    return;
  }
  const group = radio.closest("[role=radiogroup]");
  group.nlPending?.();
  radio.classList.add("nl-pending");
  group.classList.add("nl-has-pending");
  const observer = new MutationObserver(() => group.nlPending?.());
  const timer = setTimeout(() => group.nlPending?.(), PendingMs);
  group.nlPending = () => {
    observer.disconnect();
    clearTimeout(timer);
    radio.classList.remove("nl-pending");
    group.classList.remove("nl-has-pending");
    group.nlPending = null;
  };
  observer.observe(group, { subtree: true, attributes: true, attributeFilter: ["aria-checked"] });
}, true);

// A prompt field that replaces on focus (PromptBox.SelectOnFocus: a phone at a kiosk, the screen's prompt in it): the
// tap selects the text, after the browser has placed the caret for it.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if ((field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) && field.id === "prompt"
    && !field.readOnly && field.closest("[data-select-on-focus]")) {
    setTimeout(() => field.select(), 0);
  }
});

// The model notice's "hide" button: remembered in this browser by the notice's kind, so the same notice stays hidden
// after a reload (the document's first script reads the list before anything paints) and a different one shows.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-hide-banner]") : null;
  if (!button) {
    return;
  }
  const root = document.documentElement;
  const hidden = new Set((root.dataset.hiddenBanners ?? "").split(" ").filter(Boolean));
  hidden.add(button.dataset.hideBanner);
  root.dataset.hiddenBanners = [...hidden].join(" ");
  try { localStorage.setItem("nitro-hidden-banners", root.dataset.hiddenBanners); } catch { /* this page only */ }
  document.getElementById("main")?.focus?.();
});
