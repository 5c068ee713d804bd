"""Multiply-accumulates of one 128x128 1-step generation (batch 1), counted by running the exported ONNX graphs in
the numpy interpreter. /usr/bin/python3 tools/tinymodel/flops.py models/nitro-tiny"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_ref  # noqa: E402

if __name__ == "__main__":
    d = sys.argv[1]
    ids = np.full((1, 77), 609, np.int64)
    ids[0, :4] = [608, 320, 593, 565]
    feeds = {"text_encoder": {"input_ids": ids}, "text_encoder_2": {"input_ids": ids},
             "unet": {"sample": np.zeros((1, 4, 32, 32), np.float32), "timestep": np.array([249], np.int64),
                      "encoder_hidden_states": np.zeros((1, 77, 160), np.float32),
                      "text_embeds": np.zeros((1, 64), np.float32),
                      "time_ids": np.array([[128, 128, 0, 0, 128, 128]], np.float32)},
             "vae_decoder": {"latent_sample": np.zeros((1, 4, 32, 32), np.float32)}}
    macs = {}
    for c, f in feeds.items():
        st = {}
        onnx_ref.run(os.path.join(d, c, "model.onnx"), f, st)
        macs[c] = st["macs"]
        print("%-16s %7.1f MMAC" % (c, st["macs"] / 1e6))
    tot = sum(macs.values())
    print("%-16s %7.1f MMAC per 1-step image (x2 for FLOPs)" % ("total", tot / 1e6))
    tiny = os.path.join(d, "vae_decoder_tiny", "model.onnx")
    if os.path.isfile(tiny):
        # The draft decoder stands in for vae_decoder on a draft frame, so it is not added to the total above.
        st = {}
        onnx_ref.run(tiny, feeds["vae_decoder"], st)
        print("%-16s %7.1f MMAC (%.2f of vae_decoder); a draft image: %.1f MMAC" % (
            "vae_decoder_tiny", st["macs"] / 1e6, st["macs"] / macs["vae_decoder"],
            (tot - macs["vae_decoder"] + st["macs"]) / 1e6))
