#!/usr/bin/env bash
# Runs jclip's JMH benchmarks from this bundle with its own Java runtime, on the machine's GPU
# where a benchmark asks for one. Arguments go to JMH, e.g. a benchmark name pattern and -f 1 -wi 3
# -i 5 (-h lists them all). Results go to results/ beside this script (RESULTS=folder to change):
#   jmh-<time>.json   JMH's JSON results
#   jmh-<time>.log    its console output
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${RESULTS:-$HERE/results}
mkdir -p "$RESULTS"
export JCLIP_CUDA=${JCLIP_CUDA:-gpu}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# SimulatedGpuBenchmark times the simulated GPU (the CI budget): not a figure for a GPU host.
exclude=()
[ "$JCLIP_CUDA" = sim ] || exclude=(-e SimulatedGpuBenchmark)

# JMH starts each fork with this same runtime, class path and JVM arguments.
"$HERE/runtime/bin/java" --add-modules jdk.incubator.vector -cp "$HERE/lib/*" org.openjdk.jmh.Main \
    -rf json -rff "$RESULTS/jmh-$stamp.json" "${exclude[@]}" "$@" 2>&1 | tee "$RESULTS/jmh-$stamp.log"
