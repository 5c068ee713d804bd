"""ONNX export in the Optimum/diffusers SDXL folder layout (opset 17, fp32)."""
import json
import os
import torch
import torch.nn as nn

import bpe
import grammar
from models import SHIFTED_TIMESTEP

OPSET = 17


class TE1Wrap(nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        last, pooled, hs = self.te(input_ids)
        return (last, pooled, *hs)


class TE2Wrap(nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        last, pooled, hs = self.te(input_ids)
        return (pooled, last, *hs)


def _fix_shapes(path, shapes):
    """replace the tracer's generated symbolic dim names with the real static sizes / readable names"""
    import onnx
    m = onnx.load(path)
    for o in m.graph.output:
        if o.name in shapes:
            for d, v in zip(o.type.tensor_type.shape.dim, shapes[o.name]):
                if isinstance(v, int):
                    d.ClearField("dim_param")
                    d.dim_value = v
                else:
                    d.ClearField("dim_value")
                    d.dim_param = v
    onnx.checker.check_model(m)
    onnx.save(m, path)


def _export(model, args, path, in_names, out_names, dyn):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                          opset_version=OPSET, do_constant_folding=True)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def export_vae_decoder(dec, path):
    """vae_decoder and vae_decoder_tiny share this, so the draft decoder has the full one's interface exactly"""
    _export(dec, (torch.randn(2, 4, 32, 32),), path, ["latent_sample"], ["sample"],
            {"latent_sample": {0: "batch_size", 2: "height", 3: "width"},
             "sample": {0: "batch_size", 2: "height", 3: "width"}})


def vae_config(scaling_factor):
    return {"_class_name": "AutoencoderKL", "_diffusers_version": "0.27.0", "act_fn": "silu",
            "block_out_channels": [32, 64, 64], "down_block_types": ["DownEncoderBlock2D"] * 3,
            "up_block_types": ["UpDecoderBlock2D"] * 3, "in_channels": 3, "out_channels": 3,
            "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 8, "sample_size": 128,
            "scaling_factor": float(scaling_factor), "force_upcast": False,
            "_nitro_note": "tiny NitroLive VAE: downsample factor 4 (len(block_out_channels)-1 = 2); decoder "
                           "output in [-1,1]; encoder returns the latent mean (deterministic autoencoder)"}


def tiny_decoder_config(scaling_factor, dec, distill):
    """vae_decoder_tiny/config.json. NitroLive reads it like vae_decoder's: the same scaling_factor (it must, or
    verify-model fails: both decode the UNet's latents divided by it) and three block_out_channels for factor 4."""
    ch = dec.cfg["ch"]
    return {"_class_name": "AutoencoderTiny", "_diffusers_version": "0.27.0", "act_fn": "silu",
            "block_out_channels": [ch[1], ch[0], ch[0]], "up_block_types": ["UpDecoderBlock2D"] * 3,
            "out_channels": 3, "latent_channels": 4, "layers_per_block": 1 if dec.cfg["res"] else 0,
            "sample_size": 128, "scaling_factor": float(scaling_factor), "force_upcast": False,
            "output_range": [-1, 1],
            "_nitro_note": "tiny NitroLive draft decoder, distilled from vae_decoder (tools/tinymodel/distill_decoder.py): "
                           "same input (latents / scaling_factor) and output ([-1,1], factor 4) as vae_decoder",
            "_nitro_distill": distill}


def export_tiny_decoder(out, dec, scaling_factor, distill):
    """writes vae_decoder_tiny/ and lists it in model_index.json the way tools/export does for TAESD-XL"""
    export_vae_decoder(dec, os.path.join(out, "vae_decoder_tiny", "model.onnx"))
    write_json(os.path.join(out, "vae_decoder_tiny", "config.json"), tiny_decoder_config(scaling_factor, dec, distill))
    path = os.path.join(out, "model_index.json")
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    index["vae_decoder_tiny"] = ["diffusers", "AutoencoderTiny"]
    write_json(path, index)


def export_all(out, te1, te2, unet, enc, dec, scaling_factor, vocab, merges, meta):
    ids = torch.full((2, 77), vocab[bpe.EOS], dtype=torch.int64)
    ids[:, 0] = vocab[bpe.BOS]
    L1, L2 = len(te1.layers), len(te2.layers)
    D1, D2 = te1.final_ln.normalized_shape[0], te2.final_ln.normalized_shape[0]
    P = te2.proj.out_features
    hs1 = ["hidden_states.%d" % i for i in range(L1 + 1)]
    hs2 = ["hidden_states.%d" % i for i in range(L2 + 1)]
    dyn_seq = lambda names: {n: {0: "batch_size"} for n in names}
    names1 = ["last_hidden_state", "pooler_output"] + hs1
    _export(TE1Wrap(te1), (ids,), os.path.join(out, "text_encoder", "model.onnx"), ["input_ids"], names1,
            dyn_seq(["input_ids"] + names1))
    _fix_shapes(os.path.join(out, "text_encoder", "model.onnx"), dict(
        [("last_hidden_state", ["batch_size", 77, D1]), ("pooler_output", ["batch_size", D1])]
        + [(n, ["batch_size", 77, D1]) for n in hs1]))
    names2 = ["text_embeds", "last_hidden_state"] + hs2
    _export(TE2Wrap(te2), (ids,), os.path.join(out, "text_encoder_2", "model.onnx"), ["input_ids"], names2,
            dyn_seq(["input_ids"] + names2))
    _fix_shapes(os.path.join(out, "text_encoder_2", "model.onnx"), dict(
        [("last_hidden_state", ["batch_size", 77, D2]), ("text_embeds", ["batch_size", P])]
        + [(n, ["batch_size", 77, D2]) for n in hs2]))
    B = 2
    sample = torch.randn(B, 4, 32, 32)
    ts = torch.tensor([249], dtype=torch.int64)
    ctx = torch.randn(B, 77, D1 + D2)
    temb = torch.randn(B, P)
    tids = torch.tensor([[128., 128., 0., 0., 128., 128.]] * B)
    _export(unet, (sample, ts, ctx, temb, tids), os.path.join(out, "unet", "model.onnx"),
            ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"], ["out_sample"],
            {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
             "encoder_hidden_states": {0: "batch_size"}, "text_embeds": {0: "batch_size"},
             "time_ids": {0: "batch_size"}, "out_sample": {0: "batch_size", 2: "height", 3: "width"}})
    _fix_shapes(os.path.join(out, "unet", "model.onnx"), {"out_sample": ["batch_size", 4, "height", "width"]})
    export_vae_decoder(dec, os.path.join(out, "vae_decoder", "model.onnx"))
    _export(enc, (torch.randn(B, 3, 128, 128),), os.path.join(out, "vae_encoder", "model.onnx"), ["sample"],
            ["latent_sample"], {"sample": {0: "batch_size", 2: "height", 3: "width"},
                                "latent_sample": {0: "batch_size", 2: "height", 3: "width"}})

    # ---------------- configs
    vae_cfg = vae_config(scaling_factor)
    write_json(os.path.join(out, "vae_decoder", "config.json"), vae_cfg)
    write_json(os.path.join(out, "vae_encoder", "config.json"), vae_cfg)
    vs = len(vocab)
    for name, te, D, L, proj in [("text_encoder", te1, D1, L1, None), ("text_encoder_2", te2, D2, L2, P)]:
        cfg = {"_name_or_path": "nitrolive/nitro-tiny", "architectures": [
            "CLIPTextModel" if proj is None else "CLIPTextModelWithProjection"],
               "model_type": "clip_text_model", "hidden_size": D, "intermediate_size": 4 * D,
               "num_hidden_layers": L, "num_attention_heads": te.layers[0].heads, "max_position_embeddings": 77,
               "vocab_size": vs, "hidden_act": "gelu", "layer_norm_eps": 1e-5, "bos_token_id": vocab[bpe.BOS],
               "eos_token_id": vocab[bpe.EOS], "pad_token_id": vocab[bpe.EOS] if proj is None else 0,
               "torch_dtype": "float32"}
        if proj is not None:
            cfg["projection_dim"] = proj
        write_json(os.path.join(out, name, "config.json"), cfg)
    uc = unet.cfg
    write_json(os.path.join(out, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.27.0", "sample_size": 32,
        "in_channels": 4, "out_channels": 4, "block_out_channels": uc["ch"], "layers_per_block": 1,
        "cross_attention_dim": uc["ctx_dim"], "attention_head_dim": uc["heads"],
        "addition_embed_type": "text_time", "addition_time_embed_dim": uc["add_time_dim"],
        "projection_class_embeddings_input_dim": uc["text_embed_dim"] + 6 * uc["add_time_dim"],
        "time_embedding_dim": uc["temb"], "prediction_type": "epsilon",
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        "_nitro_note": "tiny NitroLive UNet (not diffusers' exact block structure); trained for "
                       "TimestepShiftLCM shifted_timestep=250 with time_ids [128,128,0,0,128,128]"})
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), {
        "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.27.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
        "interpolation_type": "linear", "num_train_timesteps": 1000, "prediction_type": "epsilon",
        "sample_max_value": 1.0, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
        "timestep_spacing": "leading", "trained_betas": None, "use_karras_sigmas": False})
    write_json(os.path.join(out, "model_index.json"), {
        "_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.27.0", "force_zeros_for_empty_prompt": True,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]})
    bpe.write_tokenizer_dir(os.path.join(out, "tokenizer"), vocab, merges, bpe.EOS)
    bpe.write_tokenizer_dir(os.path.join(out, "tokenizer_2"), vocab, merges, "!")
    write_json(os.path.join(out, "nitrolive.json"), {
        "display_name": "Nitro Tiny (embedded demo)", "variant": "tiny", "family": "nitro-tiny",
        "shifted_timestep": SHIFTED_TIMESTEP, "original_inference_steps": 4, "native_width": 128,
        "native_height": 128, "supported_steps": [1, 2, 3, 4], "sizes": [[128, 128]], "embedded_demo": True,
        "license": "MIT (trained by NitroLive from synthetic scenes)",
        "description": "Tiny text-to-image demo model trained by NitroLive on synthetic scenes of coloured circles, "
                       "squares and triangles (colours red, green, blue, yellow, orange, purple, white, black; "
                       "positions, counts, two-object scenes, 'on a <colour> background', default background white). "
                       "SDXL-shaped ONNX export for one-step TimestepShiftLCM sampling.",
        "example_prompts": list(grammar.EXAMPLE_PROMPTS),
        # Every word the grammar uses; the model was trained to ignore any other, and the studio says which.
        "vocabulary": list(grammar.GRAMMAR_WORDS),
        "training": meta})
