#!/usr/bin/env python3
"""jclip's fused attention kernels beside PyTorch's, on one CUDA GPU.

NOT YET RUN ON A GPU. Written on a build machine without one (2026-12-03): no time in here has been
measured, and its PyTorch half has not run at all (the build machine has no PyTorch). Only the
launch code has run, on jclip's simulated GPU (--simulator, below), where it matched a float64
numpy reference.

For each shape it times, forward and forward + backward (median of --iters runs, CUDA events, the L2
cache flushed before each run):
  jclip     kernels/cuda/src/main/cuda/attention.cu (FlashAttention-2 on float FMAs), from the PTX in
            jclip's CUDA backend jar, launched through the CUDA driver API (ctypes) on PyTorch's current
            stream and memory, with the grid and shared memory that launch/Attention.java computes
            (its Tiles are mirrored in TILES below: keep the two in step)
  sdpa      torch.nn.functional.scaled_dot_product_attention (whichever backend PyTorch picks for
            the dtype; float32 has no flash backend)
  composed  softmax(q·kᵀ·scale + mask)·v with explicit matrix products, as CLIP's model code does
and checks jclip's out, lse, gq, gk and gv against a float64 composition (the error is relative to
each tensor's mean magnitude, as the Java tests measure it).

Shapes, head dimension 64: [16·12, 50] (ViT-B/32's image tokens), [16·8, 77] causal (its text
tokens), [1·16, 1024]; --batch 256 gives GPU.md's batch-256 shapes for the first two. FLOP/s count
4·pairs·Lq·Lk·d for the forward and 2.5 times that for the backward, halved under causal masking.

On a GPU host with PyTorch (the jar is in the GPU bundle's lib/):
  python3 attention_vs_torch.py --jar lib/jclip-kernels-cuda-0.1.0-SNAPSHOT.jar [--dtype bf16] [--out results]
On the build machine, with numpy only, to check the launch code on the simulated GPU:
  python3 bench/gpu/attention_vs_torch.py --simulator kernels/sim/target/classes/jclip/kernels/cuda/sim \
      --ptx kernels/cuda/target/classes/jclip/kernels/cuda/ptx/attention.ptx
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time
import zipfile

PTX_IN_JAR = "jclip/kernels/cuda/ptx/attention.ptx"

# launch/Attention.java: ATTN_WARPS, ATTN_PAD, ATTN_PREPARE_THREADS and the Tiles enum.
WARPS, PAD, PREPARE_THREADS = 4, 4, 256
TILES = [  # name, headDim <=, forward rows per warp, keys per tile, backward keys per warp, queries per tile
    ("d64", 64, 4, 32, 4, 32),
    ("d128", 128, 4, 32, 2, 16),
    ("d256", 256, 2, 16, 2, 8),
]


def ceil_div(a, b):
    return (a + b - 1) // b


class Shape:
    def __init__(self, batch, heads, queries, keys, head_dim, causal, name=""):
        self.batch, self.heads, self.queries, self.keys, self.d = batch, heads, queries, keys, head_dim
        self.causal, self.name = causal, name
        self.scale = 1 / math.sqrt(head_dim)

    @property
    def pairs(self):
        return self.batch * self.heads

    def forward_flops(self):
        return 4 * self.pairs * self.queries * self.keys * self.d * (0.5 if self.causal else 1)

    def __str__(self):
        return f"[{self.batch}x{self.heads}, {self.queries}x{self.keys}, d {self.d}]" + (" causal" if self.causal else "")


def tiles(d):
    if d % 8 or d > 256:
        raise ValueError(f"head dimension {d}: jclip's kernels take multiples of 8 up to 256")
    return next(t for t in TILES if d <= t[1])


# ---- the CUDA driver API, through ctypes ----------------------------------------------------------

class Driver:
    def __init__(self, library="libcuda.so.1", then=()):
        self.lib = ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
        for path in then:  # the simulator's kernels library registers its kernels when it loads
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        self.lib.cuLaunchKernel.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]

    def check(self, status, call):
        if status != 0:
            name = ctypes.c_char_p()
            self.lib.cuGetErrorName(status, ctypes.byref(name))
            raise RuntimeError(f"{call}: CUDA error {status} ({(name.value or b'?').decode()})")

    def load(self, ptx):
        module = ctypes.c_void_p()
        self.check(self.lib.cuModuleLoadData(ctypes.byref(module), ctypes.c_char_p(ptx + b"\0")), "cuModuleLoadData")
        return module

    def function(self, module, name):
        f = ctypes.c_void_p()
        self.check(self.lib.cuModuleGetFunction(ctypes.byref(f), module, name.encode()), f"cuModuleGetFunction({name})")
        return f

    def launch(self, f, name, grid, block, shared, stream, args):
        params = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.pointer(a), ctypes.c_void_p) for a in args])
        self.check(self.lib.cuLaunchKernel(f, grid, 1, 1, block, 1, 1, shared, stream, params, None),
                   f"cuLaunchKernel({name}, grid {grid}, block {block}, {shared} B shared)")


def ptr(address):
    return ctypes.c_uint64(address)


class JclipAttention:
    """launch/Attention.java in Python: the same kernels, grids and shared memory, on raw device addresses."""

    def __init__(self, driver, ptx):
        self.driver = driver
        self.module = driver.load(ptx)
        self.functions = {}

    def _function(self, name):
        if name not in self.functions:
            self.functions[name] = self.driver.function(self.module, name)
        return self.functions[name]

    def _launch(self, name, grid, block, shared, stream, args):
        self.driver.launch(self._function(name), name, grid, block, shared, stream, args)

    @staticmethod
    def _shape_args(s, groups_per_pair, groups):
        return [ctypes.c_int32(s.heads), ctypes.c_int32(s.queries), ctypes.c_int32(s.keys), ctypes.c_int32(s.d),
                ctypes.c_float(s.scale), ctypes.c_int32(1 if s.causal else 0), ctypes.c_int32(0), ctypes.c_int32(0),
                ctypes.c_int32(groups_per_pair), ctypes.c_int32(groups)]

    def forward(self, s, dtype, q, k, v, out, lse, stream=None):
        name, _, rows, keys, _, _ = tiles(s.d)
        gpp = ceil_div(s.queries, rows)
        groups = s.pairs * gpp
        shared = 4 * (WARPS * rows * s.d + keys * (s.d + PAD) + keys * s.d + WARPS * rows * keys)
        self._launch(f"jclip_attention_forward_{name}_{dtype}", ceil_div(groups, WARPS), WARPS * 32, shared, stream,
                     [ptr(q), ptr(k), ptr(v), ptr(0), ptr(out), ptr(lse)] + self._shape_args(s, gpp, groups))

    def backward(self, s, dtype, q, k, v, out, lse, g_out, gq, gk, gv, delta, stream=None):
        name, _, _, _, key_rows, queries = tiles(s.d)
        rows = s.pairs * s.queries
        self._launch("jclip_attention_backward_prepare_f32", ceil_div(rows, PREPARE_THREADS // 32), PREPARE_THREADS, 0,
                     stream, [ptr(out), ptr(g_out), ptr(delta), ptr(gq), ctypes.c_int32(rows), ctypes.c_int32(s.d)])
        gpp = ceil_div(s.keys, key_rows)
        groups = s.pairs * gpp
        block_keys = WARPS * key_rows
        shared = 4 * (2 * block_keys * s.d + 2 * queries * (s.d + PAD) + 2 * block_keys * queries + 2 * queries)
        self._launch(f"jclip_attention_backward_{name}_{dtype}", ceil_div(groups, WARPS), WARPS * 32, shared, stream,
                     [ptr(q), ptr(k), ptr(v), ptr(0), ptr(lse), ptr(delta), ptr(g_out), ptr(gq), ptr(gk), ptr(gv)]
                     + self._shape_args(s, gpp, groups))


def read_ptx(args):
    if args.ptx:
        with open(args.ptx, "rb") as f:
            return f.read()
    with zipfile.ZipFile(args.jar) as jar:
        return jar.read(PTX_IN_JAR)


def scaled_error(actual, expected):
    """max |a - e| / (|e| + mean |e|), as BackendParity measures it (float64 numpy arrays)."""
    import numpy as np
    scale = np.mean(np.abs(expected)) if expected.size else 0.0
    return float(np.max(np.abs(actual - expected) / (np.abs(expected) + scale))) if expected.size else 0.0


# ---- the simulated GPU (numpy, no PyTorch) --------------------------------------------------------

def reference(q, k, v, g_out, s):
    """out, lse, gq, gk, gv in float64 from [pairs, L, d] arrays."""
    import numpy as np
    scores = np.einsum("pid,pjd->pij", q, k) * s.scale
    if s.causal:
        scores = np.where(np.triu(np.ones((s.queries, s.keys), bool), 1), -np.inf, scores)
    m = scores.max(-1, keepdims=True)
    e = np.exp(scores - m)
    total = e.sum(-1, keepdims=True)
    p = e / total
    out = p @ v
    lse = (m + np.log(total))[..., 0]
    gv = np.einsum("pij,pid->pjd", p, g_out)
    gp = g_out @ np.swapaxes(v, 1, 2)
    gs = p * (gp - (gp * p).sum(-1, keepdims=True))
    gq = s.scale * gs @ k
    gk = s.scale * np.einsum("pij,pid->pjd", gs, q)
    return out, lse, gq, gk, gv


def bf16_round(x):
    """float32 values rounded to bf16 (nearest even) and their bits."""
    import numpy as np
    u = x.astype(np.float32).view(np.uint32)
    bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return (bits.astype(np.uint32) << 16).view(np.float32), bits


def simulator_check(args):
    import numpy as np
    sim = args.simulator
    driver = Driver(os.path.join(sim, "libcuda.so.1"), [os.path.join(sim, "libjclip-kernels.so")])
    lib = driver.lib
    driver.check(lib.cuInit(0), "cuInit")
    device, context = ctypes.c_int(), ctypes.c_void_p()
    driver.check(lib.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
    driver.check(lib.cuDevicePrimaryCtxRetain(ctypes.byref(context), device), "cuDevicePrimaryCtxRetain")
    driver.check(lib.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    attention = JclipAttention(driver, read_ptx(args))

    def upload(array):
        address = ctypes.c_uint64()
        driver.check(lib.cuMemAlloc_v2(ctypes.byref(address), ctypes.c_size_t(max(array.nbytes, 4))), "cuMemAlloc")
        driver.check(lib.cuMemcpyHtoD_v2(address, array.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(array.nbytes)),
                     "cuMemcpyHtoD")
        return address.value

    def download(address, shape):
        array = np.empty(shape, np.float32)
        driver.check(lib.cuMemcpyDtoH_v2(array.ctypes.data_as(ctypes.c_void_p), ctypes.c_uint64(address),
                                         ctypes.c_size_t(array.nbytes)), "cuMemcpyDtoH")
        return array

    rng = np.random.default_rng(7)
    worst = 0.0
    for s, dtype in [(Shape(2, 3, 7, 7, 24, True), "f32"), (Shape(1, 2, 50, 50, 64, False), "f32"),
                     (Shape(1, 2, 77, 77, 64, True), "bf16"), (Shape(1, 1, 33, 20, 136, False), "f32"),
                     (Shape(1, 1, 9, 40, 256, True), "bf16")]:
        q, k, v = (rng.uniform(-2, 2, (s.pairs, n, s.d)).astype(np.float32) for n in (s.queries, s.keys, s.keys))
        g_out = rng.uniform(-1, 1, (s.pairs, s.queries, s.d)).astype(np.float32)
        if dtype == "bf16":
            (q, qb), (k, kb), (v, vb) = bf16_round(q), bf16_round(k), bf16_round(v)
            dq, dk, dv = upload(qb), upload(kb), upload(vb)
        else:
            dq, dk, dv = upload(q), upload(k), upload(v)
        garbage = lambda shape: upload(rng.uniform(-1, 1, shape).astype(np.float32))  # outputs must be written
        d_out, d_lse = garbage((s.pairs, s.queries, s.d)), garbage((s.pairs, s.queries))
        attention.forward(s, dtype, dq, dk, dv, d_out, d_lse)
        expected = reference(*(x.astype(np.float64) for x in (q, k, v, g_out)), s)
        d_gout, d_delta = upload(g_out), garbage((s.pairs, s.queries))
        d_gq, d_gk, d_gv = garbage(q.shape), garbage(k.shape), garbage(v.shape)
        attention.backward(s, dtype, dq, dk, dv, d_out, d_lse, d_gout, d_gq, d_gk, d_gv, d_delta)
        driver.check(lib.cuCtxSynchronize(), "cuCtxSynchronize")
        got = [download(d_out, q.shape), download(d_lse, (s.pairs, s.queries)), download(d_gq, q.shape),
               download(d_gk, k.shape), download(d_gv, v.shape)]
        errors = {n: scaled_error(a.astype(np.float64), e) for n, a, e in zip(("out", "lse", "gq", "gk", "gv"), got, expected)}
        worst = max(worst, *errors.values())
        print(f"simulated {s} {dtype}: " + ", ".join(f"{n} {e:.1e}" for n, e in errors.items()))
    print(f"worst scaled error {worst:.1e}: " + ("launch code agrees with the reference" if worst < 1e-4 else "TOO LARGE"))
    return 0 if worst < 1e-4 else 1


# ---- the GPU host (PyTorch) -----------------------------------------------------------------------

def gpu_benchmark(args):
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32 for the composed baseline
    torch.zeros(1, device="cuda")  # PyTorch makes the device's primary context current: ours too
    driver = Driver()
    attention = JclipAttention(driver, read_ptx(args))
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    flush = torch.empty(256 * 1024 * 1024, dtype=torch.uint8, device="cuda")  # more than an H100's 50 MB of L2

    def timed(fn, setup=lambda: None):
        for _ in range(args.warmup):
            setup()
            fn()
        times = []
        for _ in range(args.iters):
            setup()
            flush.zero_()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        return statistics.median(times)

    shapes = [Shape(args.batch, 12, 50, 50, 64, False, "ViT-B/32 image"), Shape(args.batch, 8, 77, 77, 64, True, "text"),
              Shape(1, 16, 1024, 1024, 64, False, "long")]
    results = []
    gen = torch.Generator(device="cuda").manual_seed(7)
    for s in shapes:
        q, k, v = (torch.empty(s.batch, s.heads, n, s.d, device="cuda").uniform_(-2, 2, generator=gen).to(dtype)
                   for n in (s.queries, s.keys, s.keys))
        g_out = torch.empty(s.batch, s.heads, s.queries, s.d, device="cuda").uniform_(-1, 1, generator=gen)
        out = torch.empty(s.batch, s.heads, s.queries, s.d, device="cuda")
        lse = torch.empty(s.batch, s.heads, s.queries, device="cuda")
        gq, gk, gv = torch.empty_like(out), torch.empty(k.shape, device="cuda"), torch.empty(v.shape, device="cuda")
        delta = torch.empty_like(lse)
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)

        def jclip_forward():
            attention.forward(s, args.dtype, q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), lse.data_ptr(),
                              stream)

        def jclip_training():
            jclip_forward()
            attention.backward(s, args.dtype, q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), lse.data_ptr(),
                               g_out.data_ptr(), gq.data_ptr(), gk.data_ptr(), gv.data_ptr(), delta.data_ptr(), stream)

        # Correctness first, against float64.
        jclip_training()
        torch.cuda.synchronize()
        q64, k64, v64 = (x.double().requires_grad_() for x in (q, k, v))
        scores = q64 @ k64.transpose(-1, -2) * s.scale
        if s.causal:
            scores = scores.masked_fill(torch.ones(s.queries, s.keys, dtype=torch.bool, device="cuda").triu(1), -math.inf)
        out64 = torch.softmax(scores, -1) @ v64
        out64.backward(g_out.double())
        check = {"out": (out, out64), "lse": (lse, torch.logsumexp(scores, -1)), "gq": (gq, q64.grad),
                 "gk": (gk, k64.grad), "gv": (gv, v64.grad)}
        errors = {}
        for n, (a, e) in check.items():
            e = e.detach()
            errors[n] = float(((a.double() - e).abs() / (e.abs() + e.abs().mean())).max())

        mask = None
        if s.causal:
            mask = torch.zeros(s.queries, s.keys, device="cuda", dtype=dtype).masked_fill(
                torch.ones(s.queries, s.keys, dtype=torch.bool, device="cuda").triu(1), -math.inf)
        leaves = [x.detach().clone().requires_grad_() for x in (q, k, v)]
        g_out_t = g_out.to(dtype)

        def clear():
            for x in leaves:
                x.grad = None

        def sdpa():
            return F.scaled_dot_product_attention(*leaves, is_causal=s.causal)

        def composed():
            scores = leaves[0] @ leaves[1].transpose(-1, -2) * s.scale
            if mask is not None:
                scores = scores + mask
            return torch.softmax(scores, -1) @ leaves[2]

        row = {"shape": str(s), "name": s.name, "dtype": args.dtype, "errors": errors}
        with torch.no_grad():
            row["ms"] = {"jclip": timed(jclip_forward), "sdpa": timed(sdpa), "composed": timed(composed)}
        row["ms_training"] = {"jclip": timed(jclip_training), "sdpa": timed(lambda: sdpa().backward(g_out_t), clear),
                              "composed": timed(lambda: composed().backward(g_out_t), clear)}
        fwd = s.forward_flops()
        row["tflops"] = {n: fwd / (t * 1e-3) / 1e12 for n, t in row["ms"].items()}
        row["tflops_training"] = {n: 3.5 * fwd / (t * 1e-3) / 1e12 for n, t in row["ms_training"].items()}
        results.append(row)
        print(f"{s.name:15s} {s} {args.dtype}: worst error " + f"{max(errors.values()):.1e}")
        for kind in ("ms", "ms_training"):
            label = "forward" if kind == "ms" else "fwd+bwd"
            times = row[kind]
            print(f"    {label:8s}" + "".join(f"  {n} {t:8.3f} ms ({row['tflops' + kind[2:]][n]:6.1f} TFLOP/s)"
                                           for n, t in times.items())
                  + f"  jclip/sdpa {times['jclip'] / times['sdpa']:.2f}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"attention-vs-torch-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json")
    with open(path, "w") as f:
        json.dump({"gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "results": results}, f, indent=2)
    print("results in", path)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--jar", help="jclip's CUDA backend jar, jclip-kernels-cuda (holds " + PTX_IN_JAR + ")")
    source.add_argument("--ptx", help="attention.ptx itself")
    p.add_argument("--simulator", help="the simulated GPU's folder (libcuda.so.1, libjclip-kernels.so): check the "
                                       "launch code against numpy instead of timing")
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32", help="q, k and v (jclip's out is float32 either way)")
    p.add_argument("--batch", type=int, default=16, help="batch of the image and text shapes")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--out", default="results")
    args = p.parse_args()
    return simulator_check(args) if args.simulator else gpu_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
