#!/usr/bin/env python3
"""PyTorch side of the comparison: one task per process, so that the peak RSS is the task's own.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/compare/torch_runner.py TASK [DIR]

TASK: image-1, image-16, text-16 (eval mode, no_grad), train-16 (forward of both towers, symmetric
cross-entropy, backward, AdamW), train-fmnist (the same step for the README's Fashion-MNIST model,
FMNIST below, batch 256, random weights and data made here), gemm-1024, or check (the model
reproduces the reference outputs).
DIR holds what make_model.py wrote (default bench/compare/.cache). Prints
"RESULT tool=torch task=TASK median_ms=M iterations=N". Iterations: COMPARE_WARMUP_ITERS (3) and
COMPARE_WARMUP_S (5) of warm-up, then at least COMPARE_MIN_ITERS (5) and COMPARE_MIN_S (10) timed.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import torch
except ImportError:
    sys.exit("torch_runner: no PyTorch for /usr/bin/python3: apt-get install python3-torch")

import safetensors_io  # noqa: E402
from clip_torch import CLIP, clip_loss, decays  # noqa: E402
from make_model import randomise  # noqa: E402


# The README's Fashion-MNIST model (jclip --model fmnist): 28 px, patch 7, width 128 x 2 layers; text
# 128 x 2 layers, context 20; embed 64; a vocabulary of 1,000 (jclip learns its BPE there).
FMNIST = dict(embed_dim=64, image_resolution=28, vision_layers=2, vision_width=128, vision_patch_size=7,
              context_length=20, vocab_size=1000, transformer_width=128, transformer_heads=2, transformer_layers=2)


def fmnist_batch(n=256):
    """Images N(0, 1) and caption-like rows: start, 4 to 8 word ids, end (the largest id), padding."""
    gen = torch.Generator().manual_seed(0)
    vocab, context = FMNIST["vocab_size"], FMNIST["context_length"]
    texts = torch.zeros(n, context, dtype=torch.int64)
    for i in range(n):
        length = 4 + (i * 3) % 5
        texts[i, 0] = vocab - 2
        texts[i, 1:1 + length] = torch.randint(1, vocab - 2, (length,), generator=gen)
        texts[i, 1 + length] = vocab - 1
    return torch.randn(n, 3, 28, 28, generator=gen), texts


def env(name, default):
    return float(os.environ.get(name, default))


def measure(fn):
    """Median milliseconds of fn() after warm-up, and the number of timed calls."""
    start, n = time.perf_counter(), 0
    while n < env("COMPARE_WARMUP_ITERS", 3) or time.perf_counter() - start < env("COMPARE_WARMUP_S", 5):
        fn()
        n += 1
    times, start = [], time.perf_counter()
    while len(times) < env("COMPARE_MIN_ITERS", 5) or time.perf_counter() - start < env("COMPARE_MIN_S", 10):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), len(times)


def load_model(folder):
    model = CLIP()
    state = safetensors_io.load(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(state)
    del state
    return model


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    task = sys.argv[1]
    if task not in ("image-1", "image-16", "text-16", "train-16", "train-fmnist", "gemm-1024", "check"):
        sys.exit(f"torch_runner: unknown task {task}\n{__doc__}")
    folder = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, ".cache")
    torch.set_num_threads(int(os.environ.get("COMPARE_THREADS", os.cpu_count())))
    torch.manual_seed(0)

    if task == "gemm-1024":
        a, b, c = torch.randn(1024, 1024), torch.randn(1024, 1024), torch.empty(1024, 1024)
        fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
    else:
        if task == "train-fmnist":
            model = CLIP(**FMNIST)
            randomise(model, torch.Generator().manual_seed(0))
            images, texts = fmnist_batch()
        else:
            model = load_model(folder)
            inputs = safetensors_io.load(os.path.join(folder, "inputs.safetensors"))
            images, texts = inputs["images"], inputs["texts"]
        if task == "check":
            model.eval()
            with torch.no_grad():
                for what, out in (("image", model.encode_image(images)), ("text", model.encode_text(texts))):
                    ref = inputs[what + "_features"]
                    print(f"CHECK tool=torch what={what}-16 max_abs_diff={(out - ref).abs().max().item():.3e} "
                          f"max_abs_ref={ref.abs().max().item():.3e}")
            return
        if task.startswith("train"):
            model.train()
            params = dict(model.named_parameters())
            groups = [{"params": [p for n, p in params.items() if decays(n, p)], "weight_decay": 0.2},
                      {"params": [p for n, p in params.items() if not decays(n, p)], "weight_decay": 0.0}]
            optimizer = torch.optim.AdamW(groups, lr=1e-5, betas=(0.9, 0.98), eps=1e-6)

            def fn():
                optimizer.zero_grad(set_to_none=True)
                loss = clip_loss(model, images, texts)
                loss.backward()
                optimizer.step()
                return loss.item()
        else:
            model.eval()
            kind, batch = task.split("-")
            x = {"image": images, "text": texts}[kind][: int(batch)]
            encode = model.encode_image if kind == "image" else model.encode_text

            def fn():
                with torch.no_grad():
                    return encode(x).numpy()
    median, n = measure(fn)
    print(f"RESULT tool=torch task={task} median_ms={median:.3f} iterations={n}")


if __name__ == "__main__":
    main()
