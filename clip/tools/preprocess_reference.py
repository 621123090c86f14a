#!/usr/bin/env python3
"""Ground truth for jclip's image preprocessing, made by running the original CLIP transform.

Runs `_transform(n_px)` from openai/CLIP's clip/clip.py (Resize(n_px, BICUBIC), CenterCrop(n_px),
convert("RGB"), ToTensor(), Normalize(mean, std)) with torchvision on PIL images, exactly as
`clip.load` returns it, on the photos in clip/src/test/resources/jclip/clip/data/photos/. The
function is taken from clip.py's source (not retyped here), so the reference is the original's code.

Needs Pillow, torch and torchvision (Debian bookworm: python3-pil 9.4, python3-torch 1.13 and
python3-torchvision 0.14; torchvision's PIL transforms need none of its native libraries, so the
unpacked .deb on PYTHONPATH is enough) and the openai/CLIP sources. Example:

    apt-get download python3-torchvision && dpkg-deb -x python3-torchvision_*.deb /tmp/tv
    PYTHONPATH=/tmp/tv/usr/lib/python3/dist-packages /usr/bin/python3 clip/tools/preprocess_reference.py \
        expected /tmp/clip-src clip/src/test/resources/jclip/clip/data/photos

`expected CLIP_SRC DIR` writes DIR/expected.safetensors. The float32 tensor the original makes from
a photo takes one of 256 values per channel (ToTensor divides 8-bit levels by 255), so instead of
3 x 224 x 224 floats per photo it stores the levels (U8 [3, 224, 224], key = the file name) and the
one table `normalized` (F32 [3, 256]: what ToTensor + Normalize make of each level, computed by the
original transform on a ramp image); table[c][levels[c]] reproduces the original's tensor bit for
bit, which this script checks before writing.

`inputs SKIMAGE_DATA DIR` makes the three derived photos in DIR from scikit-image's sample data
(Debian python3-skimage 0.19.3, skimage/data/): astronaut-rgba.png, a portrait crop of astronaut.png
with a soft elliptical alpha (colour kept under alpha 0, so that Pillow's premultiplied resize of RGBA
matters); coffee-progressive.jpg, coffee.png as a progressive JPEG with 4:2:0 chroma subsampling (the
common kind, which the JPEG decoders upsample); and coffee-palette.gif, coffee.png made small and
quantised to a 256-colour palette (Pillow resizes palette images with NEAREST, and at 200 x 133 it is
enlarged). The other photos are copied unchanged from that folder.
"""

import ast
import json
import os
import struct
import sys

import numpy as np
from PIL import Image

N_PX = 224
PHOTOS = ["rocket.jpg", "coffee-progressive.jpg", "chelsea.png", "cell.png", "microaneurysms.png", "astronaut-rgba.png",
          "coffee-palette.gif"]
COPIED = ["rocket.jpg", "chelsea.png", "cell.png", "microaneurysms.png"]


def clip_transform(clip_src):
    """clip.py's _transform and _convert_image_to_rgb, compiled from its source with torchvision."""
    path = os.path.join(clip_src, "clip", "clip.py")
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    wanted = {"_transform", "_convert_image_to_rgb"}
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in wanted]
    if {f.name for f in functions} != wanted:
        sys.exit(f"{path} does not define {sorted(wanted)}")
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

    # clip.py sets BICUBIC = InterpolationMode.BICUBIC when torchvision has it (0.9 and later)
    namespace = dict(Compose=Compose, Resize=Resize, CenterCrop=CenterCrop, ToTensor=ToTensor,
                     Normalize=Normalize, BICUBIC=InterpolationMode.BICUBIC, Image=Image)
    exec(compile(ast.Module(body=functions, type_ignores=[]), path, "exec"), namespace)
    return namespace["_transform"](N_PX)


def write_safetensors(path, tensors, metadata):
    """The safetensors format by hand (8-byte header length, JSON header, data), to need no package."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors.items():
        dtype = {np.dtype(np.uint8): "U8", np.dtype(np.float32): "F32"}[array.dtype]
        blob = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def expected(clip_src, folder):
    import torch
    import torchvision

    transform = clip_transform(clip_src)
    pixel_steps, tensor_steps = transform.transforms[:3], transform.transforms[3:]  # Resize, CenterCrop, RGB | ToTensor, Normalize
    ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2), "RGB")
    table = ramp
    for step in tensor_steps:
        table = step(table)
    table = table.numpy()[:, 0, :].astype(np.float32)  # [3, 256]
    tensors = {"normalized": table}
    for name in PHOTOS:
        with Image.open(os.path.join(folder, name)) as img:
            want = transform(img).numpy()
            levels = img
            for step in pixel_steps:
                levels = step(levels)
            levels = np.asarray(levels, dtype=np.uint8).transpose(2, 0, 1)  # HWC to CHW
            rebuilt = np.stack([table[c][levels[c]] for c in range(3)])
            if want.shape != (3, N_PX, N_PX) or not np.array_equal(rebuilt.view(np.uint32), want.view(np.uint32)):
                sys.exit(f"{name}: the levels and the table do not reproduce the original's tensor")
            tensors[name] = levels
            print(f"{name}: {img.format} {img.mode} {img.size[0]}x{img.size[1]}", file=sys.stderr)
    metadata = {
        "what": f"openai/CLIP clip.py _transform({N_PX}) on each photo: levels [3,{N_PX},{N_PX}] and normalized[c][level]",
        "versions": f"Pillow {Image.__version__}, torch {torch.__version__}, torchvision {torchvision.__version__}",
    }
    write_safetensors(os.path.join(folder, "expected.safetensors"), tensors, metadata)


def inputs(skimage_data, folder):
    with Image.open(os.path.join(skimage_data, "astronaut.png")) as img:
        crop = img.convert("RGB").crop((140, 20, 380, 370))  # 240 x 350, portrait
    w, h = crop.size
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot((x - w / 2) / (w * 0.45), (y - h / 2) / (h * 0.45))
    alpha = np.clip((1.15 - r) / 0.3, 0, 1) * 255  # opaque centre, a soft edge, fully transparent corners
    rgba = np.dstack([np.asarray(crop), np.round(alpha).astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(os.path.join(folder, "astronaut-rgba.png"), optimize=True)
    with Image.open(os.path.join(skimage_data, "coffee.png")) as img:
        coffee = img.convert("RGB")
    coffee.save(os.path.join(folder, "coffee-progressive.jpg"), quality=90, subsampling="4:2:0", progressive=True)
    coffee.resize((200, 133), Image.LANCZOS).quantize(256).save(os.path.join(folder, "coffee-palette.gif"))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "expected":
        expected(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "inputs":
        inputs(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
