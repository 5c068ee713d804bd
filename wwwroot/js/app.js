// Small page helpers used through JS interop (theme, clipboard, storage, fullscreen). Loaded as a module.

export function getTheme() {
  return document.documentElement.dataset.theme === "light" ? "light" : "dark";
}

export function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try { localStorage.setItem("nitro-theme", theme); } catch { /* private mode: the choice lasts this page */ }
}

// navigator.clipboard needs a secure context; plain http on a LAN address is not one, so fall back to a selection.
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through */ }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  return ok;
}

export function load(storage, key) {
  try { return (storage === "session" ? sessionStorage : localStorage).getItem(key); } catch { return null; }
}

export function save(storage, key, value) {
  try {
    const s = storage === "session" ? sessionStorage : localStorage;
    if (value === null || value === undefined) { s.removeItem(key); } else { s.setItem(key, value); }
  } catch { /* storage full or disabled: the session just will not survive a reload */ }
}

// Replaces the address without a navigation (the kiosk moves from /kiosk to /kiosk/{id} once its session exists).
export function replaceUrl(url) {
  history.replaceState(history.state, "", url);
}

export function toggleFullscreen(element) {
  if (document.fullscreenElement) {
    return document.exitFullscreen();
  }
  return (element ?? document.documentElement).requestFullscreen?.();
}

// Kiosk watchdog: the page beats every few seconds through its circuit. When the beats stop while no reconnection
// is under way (the circuit died of an error, or the socket hangs without closing), reload once the server answers.
let lastBeat = 0;
let watching = false;
export function kioskHeartbeat() {
  lastBeat = Date.now();
  if (watching) {
    return;
  }
  watching = true;
  setInterval(async () => {
    const reconnecting = document.getElementById("components-reconnect-modal")?.open;
    if (reconnecting || Date.now() - lastBeat < 30_000) {
      return;
    }
    try {
      const response = await fetch("favicon.svg", { cache: "no-store" });
      if (response.ok) {
        location.reload();
      }
    } catch { /* server still away: try again on the next check */ }
  }, 5_000);
}
