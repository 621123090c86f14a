#!/usr/bin/env bash
# Usage: ptxas-report.sh LOG... > ptxas-sm90a.txt
# One line per kernel from `nvcc -Xptxas -v` logs for sm_90a: registers, static shared memory,
# stack, spills, and the H100 occupancy that the register count alone allows. Registers are
# allocated per warp in units of 256 (8 per thread); an SM has 65,536 of them and at most 64
# resident warps. Shared memory and block size limit occupancy further, per launch.
set -euo pipefail
printf '%-40s %5s %8s %6s %7s %7s %9s\n' kernel regs smem stack spill-st spill-ld occupancy
awk '
    /Compiling entry function/ { kernel = $0; sub(/.*function \047/, "", kernel); sub(/\047.*/, "", kernel) }
    /bytes stack frame/ { stack = $1; spill_stores = $5; spill_loads = $9 }
    /Used [0-9]+ registers/ {
        regs = 0; smem = 0
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^registers/) regs = $i
            if ($(i + 1) == "bytes" && $(i + 2) ~ /^smem/) smem = $i
        }
        per_warp = int((regs * 32 + 255) / 256) * 256
        warps = per_warp > 0 ? int(65536 / per_warp) : 64
        if (warps > 64) warps = 64
        printf "%-40s %5d %8d %6d %7d %7d %8d%%\n", kernel, regs, smem, stack, spill_stores, spill_loads, warps * 100 / 64
    }
' "$@"
