"""Splits the studio page's keystrokes (bench/browser/run.sh on a build with probe-browser.patch) at the server.

Reads the server's INPUT/SEND/ACCEPT/READY/PUB/LOOP/SHOWN lines (one studio page, so request ids are unique) and
prints the median, 10th and 90th percentile of each segment, from the input event reaching the circuit to the page's
`show` interop call returning (the browser has the frame decoded and drawn).

    python3 analyze_browser.py server.txt
"""
import collections
import sys

inputs, sends, accepted, ready, published, loop, shown = {}, {}, {}, {}, {}, {}, {}
for fields in (line.split() for line in open(sys.argv[1])):
    tag = fields[0]
    if tag == "INPUT":
        inputs.setdefault(fields[1], int(fields[2]))  # keyed by the text's hash: its first input event
    elif tag == "SEND":
        sends[fields[1]] = int(fields[2])
    elif tag == "ACCEPT":
        accepted[fields[2]] = (fields[1], int(fields[3]))
    elif tag == "READY":
        ready.setdefault(fields[1], (int(fields[3]), int(fields[4]), int(fields[5])))
    elif tag == "PUB":
        published.setdefault(fields[1], int(fields[3]))
    elif tag == "LOOP":
        loop.setdefault(fields[1], int(fields[3]))
    elif tag == "SHOWN":
        shown.setdefault(fields[1], int(fields[3]))

segments = collections.defaultdict(list)
ms = lambda a, b: (b - a) / 1e6
for request, (text, accepted_at) in accepted.items():
    if text not in inputs or text not in sends or request not in loop or request not in shown:
        continue
    segments["a. input event to send (the field's throttle)"].append(ms(inputs[text], sends[text]))
    segments["b. send to request accepted"].append(ms(sends[text], accepted_at))
    if request in published and request in ready:
        accepted_ts, started, encoding = ready[request]
        segments["c. accepted to generation start"].append(ms(accepted_ts, started))
        segments["d. generation and hand-over"].append(ms(started, encoding))
        segments["e. JPEG encode and publish"].append(ms(encoding, published[request]))
        segments["f. publish to the page's frame loop"].append(ms(published[request], loop[request]))
    segments["g. show call: to the browser, decode, draw, back"].append(ms(loop[request], shown[request]))
    segments["input event to shown"].append(ms(inputs[text], shown[request]))

for name in sorted(segments):
    values = sorted(segments[name])
    n = len(values)
    print(f"{name:50s} n={n:4d}  p50 {values[n // 2]:6.2f}  p10 {values[n // 10]:6.2f}  p90 {values[9 * n // 10]:6.2f} ms")
