// NitroLive frame module. Frames arrive from the Blazor circuit as binary byte[] (a Uint8Array here, never a base64
// string in the render tree), are decoded off the main thread with createImageBitmap, and only then drawn onto the
// canvas: the old picture stays until the new one is ready, so there is no flicker and no blank frame.

const views = new WeakMap();

// Measurements the HUD, the docs and the browser tests read: bytes per frame and frame-to-paint time.
const stats = (globalThis.__nitroFrames ??= { shown: 0, samples: [], last: null });
const MaxSamples = 500;

function view(canvas) {
  let state = views.get(canvas);
  if (!state) {
    // ticket: frames in arrival order; drawn: the newest ticket on the canvas. The server sends the newest frame last,
    // but decodes may finish out of order (a call that timed out on the server is still decoding here).
    // small: the scaled-down copies kept for a reload, by id; keep: the newest strip to keep, once typing pauses.
    state = { thumbs: new Map(), small: new Map(), keep: null, limit: 12, lastBlob: null, lastType: null, resize: null, ticket: 0, drawn: 0 };
    views.set(canvas, state);
  }
  return state;
}

export function attach(canvas, historyLimit) {
  // The view left the page before its module loaded (an error took its place): nothing to attach to.
  if (!(canvas instanceof HTMLCanvasElement)) {
    return;
  }

  const state = view(canvas);
  state.limit = Math.max(1, historyLimit | 0);
  if (!state.resize && typeof ResizeObserver === "function") {
    state.resize = new ResizeObserver(() => magnify(canvas));
    state.resize.observe(canvas);
  }
}

// A picture shown at twice its size or more (the 128x128 demo model in a 560 px frame) is scaled pixel by pixel:
// smooth scaling would blur it further. Near its own size (a real model's 512 or 1024 frame) smooth scaling stays,
// since repeating some rows and not others would show as uneven stripes.
const MagnifiedFrom = 2;

function magnify(canvas) {
  const magnified = canvas.width > 0 && canvas.clientWidth >= MagnifiedFrom * canvas.width;
  canvas.classList.toggle("is-magnified", magnified);
}

// Decodes and draws one frame. Resolves once the pixels are on the canvas, with the decode+draw time in ms.
export async function show(canvas, bytes, type, frameId, keepThumb) {
  const received = performance.now();
  const state = view(canvas);
  const ticket = ++state.ticket;
  const blob = new Blob([bytes], { type });
  const bitmap = await createImageBitmap(blob);
  const decoded = performance.now();
  if (ticket < state.drawn) {
    // A frame that came later is on the canvas already: this one would put an older picture over it.
    bitmap.close();
    return decoded - received;
  }
  state.drawn = ticket;
  try {
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      // Resizing clears the canvas, but the draw below happens in the same task, before any paint.
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    canvas.getContext("2d", { alpha: false }).drawImage(bitmap, 0, 0);
    magnify(canvas);
  } finally {
    bitmap.close();
  }
  const drawn = performance.now();

  state.lastBlob = blob;
  canvas.dataset.frame = String(frameId);
  canvas.classList.add("has-frame");
  if (keepThumb) {
    remember(state, String(frameId), blob);
  }

  const sample = {
    id: frameId,
    bytes: bytes.byteLength ?? bytes.length,
    type,
    width: canvas.width,
    height: canvas.height,
    decodeMs: decoded - received,
    drawMs: drawn - decoded,
    toPaintMs: null,
    // Page-clock times (performance.now()), so a benchmark can line a frame up with the keystroke before it.
    receivedAt: received,
    paintedAt: null,
  };
  stats.shown++;
  stats.last = sample;
  stats.samples.push(sample);
  if (stats.samples.length > MaxSamples) {
    stats.samples.shift();
  }
  // The next animation frame is when the browser paints what was just drawn.
  requestAnimationFrame(() => {
    sample.paintedAt = performance.now();
    sample.toPaintMs = sample.paintedAt - received;
  });

  return drawn - received;
}

function remember(state, id, blob) {
  if (state.thumbs.has(id)) {
    return;
  }
  state.thumbs.set(id, URL.createObjectURL(blob));
  // fillThumbs prunes what the strip no longer shows; this cap only guards against a strip that never renders.
  while (state.thumbs.size > state.limit * 4) {
    const [oldest, url] = state.thumbs.entries().next().value;
    URL.revokeObjectURL(url);
    state.thumbs.delete(oldest);
  }
}

// Points every <img data-frame="id"> in the container at the kept frame of that id (history strip thumbnails), and
// with a key keeps the strip's entries (each img's data-request) and their thumbnails for a reload of this tab.
export function fillThumbs(canvas, container, saveAs) {
  if (!container) {
    return;
  }
  const state = view(canvas);
  if (saveAs) {
    keepLater(state, saveAs, entriesOf(container));
  }
  const shown = new Set();
  let newest = -Infinity;
  for (const img of container.querySelectorAll("img[data-frame]")) {
    const id = img.dataset.frame;
    shown.add(id);
    newest = Math.max(newest, Number(id));
    const url = state.thumbs.get(id);
    if (url && img.getAttribute("src") !== url) {
      img.src = url;
    }
  }
  // Frames the strip dropped (or replaced while the prompt was being typed) are released; frames newer than the
  // strip's newest may not have reached it yet and are kept.
  for (const [id, url] of state.thumbs) {
    if (!shown.has(id) && Number(id) < newest) {
      URL.revokeObjectURL(url);
      state.thumbs.delete(id);
    }
  }
}

function entriesOf(container) {
  const entries = [];
  for (const img of container.querySelectorAll("img[data-frame][data-request]")) {
    try {
      entries.push({ id: Number(img.dataset.frame), request: JSON.parse(img.dataset.request) });
    } catch { /* not JSON: not kept */ }
  }
  return entries;
}

// The strip changes with every frame while a prompt is typed; it is kept once it has been still for a moment, and
// only the newest strip is: the scaling below is work the typing should not pay for at every keystroke.
const KeepAfterMs = 400;
// Twice the strip's 72 CSS pixels, for dense screens; a JPEG of about 5 to 10 KB, so twelve fit easily in the few MB
// sessionStorage allows.
const KeptSize = 144;

// Views with a strip still to keep: a reload within KeepAfterMs keeps what is scaled already (see pagehide below).
const waiting = new Set();

function keepLater(state, key, entries) {
  state.keep = { key, entries };
  waiting.add(state);
  clearTimeout(state.keepTimer);
  state.keepTimer = setTimeout(() => keep(state), KeepAfterMs);
}

addEventListener("pagehide", () => {
  for (const state of waiting) {
    const job = state.keep;
    if (job) {
      // No time to scale here: entries without a small copy yet are left out.
      const items = job.entries
        .map((entry) => ({ request: entry.request, thumb: state.small.get(String(entry.id)) }))
        .filter((item) => item.thumb);
      write(job.key, items);
    }
  }
  waiting.clear();
});

function write(key, items) {
  const text = JSON.stringify({ version: 1, items });
  try {
    sessionStorage.setItem(key, text);
  } catch {
    // Full, most likely with the strips of many shared sessions opened in this tab: this page's strip matters more.
    try {
      for (const other of Object.keys(sessionStorage)) {
        if (other !== key && other.startsWith("nitro-history")) {
          sessionStorage.removeItem(other);
        }
      }
      sessionStorage.setItem(key, text);
    } catch { /* storage disabled: the strip just will not survive a reload */ }
  }
}

async function keep(state) {
  const job = state.keep;
  if (!job) {
    return;
  }
  const items = [];
  for (const entry of job.entries) {
    const id = String(entry.id);
    let thumb = state.small.get(id);
    if (!thumb) {
      const url = state.thumbs.get(id);
      thumb = url ? await shrink(url) : null;
      if (state.keep !== job) {
        // A newer strip, or the page left the session (frame ids start again at 1 in the next one, so this picture
        // must not be filed under an id of it): the newer strip is kept instead, or none.
        return;
      }
      if (!thumb) {
        continue;
      }
      state.small.set(id, thumb);
    }
    items.push({ request: entry.request, thumb });
  }
  state.keep = null;
  waiting.delete(state);
  const ids = new Set(job.entries.map((entry) => String(entry.id)));
  for (const id of state.small.keys()) {
    if (!ids.has(id)) {
      state.small.delete(id);
    }
  }
  write(job.key, items);
}

async function shrink(url) {
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const scale = Math.min(1, KeptSize / Math.max(image.naturalWidth, image.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    const context = canvas.getContext("2d", { alpha: false });
    context.imageSmoothingQuality = "high";
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.85);
  } catch {
    return null; // the frame was released meanwhile
  }
}

// The answer travels to the server as one circuit message, whose limit is 32 KB: a strip made under larger limits (a
// longer HistoryLength or MaxPromptLength) or edited by hand comes back in part rather than drop the connection.
const MaxRestoredChars = 24 * 1024;

// Gives back the strip kept under key before a reload, as JSON text ([{ id, request }], ids -1, -2, … so that no
// frame of any session has one), with its thumbnails ready for fillThumbs; null when nothing was kept.
export function restoreThumbs(canvas, key, limit, maxPromptLength) {
  let saved;
  try {
    saved = JSON.parse(sessionStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
  if (!saved || !Array.isArray(saved.items)) {
    return null;
  }
  const state = view(canvas);
  const entries = [];
  let chars = 2;
  for (const item of saved.items) {
    if (entries.length >= (limit | 0)) {
      break;
    }
    // Only pictures (no SVG, which can carry script): whatever else the storage holds is not put into an img.
    if (typeof item?.thumb !== "string" || !/^data:image\/(jpeg|png|webp);base64,/.test(item.thumb)) {
      continue;
    }
    // The server reads the requests again; here only what could not fit is left out.
    const prompt = item.request?.prompt;
    if (typeof prompt !== "string" || prompt.length > (maxPromptLength | 0)) {
      continue;
    }
    const id = -(entries.length + 1);
    const entry = { id, request: item.request };
    chars += JSON.stringify(entry).length + 1;
    if (chars > MaxRestoredChars) {
      break;
    }
    state.thumbs.set(String(id), item.thumb);
    state.small.set(String(id), item.thumb);
    entries.push(entry);
  }
  return JSON.stringify(entries);
}

// Saves bytes the server encoded (the full-quality PNG) as a file.
export function saveBytes(bytes, type, fileName) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  saveUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// What the canvas shows, as a PNG blob; null when it shows nothing.
function canvasPng(canvas) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

// Fallback when the server no longer holds the frame: a PNG of what the canvas shows.
export async function saveCanvas(canvas, fileName) {
  const blob = await canvasPng(canvas);
  if (!blob) {
    return false;
  }
  const url = URL.createObjectURL(blob);
  saveUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}

// Puts a PNG on the clipboard (the one image type every browser's clipboard takes): the server's full-quality bytes, or
// what the canvas shows when there are none. Says how it went: "copied"; "insecure" on a page served over plain http to
// another machine, where browsers offer no clipboard to write to; "unsupported" without an image clipboard; "refused"
// when the browser turned the write down (a page without focus, a permission denied).
export async function copyPicture(canvas, bytes) {
  if (!window.isSecureContext) {
    return "insecure";
  }
  if (!navigator.clipboard?.write || typeof ClipboardItem !== "function" || (!bytes && canvas.width === 0)) {
    return "unsupported";
  }
  const png = bytes
    ? new Blob([bytes], { type: "image/png" })
    : canvasPng(canvas).then((blob) => blob ?? Promise.reject(new Error("no picture")));
  try {
    await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
    return "copied";
  } catch {
    return "refused";
  }
}

function saveUrl(url, fileName) {
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// Forgets the pictures of the session the page has left: canvas, thumbnails, and any frame still decoding.
export function reset(canvas) {
  const state = view(canvas);
  forgetThumbs(state);
  state.lastBlob = null;
  // Every frame that arrived so far is older than the next one: none of them may still be drawn.
  state.drawn = ++state.ticket;
  canvas.width = 0;
  canvas.height = 0;
  canvas.classList.remove("has-frame", "is-magnified");
  delete canvas.dataset.frame;
}

export function release(canvas) {
  const state = views.get(canvas);
  if (state) {
    state.resize?.disconnect();
    forgetThumbs(state);
    views.delete(canvas);
  }
}

function forgetThumbs(state) {
  for (const url of state.thumbs.values()) {
    // Restored thumbnails are data: URLs, which need no revoking (and ignore it).
    URL.revokeObjectURL(url);
  }
  state.thumbs.clear();
  state.small.clear();
  // A strip waiting to be kept belongs to the session the page left; what was kept already stays for a reload.
  clearTimeout(state.keepTimer);
  state.keep = null;
  waiting.delete(state);
}
