#!/usr/bin/env bash
# The README's two commands, and the other suites CI runs:
#   bash cmake/quickstart.sh examples   build and run the examples
#   bash cmake/quickstart.sh test       build and run the whole test suite
#   bash cmake/quickstart.sh asan       the suite built by Clang under ASan + UBSan, with the fuzzers
#   bash cmake/quickstart.sh debug      the suite without NDEBUG (Eigen's and mlprim's assertions on)
#   bash cmake/quickstart.sh docs       the API reference (Doxygen), warnings as errors
# On Debian/Ubuntu it installs what is missing with apt-get when run as root;
# otherwise it stops and prints the exact install line to run.
set -euo pipefail

usage() { echo "usage: bash cmake/quickstart.sh examples|test|asan|debug|docs" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

# Everything the presets need: compiler, make, CMake >= 3.25 (workflow
# presets), Eigen 3.4, Catch2, and for the bench preset Google Benchmark and
# nanoflann (the k-d tree peer), nlohmann/json (XGBoost JSON models), pkg-config for the
# package test; the suites add Open MPI (libopenmpi-dev brings openmpi-bin's
# mpiexec) for the distributed tests; asan adds Clang with its OpenMP and
# sanitizer/libFuzzer runtimes, docs adds Doxygen.
packages=(cmake make g++ pkg-config libeigen3-dev catch2 libbenchmark-dev libnanoflann-dev
          nlohmann-json3-dev)
case "$1" in
  examples) preset=examples ;;
  test) preset=release; packages+=(libopenmpi-dev) ;;
  asan) preset=asan; packages+=(libopenmpi-dev clang libomp-dev libclang-rt-14-dev) ;;
  debug) preset=debug; packages+=(libopenmpi-dev) ;;
  docs) preset=docs; packages+=(doxygen) ;;
  *) usage ;;
esac

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$p")
  done
else
  for tool in cmake make c++; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "mlprim: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "mlprim: missing: ${missing[*]}" >&2
    if command -v apt-get >/dev/null 2>&1; then
      echo "Install them with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    else
      echo "Install a C++17 compiler, make, CMake >= 3.25, Eigen >= 3.4 and Catch2 with your" >&2
      echo "package manager (Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y ${packages[*]})" >&2
    fi
    exit 1
  fi
fi

cmake_version=$(cmake --version | head -n1 | sed 's/[^0-9.]//g')
if [[ "$(printf '%s\n3.25\n' "$cmake_version" | sort -V | head -n1)" != "3.25" ]]; then
  echo "mlprim: CMake $cmake_version is too old for workflow presets; 3.25 or newer is needed" >&2
  exit 1
fi

cd "$(dirname "$0")/.."
exec cmake --workflow --preset "$preset"
