#!/usr/bin/env bash
# Builds what a GPU host without Java, Maven or network needs to run jclip's GPU tests and
# benchmarks (README.md, "Running on a GPU host without a JDK"):
#
#   target/gpu-bundle/jclip-gpu/          runtime/ (jlink), lib/ (jars), tests/ (test jars and
#                                         JUnit's console launcher), run-gpu-tests.sh, run-benchmarks.sh
#   target/gpu-bundle/jclip-gpu.tar.gz    the same folder in one file, to copy to the host
#
# Run from anywhere: dist/gpu-bundle.sh. Needs what the build needs (JDK 17 with jlink, Maven).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/gpu-bundle
BUNDLE=$OUT/jclip-gpu
# A GPU host session takes at most 64 MiB in one transfer.
LIMIT_BYTES=$((64 * 1024 * 1024))

# Its platform version (1.x) goes with junit.version 5.14.1 in pom.xml.
JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.14.1

# java.logging: JCuda logs through it; jdk.unsupported, jdk.incubator.vector: the tensor code;
# java.management: JMH reads the JVM's own arguments to start its forks with them; java.sql (and
# java.xml through it): JUnit's console launcher and its XML reports (jdeps on its jar);
# jdk.zipfs: the launcher scans the test jars as zip file systems, a service jdeps cannot see.
# java.desktop: the clip module's image data (headless java.awt drawing and decoding), which the
# GPU training test uses to make its batches; charts (XChart) are left out below.
MODULES=java.base,java.logging,jdk.unsupported,java.management,jdk.incubator.vector,java.sql,jdk.zipfs,java.desktop

# xchart and what it pulls in (PDF, SVG, GIF writers) draw charts, which no GPU test or benchmark does.
SKIP_GROUPS=org.knowm.xchart,de.erichseifert.vectorgraphics2d,de.rototor.pdfbox,org.apache.pdfbox,commons-logging,com.madgag

rm -rf "$OUT"
mkdir -p "$BUNDLE/lib" "$BUNDLE/tests"

# The jars, and in the same reactor run (so that jclip's own modules resolve to the jars just
# built) every module's runtime dependencies, JCuda's linux-x86_64 natives among them.
mvn -B -q package dependency:copy-dependencies -DskipTests \
    -DincludeScope=runtime -DexcludeGroupIds="jclip,$SKIP_GROUPS" -DoutputDirectory="$PWD/$BUNDLE/lib"
mvn -B -q -N dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$PWD/$BUNDLE/tests"

# JCuda's natives jar carries the nvPTXCompiler JNI library (24 MB unpacked, 8 MB of the jar),
# which jclip never calls: kernels reach the GPU as PTX through the driver (cuModuleLoadData).
zip -q -d "$BUNDLE"/lib/jcuda-natives-*.jar 'lib/libJNvPTXCompiler-*'

# jclip's own jars. bench's thin jar, not the benchmarks.jar uber jar: that one repeats all of
# lib/ with JCuda's natives untrimmed (about 20 MB) and would not fit in the limit beside it; the
# thin jar holds the same benchmarks (META-INF/BenchmarkList) and runs against lib/. The simulated
# GPU's jar and test jar come too, for JCLIP_CUDA=sim runs of the bundle (its test jar has the test
# kernels compiled for it, which the CUDA backend's GPU tests launch there).
for m in kernels/core kernels/cuda kernels/sim tensor nn clip bench; do
    for jar in "$m"/target/jclip-*.jar; do
        case $jar in
            *-tests.jar) cp "$jar" "$BUNDLE/tests/" ;;  # the scripts scan these for tests
            *) cp "$jar" "$BUNDLE/lib/" ;;
        esac
    done
done

jlink --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 \
    --output "$BUNDLE/runtime"
install -m 755 dist/run-gpu-tests.sh dist/run-benchmarks.sh "$BUNDLE/"
# Which sources a result came from, for bench/GPU-RUNS.md.
{
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    "$BUNDLE/runtime/bin/java" -version 2>&1 | head -1
} > "$BUNDLE/BUILD.txt"

tar -C "$OUT" -czf "$OUT/jclip-gpu.tar.gz" jclip-gpu

du -sh "$BUNDLE"/*; du -sh "$BUNDLE"; du -sh "$OUT/jclip-gpu.tar.gz"
size=$(du -sb "$BUNDLE" | cut -f1)
if [ "$size" -gt "$LIMIT_BYTES" ] || [ "$(stat -c %s "$OUT/jclip-gpu.tar.gz")" -gt "$LIMIT_BYTES" ]; then
    echo "gpu-bundle: over 64 MiB ($size bytes unpacked): trim lib/ or the runtime's modules" >&2
    exit 1
fi
