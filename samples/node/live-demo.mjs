// Types a prompt letter by letter into a new NitroLive session and saves the final frame.
// Usage: node live-demo.mjs [http://127.0.0.1:5000] ["a prompt"]   (no prompt: the model's first example prompt)
import { writeFileSync } from "node:fs";
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const [base = "http://127.0.0.1:5000", given] = process.argv.slice(2);
const hub = new signalR.HubConnectionBuilder()
  .withUrl(`${base}/hubs/live`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
  .withHubProtocol(new MessagePackHubProtocol()) // frames arrive as binary (Uint8Array)
  .configureLogging(signalR.LogLevel.Warning)
  .build();
await hub.start();

const info = await hub.invoke("GetServerInfo");
const { sessionId } = await hub.invoke("CreateSession", { displayName: "node-demo" });
console.log(`model ${info.model} on ${info.provider}; session ${sessionId}; one send per ${info.clientDebounceMs} ms at most`);

// The default variant's own suggestions, and the words it knows when it names them (the embedded demo model does).
const variant = info.modelVariants[0];
const text = given ?? variant.examplePrompts[0] ?? "a red circle on a blue background";
const unknown = variant.vocabulary.length === 0 ? [] : (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !variant.vocabulary.includes(w));
if (unknown.length > 0) console.log(`the model does not know ${unknown.map((w) => `"${w}"`).join(", ")} and leaves ${unknown.length === 1 ? "it" : "them"} out`);

let lastRequestId = Infinity, newest = 0, newestWasDraft = false, done;
const finished = new Promise((resolve) => (done = resolve));
const frames = hub.stream("Frames", sessionId).subscribe({
  next: (f) => {
    // Request ids never go back; one repeats only when a draft's full-step picture follows it (steps above 1).
    const fullAfterDraft = f.requestId === newest && newestWasDraft && !f.draft;
    if (f.requestId < newest || (f.requestId === newest && !fullAfterDraft)) throw new Error(`older frame ${f.requestId} after ${newest}`);
    newest = f.requestId;
    newestWasDraft = f.draft;
    const how = f.timings.reused ? "same picture, not generated" : `total ${f.timings.totalMs.toFixed(0)} ms`;
    console.log(`frame #${f.sequence} for "${f.request.prompt}" ${f.image.length} B, ${how}${f.draft ? ", a draft" : ""}`);
    if (f.requestId >= lastRequestId && !f.draft) done(f);
  },
  error: (e) => console.error("stream error:", e),
  complete: () => {},
});

// One keystroke per send interval: each goes out at once, as a person typing at that speed would send it.
for (let i = 1; i <= text.length; i++) {
  const accepted = await hub.invoke("SetPrompt", sessionId, text.slice(0, i));
  if (i === text.length) lastRequestId = accepted.requestId;
  await new Promise((r) => setTimeout(r, info.clientDebounceMs));
}
const final = await finished;
writeFileSync("final.jpg", final.image);
console.log(`final frame for "${final.request.prompt}" saved to final.jpg`);
frames.dispose();
await hub.stop();
