#!/usr/bin/env bash
# Regenerates the *.symbols lists: every CUDA, cuBLAS and cuDNN name that JCuda's JNI libraries import
# (nm -D --undefined-only), read from the natives jars in the local Maven repository. Run after a
# JCuda version change; the lists are checked in so that the build does not depend on unzip and nm
# output formats at build time.
set -euo pipefail
cd "$(dirname "$0")"
version=${1:-12.6.0}
repo=${MAVEN_REPO:-$HOME/.m2/repository}/org/jcuda
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for a in jcuda jcublas jcudnn; do
    unzip -q -o "$repo/$a-natives/$version/$a-natives-$version-linux-x86_64.jar" -d "$tmp"
done
imports() { nm -D --undefined-only "$tmp/lib/$1" | awk '{ sub(/@.*/, "", $2); print $2 }' | grep -E "$2" | sort -u; }
imports "libJCudaDriver-$version-linux-x86_64.so" '^cu[A-Z]' > libcuda.so.1.symbols
imports "libJCublas2-$version-linux-x86_64.so" '^cublas' > libcublas.so.12.symbols
imports "libJCudnn-$version-linux-x86_64.so" '^cudnn' > libcudnn.so.9.symbols
wc -l *.symbols
