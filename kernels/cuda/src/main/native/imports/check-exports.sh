#!/usr/bin/env bash
# Usage: check-exports.sh IMPORTS LIBRARY
# Fails when LIBRARY does not export every name in IMPORTS (what JCuda's JNI library binds lazily).
set -euo pipefail
missing=$(comm -23 <(sort -u "$1") <(nm -D --defined-only "$2" | awk 'NF == 3 { sub(/@.*/, "", $3); print $3 }' | sort -u))
if [ -n "$missing" ]; then
    echo "$2 lacks names that JCuda imports:" >&2
    echo "$missing" >&2
    exit 1
fi
