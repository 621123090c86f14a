#!/usr/bin/env bash
# The Spark job in local mode against the single-process `jclip embed` on the same images, in turn,
# whole processes timed by /usr/bin/time; see bench/RESULTS.md ("The Spark job in local mode").
#
#   bench/spark/run.sh [--checkpoint MODEL.safetensors] [--images N] [--rounds R] [--batch-size B]
#
# The images are the seven real photos of clip's preprocessing test, copied N/6 times (JPEG and
# PNG, 128x128 to 512x512: decoding and resizing cost what they cost on real files). A run with 6
# images gives each command's fixed cost (JVM, model load, for the job Spark's start and the
# Parquet commit); the job's overhead is its time less embed's, at both sizes.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CHECKPOINT=$ROOT/bench/compare/.cache/model.safetensors
IMAGES=384
ROUNDS=3
BATCH=32
while [ $# -gt 0 ]; do
    case "$1" in
        --checkpoint) CHECKPOINT="$2"; shift 2 ;;
        --images) IMAGES="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --batch-size) BATCH="$2"; shift 2 ;;
        *) echo "usage: $0 [--checkpoint MODEL.safetensors] [--images N] [--rounds R] [--batch-size B]" >&2; exit 2 ;;
    esac
done
[ -f "$CHECKPOINT" ] || { echo "run.sh: no checkpoint $CHECKPOINT (bench/compare/run.sh --quick makes the ViT-B/32 one, or pass --checkpoint)" >&2; exit 1; }
CLIP_JAR=$ROOT/clip/target/jclip.jar
ARGS=$ROOT/spark/target/local.args
[ -f "$CLIP_JAR" ] && [ -f "$ARGS" ] || { echo "run.sh: build first: mvn -B -q package -DskipTests" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PHOTOS=$ROOT/clip/src/test/resources/jclip/clip/data/photos
make_set() {  # make_set NAME COUNT: NAME/img/*, NAME/paths.txt
    local dir=$WORK/$1 i=0
    mkdir -p "$dir/img"
    while [ $i -lt "$2" ]; do
        for f in "$PHOTOS"/*.jpg "$PHOTOS"/*.png; do
            [ $i -lt "$2" ] || break
            cp "$f" "$dir/img/$(printf %06d $i).${f##*.}"
            i=$((i + 1))
        done
    done
    (cd "$dir/img" && ls) | sed 's|^|img/|' > "$dir/paths.txt"
}
make_set small 6
make_set large "$IMAGES"

HEAP=-Xmx3g
# time_run LABEL SET COMMAND...: one line "LABEL SET wall_s peak_kib" on fd 3
time_run() {
    local label=$1 set=$2; shift 2
    (cd "$WORK/$set" && /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out.log" 2>&1) ||
        { cat "$WORK/out.log" >&2; echo "run.sh: $label failed" >&2; exit 1; }
    echo "$label $set $(cat "$WORK/time")" >&3
}
embed() {
    time_run embed "$1" java --add-modules jdk.incubator.vector $HEAP -jar "$CLIP_JAR" embed --checkpoint "$CHECKPOINT" \
        --batch-size "$BATCH" --normalize --out "$WORK/$1/embed.safetensors" $(cd "$WORK/$1" && sed 's|^|--images=|' paths.txt)
}
job() {
    time_run spark "$1" java @"$ARGS" $HEAP jclip.spark.EmbedJob --checkpoint "$CHECKPOINT" \
        --image-paths paths.txt --batch-size "$BATCH" --out "$WORK/$1/parquet" --overwrite
}

exec 3> /dev/null
echo "== warm-up" >&2
embed small; job small
exec 3> "$WORK/times"
for r in $(seq 1 "$ROUNDS"); do
    echo "== round $r of $ROUNDS" >&2
    embed small; job small; embed large; job large
done
exec 3>&-

python3 - "$WORK/times" "$IMAGES" "$(nproc)" "$BATCH" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, cores, batch = int(sys.argv[2]), sys.argv[3], sys.argv[4]
med = lambda cmd, s, i: statistics.median(float(r[i]) for r in rows if r[0] == cmd and r[1] == s)
print(f"{n} images (and 6 for the fixed cost), batch {batch}, {cores} cores, medians of {len(rows)//4} rounds\n")
print("| command | wall, 6 images | wall, %d images | images/s (marginal) | peak RSS |" % n)
print("| --- | --- | --- | --- | --- |")
for cmd, name in (("embed", "`jclip embed`"), ("spark", "EmbedJob, local[*]")):
    small, large = med(cmd, "small", 2), med(cmd, "large", 2)
    print(f"| {name} | {small:.1f} s | {large:.1f} s | {(n - 6) / (large - small):.1f} | {med(cmd, 'large', 3) / 2**20:.2f} GiB |")
print(f"\njob overhead (EmbedJob less embed): {med('spark','small',2) - med('embed','small',2):.1f} s at 6 images, "
      f"{med('spark','large',2) - med('embed','large',2):.1f} s at {n}; "
      f"throughput ratio EmbedJob/embed at {n} images: {med('embed','large',2) / med('spark','large',2):.2f}")
EOF
