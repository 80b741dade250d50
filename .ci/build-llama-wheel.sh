#!/usr/bin/env bash
# Build the llama-cpp-python wheel once and keep it in a cache shared by every clone.
#
# llama-cpp-python is published as an sdist only, and compiling llama.cpp takes ~10 minutes, so
# `make install` calls this script and then `pip install --find-links <cache> ".[llm]"`.
# Idempotent: when a wheel for this version, Python tag and machine is cached it does nothing.
#
# Usage:  .ci/build-llama-wheel.sh            (PYTHON=/path/to/python to pick the interpreter)
# Env:    ZONEQA_WHEEL_CACHE  cache folder (default ~/.cache/zoneqa/wheels)
#         CMAKE_ARGS          extra llama.cpp build flags, e.g. "-DGGML_NATIVE=OFF" for portable CI wheels
set -euo pipefail

LLAMA_VERSION="0.3.36"
PYTHON="${PYTHON:-python}"
CACHE="${ZONEQA_WHEEL_CACHE:-$HOME/.cache/zoneqa/wheels}"

PY_TAG="$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
MACHINE="$(uname -m)"
mkdir -p "$CACHE"

# The wheel loads libllama through ctypes, so pip tags it py3-none-linux_<arch>; accept a
# CPython-specific tag (cp311-...) too in case a future release builds an extension module.
cached_wheels() {
    shopt -s nullglob
    local wheels=("$CACHE"/llama_cpp_python-"$LLAMA_VERSION"-{py3,"$PY_TAG"}-*"$MACHINE".whl)
    shopt -u nullglob
    if (( ${#wheels[@]} > 0 )); then printf '%s\n' "${wheels[@]}"; fi
}

mapfile -t existing < <(cached_wheels)
if (( ${#existing[@]} > 0 )); then
    echo "llama-cpp-python $LLAMA_VERSION: cached wheel ${existing[0]} (nothing to build)"
    exit 0
fi

JOBS="$(nproc)"
echo "llama-cpp-python $LLAMA_VERSION: no cached wheel for $PY_TAG/$MACHINE in $CACHE"
echo "Building it with $JOBS parallel jobs (about 10 minutes on 2 cores)..."
CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" "$PYTHON" -m pip wheel --no-deps \
    "llama-cpp-python==$LLAMA_VERSION" -w "$CACHE"

mapfile -t built < <(cached_wheels)
if (( ${#built[@]} == 0 )); then
    echo "error: pip finished but no llama_cpp_python-$LLAMA_VERSION-{py3,$PY_TAG}-*$MACHINE.whl is in $CACHE" >&2
    exit 1
fi
echo "Built ${built[0]}"
