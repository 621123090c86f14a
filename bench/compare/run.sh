#!/usr/bin/env bash
# jclip against PyTorch and ONNX Runtime on this machine, interleaved; see README.md.
#
#   bench/compare/run.sh [--rounds N] [--quick]
#
# Writes bench/compare/results/YYYY-MM-DD-HHMM.md and prints it.
set -euo pipefail

ROUNDS=3
QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --quick) QUICK=1; ROUNDS=1; shift ;;
        *) echo "usage: $0 [--rounds N] [--quick]" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE=bench/compare
CACHE=$HERE/.cache
ORT_VERSION=1.29.0
ORT_JAR=$CACHE/onnxruntime-$ORT_VERSION.jar
BENCH_JAR=bench/target/benchmarks.jar
PY=/usr/bin/python3
CORES=$(nproc)
mkdir -p "$CACHE" "$HERE/results"

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

# --- prerequisites -------------------------------------------------------------------------
missing=()
for pkg in python3-torch python3-numpy libopenblas0-openmp time; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y "${missing[@]}" || { $SUDO apt-get update && $SUDO apt-get install -y "${missing[@]}"; } \
        || die "could not install ${missing[*]}: run 'apt-get install -y ${missing[*]}' as root"
fi
$PY -c "import torch" 2>/dev/null || die "no PyTorch for $PY: apt-get install python3-torch"
$PY -c "import numpy" 2>/dev/null || die "no numpy for $PY: apt-get install python3-numpy"
BLAS=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')
case "$BLAS" in
    *openblas-openmp*) ;;
    *) die "libblas.so.3 is '${BLAS:-not set}', not OpenBLAS (OpenMP): apt-get install libopenblas0-openmp and" \
           "update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3" ;;
esac
command -v javac >/dev/null || die "no JDK (java, javac, jar): apt-get install openjdk-17-jdk-headless"
need_mvn() { command -v mvn >/dev/null || die "no mvn to $1: apt-get install maven"; }

if [ ! -f "$ORT_JAR" ]; then
    need_mvn "fetch ONNX Runtime"
    log "fetching ONNX Runtime $ORT_VERSION"
    mvn -B -q -N dependency:copy -Dartifact=com.microsoft.onnxruntime:onnxruntime:$ORT_VERSION -DoutputDirectory="$ROOT/$CACHE"
fi
# Rebuilt when any source is newer than the jars (one package run writes jclip.jar, then the bench
# jar), so that a rerun after a change never times old code.
if [ ! -f clip/target/jclip.jar ] || [ ! -f "$BENCH_JAR" ] \
        || [ -n "$(find . -path '*/src/*' -newer clip/target/jclip.jar -print -quit)" ]; then
    need_mvn "build jclip"
    log "building jclip"
    mvn -B -q package -DskipTests
elif ! jar tf "$BENCH_JAR" | grep -c jclip/bench/compare/JclipRunner.class >/dev/null; then
    need_mvn "build the bench module"
    log "building the bench module (its jar has no JclipRunner)"
    mvn -B -q -pl bench -am package -DskipTests
fi
# OrtRunner compiled once, so that javac's memory is not in ORT's peak RSS.
if [ ! -f "$CACHE/ort-classes/OrtRunner.class" ] || [ "$HERE/OrtRunner.java" -nt "$CACHE/ort-classes/OrtRunner.class" ]; then
    javac -d "$CACHE/ort-classes" -cp "$ORT_JAR:$BENCH_JAR" "$HERE/OrtRunner.java"
fi
if [ ! -f "$CACHE/inputs.safetensors" ] || [ ! -f "$CACHE/visual.onnx" ] \
        || [ "$HERE/make_model.py" -nt "$CACHE/inputs.safetensors" ] || [ "$HERE/clip_torch.py" -nt "$CACHE/inputs.safetensors" ]; then
    log "making the model, inputs, reference outputs and ONNX export"
    $PY "$HERE/make_model.py" "$CACHE" 2> >(grep -v -i warn >&2)
fi

# --- runners -------------------------------------------------------------------------------
export OMP_NUM_THREADS=$CORES COMPARE_THREADS=$CORES
if [ $QUICK -eq 1 ]; then
    export COMPARE_WARMUP_ITERS=1 COMPARE_WARMUP_S=0 COMPARE_MIN_ITERS=3 COMPARE_MIN_S=0
fi

xmx() {  # each jclip task's heap: about 15 % above the smallest it ran in (2026-12-03: 480m, 300m; train: see below)
    case "$1" in
        gemm-1024) echo 512m ;;
        image-*) echo 560m ;;
        text-*) echo 400m ;;
        train-fmnist) echo 480m ;;  # ran in 400m (2026-12-08)
        train-16) echo 3800m ;;  # runs in 3600m since 2026-12-08 (flat weights and moments, activations freed in backward), slower there
        check) echo 1200m ;;  # both towers at once
    esac
}

command_for() {  # tool task
    case "$1" in
        torch) echo "$PY $HERE/torch_runner.py $2 $CACHE" ;;
        jclip) echo "java --add-modules jdk.incubator.vector -Xmx$(xmx "$2") -Djclip.threads=$CORES -cp $BENCH_JAR jclip.bench.compare.JclipRunner $2 $CACHE" ;;
        ort) echo "java -cp $ORT_JAR:$BENCH_JAR:$CACHE/ort-classes OrtRunner $2 $CACHE" ;;
    esac
}

# Runs one (tool, task) process under /usr/bin/time -v; prints "median_ms max_rss_kb".
run_one() {
    local out=$CACHE/last.out timing=$CACHE/last.time
    if ! /usr/bin/time -v -o "$timing" $(command_for "$1" "$2") >"$out" 2>&1; then
        tail -n 20 "$out" >&2
        die "$1 $2 failed (output above, all of it in $out)"
    fi
    local ms kb
    ms=$(sed -n 's/^RESULT .*median_ms=\([0-9.]*\).*/\1/p' "$out")
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timing")
    [ -n "$ms" ] || die "$1 $2 printed no RESULT line (see $out)"
    echo "$ms $kb"
}

calibrate() {  # numpy sgemm 2048³ at 1 and all cores, GFLOP/s
    local line=""
    for t in 1 "$CORES"; do
        g=$(OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $PY -c "
import time, statistics, numpy as np
a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32); b = a.copy()
a @ b; ts = []
for _ in range(5):
    t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
print(f'{2 * 2048**3 / statistics.median(ts) / 1e9:.1f}')")
        line+="$t thread(s) $g GFLOP/s; "
    done
    echo "${line%; }"
}

# --- agreement with PyTorch ----------------------------------------------------------------
log "agreement check (features of the same weights and inputs as PyTorch's)"
ORT_TEXT=0
for tool in torch jclip ort; do
    if [ "$tool" = torch ]; then cmd="$PY $HERE/torch_runner.py check $CACHE"; else cmd=$(command_for "$tool" check); fi
    $cmd >"$CACHE/check-$tool.out" 2>&1 || { cat "$CACHE/check-$tool.out" >&2; die "$tool check failed"; }
    grep '^CHECK' "$CACHE/check-$tool.out" | awk '{
        split($4, d, "="); split($5, r, "="); rel = d[2] / r[2];
        printf "   %-6s %-9s max |diff| %s  (relative to max |feature| %s: %.2e)\n", substr($2, 6), substr($3, 6), d[2], r[2], rel;
        if (rel > 1e-4) bad = 1 } END { exit bad }' >&2 \
        || die "$tool disagrees with PyTorch by more than 1e-4 of the feature scale: the timings would not compare the same function"
    if [ "$tool" = ort ] && grep -q 'what=text-16' "$CACHE/check-$tool.out"; then ORT_TEXT=1; fi
done
[ $ORT_TEXT -eq 1 ] || log "no ONNX export of the text tower: text-16 has no ONNX Runtime column"

supported() {  # tool task
    case "$1:$2" in
        ort:image-*) return 0 ;;
        ort:text-16) [ $ORT_TEXT -eq 1 ] ;;
        ort:*) return 1 ;;
        *) return 0 ;;
    esac
}

# --- the interleaved rounds ----------------------------------------------------------------
START=$(date +%s)
STAMP=$(date -d @"$START" +%Y-%m-%d-%H%M)
log "calibration before"
CAL_BEFORE=$(calibrate)
echo "   numpy sgemm 2048³: $CAL_BEFORE" >&2
RUNS=$CACHE/runs-$STAMP.tsv
: >"$RUNS"
TOOLS=(jclip torch ort)
for ((r = 0; r < ROUNDS; r++)); do
    order=("${TOOLS[@]:r % 3}" "${TOOLS[@]:0:r % 3}")
    for task in image-1 image-16 text-16 train-16 train-fmnist gemm-1024; do
        for tool in "${order[@]}"; do
            supported "$tool" "$task" || continue
            result=$(run_one "$tool" "$task")
            read -r ms kb <<<"$result"
            awk -v r=$((r + 1)) -v tool="$tool" -v task="$task" -v ms="$ms" -v kb="$kb" \
                'BEGIN { printf "   round %d  %-5s %-9s %10.1f ms  %6.2f GiB\n", r, tool, task, ms, kb / 1048576 }' >&2
            echo "$((r + 1)) $tool $task $ms $kb" >>"$RUNS"
        done
    done
done
log "calibration after"
CAL_AFTER=$(calibrate)
echo "   numpy sgemm 2048³: $CAL_AFTER" >&2
MINUTES=$(( ($(date +%s) - START + 59) / 60 ))

# --- the report ----------------------------------------------------------------------------
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no -- kernels tensor nn clip 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
[ -z "$(find kernels tensor nn clip bench/src -name '*.java' -newer "$BENCH_JAR" 2>/dev/null | head -1)" ] \
    || COMMIT="$COMMIT; note: $BENCH_JAR is older than some sources (rebuild: mvn -B -q package -DskipTests)"
AVX512=no; grep -c avx512f /proc/cpuinfo >/dev/null && AVX512=yes
# Two threads of numpy's sgemm should be nearly twice one thread; much less means other load.
SCALING=$(echo "$CAL_BEFORE; $CAL_AFTER" | awk -F'; ' '{ for (i = 1; i <= NF; i++) { split($i, w, " "); g[i] = w[3] } }
    END { s = g[2] / g[1]; t = g[4] / g[3]; m = s < t ? s : t; printf "%.2f", m }')
META=$CACHE/meta-$STAMP.md
QUICK_NOTE=""
[ $QUICK -eq 0 ] || QUICK_NOTE=$'\n**--quick run (1 round, few iterations): for checking the script, not for reading.**\n'
cat >"$META" <<EOF
# jclip vs PyTorch and ONNX Runtime, $(date -d @"$START" '+%Y-%m-%d %H:%M')

$QUICK_NOTE
- machine: $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores, AVX-512: $AVX512, $(free -g | awk '/^Mem:/ {print $2}') GiB memory
- versions: $(java -version 2>&1 | head -1); torch $($PY -c 'import torch; print(torch.__version__)') (BLAS: $BLAS); numpy $($PY -c 'import numpy; print(numpy.__version__)'); ONNX Runtime $(java -cp "$ORT_JAR:$BENCH_JAR:$CACHE/ort-classes" OrtRunner version 2>/dev/null); jclip $COMMIT
- model: ViT-B/32 CLIP, random weights (make_model.py, seed 0), the same file for every tool; float32; $CORES threads everywhere
  (torch.set_num_threads, OMP_NUM_THREADS, ORT intra-op threads, jclip.threads)
- jclip heap: -Xmx$(xmx image-1) for the image tower, -Xmx$(xmx text-16) for the text tower (each encoder loads only its tower, as ONNX Runtime loads only its graph), -Xmx$(xmx train-16) for the training step, -Xmx$(xmx train-fmnist) for the Fashion-MNIST model's, -Xmx$(xmx gemm-1024) for GEMM
- calibration, numpy sgemm 2048³ before: $CAL_BEFORE; after: $CAL_AFTER$(awk -v s="$SCALING" -v c="$CORES" 'BEGIN {
    if (s < 0.8 * c) printf "\n  **%s cores were only %sx one core in a calibration: something else was probably running; the times are suspect.**", c, s }')
- $ROUNDS round(s), tools in rotating order, one process per measurement; the whole run took $MINUTES min
EOF
OUT=$HERE/results/$STAMP.md
[ $QUICK -eq 0 ] || OUT=$CACHE/$STAMP-quick.md  # quick runs check the script; they are not results
$PY "$HERE/report.py" "$RUNS" "$META" >"$OUT"
cat "$OUT"
echo >&2
log "written to $OUT"
