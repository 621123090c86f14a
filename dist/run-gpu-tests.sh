#!/usr/bin/env bash
# Runs every jclip test tagged "gpu" from this bundle, on the machine's GPU, with the bundle's own
# Java runtime. Writes into results/ beside this script (or the folder given as $1):
#   gpu-tests.log   the console launcher's output, test by test
#   junit/          XML reports (the legacy JUnit XML format that CI tools read)
#   summary.txt     date, GPU and driver, the launcher's counts of tests found, succeeded, failed...
# Exits non-zero when a test fails or none is found.
# JCLIP_CUDA=sim ./run-gpu-tests.sh runs the same tests on the simulated GPU (a machine without one).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${1:-$HERE/results}
mkdir -p "$RESULTS"
export JCLIP_CUDA=${JCLIP_CUDA:-gpu}

# Tests are looked for in the test jars only; lib/ is what they run against.
roots=$(printf '%s:' "$HERE"/tests/*-tests.jar)

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "JCLIP_CUDA=$JCLIP_CUDA"
    cat "$HERE/BUILD.txt" 2>/dev/null || true
    nvidia-smi --query-gpu=name,driver_version --format=csv 2>/dev/null || echo "nvidia-smi: not available"
} > "$RESULTS/summary.txt"

status=0
# -Xss4m -Xmx6g: as the build runs the tests (surefire's argLine in pom.xml). Tests that read
# reference fixtures find them where JCLIP_SHARED points (the repository's ../shared).
"$HERE/runtime/bin/java" --add-modules jdk.incubator.vector -Xss4m -Xmx6g ${JCLIP_SHARED:+"-Djclip.shared=$JCLIP_SHARED"} \
    -cp "$HERE/lib/*:$HERE/tests/*" org.junit.platform.console.ConsoleLauncher execute \
    --scan-class-path "${roots%:}" --include-tag gpu --fail-if-no-tests \
    --reports-dir "$RESULTS/junit" --details tree --disable-banner --disable-ansi-colors 2>&1 |
    tee "$RESULTS/gpu-tests.log" || status=$?

# The launcher's closing table: "[ 12 tests found ]" and so on, containers (classes) included,
# since a class whose set-up fails counts there and not among the tests.
grep -E '^\[ +[0-9]+ (containers|tests) ' "$RESULTS/gpu-tests.log" >> "$RESULTS/summary.txt" || true
echo "exit status: $status" >> "$RESULTS/summary.txt"
echo "results in $RESULTS (exit status $status)"
exit "$status"
