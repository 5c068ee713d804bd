// Keystroke to painted frame, as a person at the studio page feels it: a real browser (Debian chromium, headless)
// types into the prompt field of a running NitroLive and times each keystroke (the page's keydown) to the paint of the
// frame it brought (frames.js records each frame's arrival and paint on the page clock). Unlike `nitrolive bench live`,
// which drives the public hub, this includes the Blazor circuit, the prompt field's send policy, the frame's trip
// through the circuit, its decode and its paint.
//
//   node key-to-paint.mjs --url http://127.0.0.1:5099/ [--prompts N] [--pause-ms MS] [--cadence-ms MS] [--warmup-prompts N]
//
// First --warmup-prompts prompts (default 1) are typed the isolated way and not counted: a fresh server's first
// keystrokes also pay for JIT compilation. Paints come at the browser's frame rate (every 16.7 ms at 60 Hz), so a
// median can move by a step of that size between runs; the means and the key-to-arrival figures move less.
// Two measurements, one JSON object on stdout:
// - isolated: one key, the frame it brings, a pause, the next key (each keystroke alone, like the last one of a word);
//   letters and spaces apart (a space after a word reads as the picture on screen: no generation, so it shows the
//   path without the model).
// - burst: each prompt again, after "a ", typed at --cadence-ms (+/- 50%), then the time from its last key to the last
//   frame painted (latest-wins: the last frame is the final text's).
import { chromium } from "playwright-core";
import os from "node:os";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? "http://127.0.0.1:5099/";
const promptCount = Number(args.prompts ?? 8);
const pauseMs = Number(args["pause-ms"] ?? 300);
const cadenceMs = Number(args["cadence-ms"] ?? 80);
const warmupPrompts = Number(args["warmup-prompts"] ?? 1);
const timeoutMs = 10_000;

// No two prompts share a first letter, so no keystroke of one repeats text typed in another (a picture already made
// would come from the frame cache instead of the model).
const prompts = [
  "red circle on a blue background",
  "green square at the top",
  "blue triangle on a white background",
  "yellow circle and a black square",
  "purple square at the bottom left",
  "orange triangle on a green background",
  "white circle at the top right",
  "two black triangles on a yellow background",
].slice(0, promptCount);

// Warm-up prompts: first letters none of the measured prompts (nor the bursts' "a ") starts with.
const warmups = ["mixed shapes to warm up", "nine small circles to warm up", "cyan shapes to warm up"].slice(0, warmupPrompts);

function summary(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
  const round = (v) => Math.round(v * 100) / 100;
  return {
    count: sorted.length,
    min: round(sorted[0]),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await page.addInitScript(() => {
    globalThis.__keys = [];
    document.addEventListener("keydown", () => globalThis.__keys.push(performance.now()), true);
  });
  await page.goto(url);

  // The studio opens with an empty prompt: ready when its field takes typing and the frame module is loaded.
  const field = page.locator("#prompt:not([readonly])");
  await field.waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => globalThis.__nitroFrames !== undefined, null, { timeout: 60_000 });
  await field.click();

  // The paint of the first frame that arrived after key number `index`, on the page clock.
  const paintAfterKey = (index) =>
    page.waitForFunction(
      (n) => {
        const key = globalThis.__keys[n];
        if (key === undefined) return null;
        const frame = globalThis.__nitroFrames.samples.find((s) => s.receivedAt > key && s.paintedAt !== null);
        return frame ? { key, arrived: frame.receivedAt, decodeMs: frame.decodeMs, paint: frame.paintedAt } : null;
      },
      index,
      { timeout: timeoutMs, polling: "raf" },
    ).then((handle) => handle.jsonValue());

  // Replaces the field's text with the prompt's first letter: select all, then type over it.
  const startPrompt = async () => {
    await page.keyboard.press("Control+A");
    await sleep(pauseMs);
  };

  // Types a prompt one key at a time, each key waiting for its frame and a pause; calls record(ch, timings) per key.
  const typeIsolated = async (prompt, record) => {
    await startPrompt();
    for (const ch of prompt) {
      const index = await page.evaluate(() => globalThis.__keys.length);
      await page.keyboard.type(ch);
      record(ch, await paintAfterKey(index));
      await sleep(pauseMs);
    }
  };

  for (const prompt of warmups) {
    await typeIsolated(prompt, () => {});
  }

  const letters = [];
  const spaces = [];
  const parts = { letters: { arrive: [], decode: [], toPaint: [] }, spaces: { arrive: [], decode: [], toPaint: [] } };
  for (const prompt of prompts) {
    await typeIsolated(prompt, (ch, { key, arrived, decodeMs, paint }) => {
      (ch === " " ? spaces : letters).push(paint - key);
      const part = ch === " " ? parts.spaces : parts.letters;
      part.arrive.push(arrived - key);
      part.decode.push(decodeMs);
      part.toPaint.push(paint - arrived);
    });
  }

  // Bursts: the typist does not wait for pictures; what counts is the last key to the last paint.
  const finals = [];
  for (const prompt of prompts) {
    await startPrompt();
    // New text (the isolated pass typed the prompt without "a "), so every keystroke asks the model.
    for (const ch of `a ${prompt}`) {
      await page.keyboard.type(ch);
      await sleep(cadenceMs * (0.5 + Math.random()));
    }
    const lastKey = await page.evaluate(() => globalThis.__keys[globalThis.__keys.length - 1]);

    // Quiet for a while: no frame arrived after the last paint for 600 ms.
    let lastPaint = null;
    for (let quietSince = Date.now(); Date.now() - quietSince < 600; await sleep(50)) {
      const newest = await page.evaluate(() => {
        const s = globalThis.__nitroFrames.samples;
        return s.length ? s[s.length - 1].paintedAt : null;
      });
      if (newest !== lastPaint) {
        lastPaint = newest;
        quietSince = Date.now();
      }
    }
    if (lastPaint !== null && lastPaint > lastKey) finals.push(lastPaint - lastKey);
  }

  const info = await page.evaluate(() => ({ frames: globalThis.__nitroFrames.shown, userAgent: navigator.userAgent }));
  console.log(JSON.stringify({
    url,
    browser: browser.version(),
    machine: { processors: os.cpus().length, load_average_1m: Math.round(os.loadavg()[0] * 100) / 100 },
    pause_ms: pauseMs,
    cadence_ms: cadenceMs,
    prompts: prompts.length,
    warmup_prompts: warmups.length,
    frames: info.frames,
    isolated_key_to_paint_ms: { letters: summary(letters), spaces: summary(spaces) },
    // Where the time went: key to the frame's arrival in the page (the keystroke's trip to the server, its send policy,
    // the generation for a letter, the frame's trip back), the image decode, and arrival to paint (decode, draw and the
    // wait for the browser's next paint).
    isolated_parts_ms: Object.fromEntries(Object.entries(parts).map(([kind, p]) => [kind,
      { key_to_frame_arrival: summary(p.arrive), decode: summary(p.decode), arrival_to_paint: summary(p.toPaint) }])),
    burst_last_key_to_last_paint_ms: summary(finals),
  }, null, 2));
} finally {
  await browser.close();
}
