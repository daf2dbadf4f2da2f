#!/bin/sh
# Builds sift's libFuzzer targets with clang (ASan + UBSan) and runs each
# for a while: fuzz_compile (the compiler on arbitrary expressions, seeded
# with every corpus expression) and fuzz_vm_jit (the JIT against the
# interpreter on random programs). A finding aborts the run and leaves the
# input as crash-* in the build folder's fuzz directory.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
cc=$(command -v clang || true)
cxx=$(command -v clang++ || true)
if [ -z "$cc" ] || [ -z "$cxx" ]; then
  echo "fuzz.sh: clang is not installed (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" -DSIFT_BUILD_FUZZ=ON -DSIFT_SANITIZE=ON >/dev/null
cmake --build "$build" -j2 --target fuzz_compile fuzz_vm_jit

work="$build/fuzz"
rm -rf "$work"
mkdir -p "$work/compile-seeds" "$work/compile-corpus" "$work/vm-jit-corpus"
# One seed per corpus expression: [link type index 1][flags 0] expression.
n=0
cat corpus/filters/*.txt | grep -v '^#' | grep -v '^[[:space:]]*$' | while IFS= read -r line; do
  n=$((n + 1))
  printf '\001\000%s' "$line" > "$work/compile-seeds/$n"
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$work"
echo "== fuzz_compile for ${seconds}s"
../tests/fuzz/fuzz_compile -max_total_time="$seconds" -timeout=30 -max_len=1100 -print_final_stats=1 \
  -dict=../../tests/fuzz/pcap-filter.dict compile-corpus compile-seeds
echo "== fuzz_vm_jit for ${seconds}s"
../tests/fuzz/fuzz_vm_jit -max_total_time="$seconds" -timeout=30 -print_final_stats=1 vm-jit-corpus
