#!/usr/bin/env python3
"""Makes what every tool of the comparison loads, into DIR (default bench/compare/.cache):

  model.safetensors    ViT-B/32 CLIP, random weights (seed 0), the original parameter names
  inputs.safetensors   images [16,3,224,224] F32, texts [16,77] I64, and PyTorch's outputs for them:
                       image_features [16,512], text_features [16,512] (eval mode, unnormalised)
  visual.onnx          the image tower (opset 14, dynamic batch)
  text.onnx            the text tower, if the export works (optional)

    /usr/bin/python3 bench/compare/make_model.py [DIR]
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from clip_torch import CLIP, TextEncoder  # noqa: E402

START, END = 49406, 49407


def randomise(model, gen):
    """Every parameter random so that each one matters: weights N(0, 0.02), gains 1 + N(0, 0.02)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen) * 0.02
            if name == "logit_scale":
                continue  # ln(1/0.07), as initialised
            p.copy_(1 + noise if ("ln" in name and name.endswith(".weight")) else noise)


def captions(gen, n, context=77):
    """Token rows like tokenised captions: start, 8 to 20 word ids, end, zero padding."""
    rows = torch.zeros(n, context, dtype=torch.int64)
    for i in range(n):
        length = 8 + (i * 5) % 13  # 8..20, different per row
        rows[i, 0] = START
        rows[i, 1:1 + length] = torch.randint(256, START, (length,), generator=gen)
        rows[i, 1 + length] = END
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(os.cpu_count())
    gen = torch.Generator().manual_seed(0)
    model = CLIP()
    randomise(model, gen)
    model.eval()
    safetensors_io.save(os.path.join(out, "model.safetensors"), model.state_dict(), {"format": "pt"})

    images = torch.randn(16, 3, 224, 224, generator=gen)
    texts = captions(gen, 16)
    with torch.no_grad():
        image_features = model.encode_image(images)
        text_features = model.encode_text(texts)
    safetensors_io.save(os.path.join(out, "inputs.safetensors"), {
        "images": images, "texts": texts, "image_features": image_features, "text_features": text_features})

    batch = {0: "batch"}
    torch.onnx.export(model.visual, (images[:1],), os.path.join(out, "visual.onnx"), opset_version=14,
                      input_names=["images"], output_names=["features"],
                      dynamic_axes={"images": batch, "features": batch})
    try:
        torch.onnx.export(TextEncoder(model), (texts[:2],), os.path.join(out, "text.onnx"), opset_version=14,
                          input_names=["texts"], output_names=["features"],
                          dynamic_axes={"texts": batch, "features": batch})
    except Exception as e:  # optional: row 3 then has no ORT column
        print(f"make_model: text tower not exported to ONNX ({type(e).__name__}: {e})", file=sys.stderr)
    print(f"make_model: wrote {out}")


if __name__ == "__main__":
    main()
