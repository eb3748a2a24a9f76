#!/usr/bin/env bash
# The fleet boot benchmark of issue 22 (docs/benchmarks.md), in one command:
#   bash tests/benchmarks/fleet-bench.sh [--fleet N] [--runs N] [--megabytes N]
# Starts the test environment if needed (tests/env/testenv.sh), publishes the launcher as NativeAOT unless
# TEE_LAUNCHER names a build, and prints the table of fleet_bench.py: N launchers, each with its own dockerd,
# booting at once through one docker-registry pull-through cache in front of a slow origin, cold and warm.
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
python3 "$root/tests/benchmarks/fleet_bench.py" --aot "$launcher" "$@"
