#!/usr/bin/env bash
# The stack boot benchmark of issue 11 (docs/benchmarks.md), in one command:
#   bash tests/benchmarks/stack-bench.sh [--runs N] [--delay-ms MS] [--rate BYTES_PER_SECOND] [--scenarios cold,warm]
#                                         [--reference] [--pull-concurrency N] [--compose 1.29|2.26|2.40] [--engine 20|26] [--trace]
# Starts the test environment if needed (tests/env/testenv.sh), publishes the launcher as NativeAOT unless
# TEE_LAUNCHER names a build, and prints the cold-boot and warm-reboot tables of stack_bench.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/tests/env/testenv.sh" up >&2
eval "$(bash "$root/tests/env/testenv.sh" env)"
launcher=${TEE_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  out=${TEE_BENCH_OUT:-/tmp/tee-launcher-bench}
  echo "bench: publishing the NativeAOT launcher into $out/aot" >&2
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o "$out/aot" -v quiet -nologo >&2
  launcher=$out/aot/tee-launcher
fi
python3 "$root/tests/benchmarks/stack_bench.py" --aot "$launcher" "$@"
