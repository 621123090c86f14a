#!/usr/bin/env python3
"""PyTorch CPU at the shapes of jclip's fused-op benchmarks (AttentionBenchmark,
ContrastiveLossBenchmark, NormalizedLinearBenchmark): what a user would run instead.

torch 1.13 (Debian's python3-torch) has no fused attention, so attention is the explicit
composition softmax(q·kᵀ·scale + mask)·v; the loss builds the N×N logits and takes both
cross-entropies, as open_clip does. Each row runs in its own process so that its peak RSS is its
own; times are medians of timed repetitions after warm-up.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/compare/fused_ops_torch.py        # every row
    /usr/bin/python3 bench/compare/fused_ops_torch.py attention-image           # one row

Prints one line per row: name, forward ms, forward+backward ms, peak RSS MiB.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

ROWS = {
    # name: (kind, sizes)
    "attention-image": ("attention", (16 * 12, 50, 64, False)),
    "attention-text": ("attention", (16 * 8, 77, 64, True)),
    "attention-long": ("attention", (16, 1024, 64, False)),
    "normalized-linear": ("projection", (16, 768, 512)),
    "loss-256": ("loss", (256, 512)),
    "loss-4096": ("loss", (4096, 512)),
    "loss-16384": ("loss", (16384, 512)),
}


def timed(fn, seconds=4.0, warmup=2):
    for _ in range(warmup):
        fn()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def run_row(name):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.manual_seed(0)
    kind, sizes = ROWS[name]
    if kind == "attention":
        pairs, length, d, causal = sizes
        q, k, v = (torch.randn(pairs, length, d, requires_grad=True) for _ in range(3))
        mask = torch.full((length, length), float("-inf")).triu(1) if causal else None
        scale = d ** -0.5

        def forward():
            s = torch.bmm(q * scale, k.transpose(1, 2))
            if mask is not None:
                s = s + mask
            return torch.bmm(s.softmax(-1), v)

        grad = torch.randn(pairs, length, d)
    elif kind == "projection":
        rows, cols_in, cols_out = sizes
        x = torch.randn(rows, cols_in, requires_grad=True)
        w = torch.randn(cols_in, cols_out, requires_grad=True)

        def forward():
            return F.normalize(x @ w, dim=-1)

        grad = torch.randn(rows, cols_out)
    else:
        n, d = sizes
        image = F.normalize(torch.randn(n, d), dim=-1).requires_grad_()
        text = F.normalize(torch.randn(n, d), dim=-1).requires_grad_()
        t = torch.tensor(2.6592, requires_grad=True)
        labels = torch.arange(n)

        def forward():
            logits = t.exp() * image @ text.t()
            return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2

        grad = torch.tensor(1.0)

    def forward_only():
        with torch.no_grad():
            forward()

    def forward_backward():
        forward().backward(grad)

    repeat = 2.0 if name == "loss-16384" else 4.0
    fwd = timed(forward_only, repeat)
    fwd_bwd = timed(forward_backward, repeat)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:20s} forward {fwd:10.3f} ms   forward+backward {fwd_bwd:10.3f} ms   peak RSS {peak_mib:8.0f} MiB", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run_row(sys.argv[1])
    else:
        import torch
        print(f"torch {torch.__version__}, {os.environ.get('OMP_NUM_THREADS', '2')} threads", flush=True)
        for row in ROWS:
            subprocess.run([sys.executable, __file__, row], check=True)
