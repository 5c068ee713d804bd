// Reconnection UI. Blazor retries on its own schedule (see wwwroot/js/boot.js); this script shows where it stands
// and decides what to do when the circuit is gone for good: reload, but only once the server answers again, so a
// kiosk never lands on a browser error page.
const modal = document.getElementById("components-reconnect-modal");
const kiosk = modal.dataset.kiosk === "true";
let recovering = false;

modal.addEventListener("components-reconnect-state-changed", onStateChanged);

// A send that fails while the connection is down (a keystroke, the answer to a frame) makes Blazor show its error bar,
// though nothing broke: this dialog already says what is happening, and the page works again once the circuit is back.
// While the dialog is open the bar stays hidden; an error with the connection up still shows it. The bar is the
// layout's, rendered after this script runs: it is looked up when the dialog first opens.
let watchedBar = null;
function keepErrorBarHiddenWhileOpen() {
  const bar = document.getElementById("blazor-error-ui");
  if (!bar || bar === watchedBar) {
    return;
  }
  watchedBar = bar;
  const hide = () => {
    if (modal.open && bar.style.display && bar.style.display !== "none") {
      bar.style.display = "none";
    }
  };
  new MutationObserver(hide).observe(bar, { attributes: true, attributeFilter: ["style"] });
  hide();
}
document.getElementById("components-reconnect-button").addEventListener("click", retry);
document.getElementById("components-resume-button").addEventListener("click", resume);

function onStateChanged(event) {
  const state = event.detail.state;
  if (state === "show") {
    open();
    keepErrorBarHiddenWhileOpen();
  } else if (state === "hide") {
    modal.close();
    resendPrompt();
  } else if (state === "failed") {
    document.addEventListener("visibilitychange", retryWhenVisible);
    recoverForever();
  } else if (state === "rejected") {
    reloadWhenServerAnswers();
  }
}

// Keystrokes typed while the connection was down never reached the server (Blazor drops events it cannot send): once
// it is back, the prompt field says again what it holds, and the server sends it on if it differs from the session's.
function resendPrompt() {
  const prompt = document.getElementById("prompt");
  if (prompt && !prompt.readOnly) {
    prompt.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

function open() {
  if (modal.open) {
    return;
  }
  // The kiosk overlay must not take focus or block anything: show() instead of showModal().
  if (kiosk) {
    modal.show();
  } else {
    modal.showModal();
  }
}

async function retry() {
  document.removeEventListener("visibilitychange", retryWhenVisible);
  try {
    const reconnected = await Blazor.reconnect();
    if (!reconnected) {
      // The server answered but no longer knows this circuit.
      const resumed = await Blazor.resumeCircuit();
      if (resumed) {
        modal.close();
      } else {
        await reloadWhenServerAnswers();
      }
    }
    return true;
  } catch {
    document.addEventListener("visibilitychange", retryWhenVisible);
    return false;
  }
}

async function resume() {
  try {
    if (!(await Blazor.resumeCircuit())) {
      await reloadWhenServerAnswers();
    }
  } catch {
    modal.classList.replace("components-reconnect-paused", "components-reconnect-resume-failed");
  }
}

async function retryWhenVisible() {
  if (document.visibilityState === "visible") {
    await retry();
  }
}

// After Blazor's own retries are spent: keep trying every few seconds, for as long as the page is open.
async function recoverForever() {
  if (recovering) {
    return;
  }
  recovering = true;
  try {
    while (true) {
      await sleep(kiosk ? 3000 : 5000);
      if (await serverAnswers() && (await retry())) {
        return;
      }
    }
  } finally {
    // A later loss of the connection in the same page must start its own recovery.
    recovering = false;
  }
}

async function reloadWhenServerAnswers() {
  open();
  while (!(await serverAnswers())) {
    await sleep(2000);
  }
  location.reload();
}

async function serverAnswers() {
  try {
    // Any small static file proves the server is back; the page route itself may be expensive.
    const response = await fetch("favicon.svg", { cache: "no-store" });
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
