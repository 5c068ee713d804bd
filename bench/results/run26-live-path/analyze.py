"""Splits each generated request's keystroke-to-frame time into the live path's segments.

Reads the SENT/RECV lines the instrumented bench client writes and the HUB/READY/PUB/YIELD lines the instrumented
server writes (probe.patch; both processes on one machine, so their Stopwatch timestamps share one monotonic clock),
and prints the median, 10th and 90th percentile of every segment over the requests that were generated (a frame
reused from the cache has no READY line) and answered (first frame of the request).

    python3 analyze.py DIR   # DIR/server.txt and DIR/client.txt
"""
import collections
import sys

lines = collections.defaultdict(dict)
for name in ("server.txt", "client.txt"):
    for line in open(f"{sys.argv[1]}/{name}"):
        tag, session, request, *values = line.split()
        if tag not in lines[(session, request)]:  # the first frame of a request: a draft, or the full picture at once
            lines[(session, request)][tag] = [int(v) if v.lstrip("-").isdigit() else v for v in values]

segments = collections.defaultdict(list)
for seen in lines.values():
    if not all(tag in seen for tag in ("SENT", "HUB", "READY", "PUB", "YIELD", "RECV")):
        continue
    sent, hub, pub, yielded, received = seen["SENT"][0], seen["HUB"][0], seen["PUB"][0], seen["YIELD"][0], seen["RECV"][0]
    accepted, started, generated, encoding = seen["READY"]
    ms = lambda a, b: (b - a) / 1e6
    segments["a. client call to hub method (SignalR in)"].append(ms(sent, hub))
    segments["b. hub method to request accepted"].append(ms(hub, accepted))
    segments["c. wait for a generator"].append(ms(accepted, started))
    segments["d. generation (generateMs)"].append(ms(started, generated))
    segments["e. hand-over to the encode stage"].append(ms(generated, encoding))
    segments["f. JPEG encode and publish"].append(ms(encoding, pub))
    segments["g. publish to the frame stream"].append(ms(pub, yielded))
    segments["h. frame stream to client (SignalR out)"].append(ms(yielded, received))
    segments["keystroke to frame"].append(ms(sent, received))
    segments["overhead (keystroke to frame - generation)"].append(ms(sent, received) - ms(started, generated))

for name in sorted(segments):
    values = sorted(segments[name])
    n = len(values)
    print(f"{name:44s} n={n:5d}  p50 {values[n // 2]:6.3f}  p10 {values[n // 10]:6.3f}  p90 {values[9 * n // 10]:6.3f} ms")
