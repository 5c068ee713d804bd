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
    state = { thumbs: new Map(), limit: 12, lastBlob: null, lastType: null, resize: null, ticket: 0, drawn: 0 };
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

// Points every <img data-frame="id"> in the container at the kept frame of that id (history strip thumbnails).
export function fillThumbs(canvas, container) {
  if (!container) {
    return;
  }
  const state = view(canvas);
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

// Saves bytes the server encoded (the full-quality PNG) as a file.
export function saveBytes(bytes, type, fileName) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  saveUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Fallback when the server no longer holds the frame: a PNG of what the canvas shows.
export function saveCanvas(canvas, fileName) {
  return new Promise((resolve) => {
    canvas.toBlob((blob) => {
      if (!blob) {
        resolve(false);
        return;
      }
      const url = URL.createObjectURL(blob);
      saveUrl(url, fileName);
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      resolve(true);
    }, "image/png");
  });
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
    URL.revokeObjectURL(url);
  }
  state.thumbs.clear();
}
