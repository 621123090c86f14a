#!/usr/bin/env python3
"""Turns run.sh's measurements into the markdown report.

    report.py RUNS.tsv META.txt    (RUNS: round, tool, task, median_ms, max_rss_kb per line;
                                    META: the report's header lines, already markdown)
"""
import statistics
import sys
from collections import defaultdict

TASKS = [("image-1", "encodeImage, batch 1"), ("image-16", "encodeImage, batch 16"),
         ("text-16", "encodeText, batch 16"), ("train-16", "training step, batch 16"),
         ("train-fmnist", "Fashion-MNIST model, training step, batch 256"),
         ("gemm-1024", "GEMM 1024³ float32")]
PEERS = [("torch", "PyTorch"), ("ort", "ONNX Runtime")]


def main():
    runs_path, meta_path = sys.argv[1:3]
    times, rss = defaultdict(list), defaultdict(int)
    for line in open(runs_path):
        _, tool, task, ms, kb = line.split()
        times[tool, task].append(float(ms))
        rss[tool, task] = max(rss[tool, task], int(kb))

    def cell(tool, task):
        if (tool, task) not in times:
            return "–", "–"
        return f"{statistics.median(times[tool, task]):.1f}", f"{rss[tool, task] / 2**20:.2f}"

    head = ["task", "jclip ms", "jclip GiB"]
    for _, name in PEERS:
        head += [f"{name} ms", f"{name} GiB"]
    head += [f"jclip / {name}" for _, name in PEERS]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task, label in TASKS:
        row = [label, *cell("jclip", task)]
        for tool, _ in PEERS:
            row += cell(tool, task)
        for tool, _ in PEERS:
            if ("jclip", task) in times and (tool, task) in times:
                ratio = statistics.median(times["jclip", task]) / statistics.median(times[tool, task])
                row.append(f"{ratio:.2f}")
            else:
                row.append("–")
        rows.append("| " + " | ".join(row) + " |")
    n_rounds = len({line.split()[0] for line in open(runs_path)})
    print(open(meta_path).read().rstrip())
    print()
    print(f"Median over {n_rounds} round(s) of each process's median time (ms); peak RSS (GiB, "
          "\"Maximum resident set size\" of /usr/bin/time -v, max over rounds; it includes loading the "
          "weights). Ratio below 1: jclip is faster.")
    print()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
