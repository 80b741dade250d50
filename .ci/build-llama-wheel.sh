#!/usr/bin/env bash
# Build the llama-cpp-python wheel once and keep it in a cache shared by every clone.
#
# llama-cpp-python is published as an sdist only, and compiling llama.cpp takes ~10 minutes, so
# `make install` calls this script and then `pip install --find-links <cache> ".[llm]"`.
# Idempotent: when a wheel for this version, Python tag and machine is cached it does nothing.
#
# Usage:  .ci/build-llama-wheel.sh            (PYTHON=/path/to/python to pick the interpreter)
#         .ci/build-llama-wheel.sh --print-dir  (the folder that holds the wheel for these flags)
# Env:    ZONEQA_WHEEL_CACHE  cache folder (default ~/.cache/zoneqa/wheels)
#         CMAKE_ARGS          llama.cpp build flags (default: the AVX2 set below, AVX-512 added where
#                             the CPU has it; set it to PORTABLE_X86 below to force the portable build)
#
# Why not -march=native (llama.cpp's default): on a CPU that reports AMX, a native build uses AMX
# tiles, and in a VM whose kernel does not grant them every decode segfaults (seen on Xeon
# hosts). The AVX2/FMA/F16C build runs on any x86-64 of the last decade; on a CPU with AVX-512
# (F, CD, BW, DQ, VL, VBMI and VNNI) those instructions are added, never AMX: the prompt is read
# 1.4x faster on 2 cores (70 -> 98-106 tokens/s, Qwen2.5-1.5B Q4_K_M, AMD EPYC, 2026-12-07).
# The wheels live in a folder named after the flags, so a wheel built for one CPU is never
# reused on a machine whose CPU asks for other flags.
set -euo pipefail

LLAMA_VERSION="0.3.36"
PYTHON="${PYTHON:-python}"
PORTABLE_X86="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
AVX512_X86="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON"

has_avx512() {  # every AVX-512 extension the AVX512_X86 build compiles for
    local flag
    for flag in avx512f avx512cd avx512bw avx512dq avx512vl avx512vbmi avx512_vnni; do
        grep -qw "$flag" /proc/cpuinfo 2>/dev/null || return 1
    done
}

if [ -z "${CMAKE_ARGS:-}" ] && [ "$(uname -m)" = "x86_64" ]; then
    if has_avx512; then export CMAKE_ARGS="$AVX512_X86"; else export CMAKE_ARGS="$PORTABLE_X86"; fi
fi
FLAGS_TAG="$(printf '%s' "${CMAKE_ARGS:-default}" | sha256sum | cut -c1-12)"
CACHE="${ZONEQA_WHEEL_CACHE:-$HOME/.cache/zoneqa/wheels}/$FLAGS_TAG"

if [ "${1:-}" = "--print-dir" ]; then  # where the Makefile's pip finds the wheel
    echo "$CACHE"
    exit 0
fi

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
echo "Building it with $JOBS parallel jobs and CMAKE_ARGS='${CMAKE_ARGS:-}' (about 10 minutes on 2 cores)..."
# --no-cache-dir: pip caches wheels built from an sdist by URL alone, whatever the flags were.
CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" "$PYTHON" -m pip wheel --no-deps --no-cache-dir \
    "llama-cpp-python==$LLAMA_VERSION" -w "$CACHE"

mapfile -t built < <(cached_wheels)
if (( ${#built[@]} == 0 )); then
    echo "error: pip finished but no llama_cpp_python-$LLAMA_VERSION-{py3,$PY_TAG}-*$MACHINE.whl is in $CACHE" >&2
    exit 1
fi
echo "Built ${built[0]}"
