#!/usr/bin/env bash
# The benchmark suite of docs/benchmarks.md, in one command:
#   bash tests/benchmarks/run.sh [--runs N] [--settle SECONDS]
# Uses the same local dockerd and registry as the integration tests (tests/env/testenv.sh), builds the
# launcher twice (NativeAOT and JIT) and prints the tables: launch overhead against a plain script,
# plan/validate time and memory, resident memory of a supervising run, config parse time, verify throughput,
# and the boot of a three-image stack from a distant registry (stack-bench.sh, its own machine lines).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TEE_BENCH_OUT:-/tmp/tee-launcher-bench}
bash "$root/tests/env/testenv.sh" up >&2
eval "$(bash "$root/tests/env/testenv.sh" env)"

echo "bench: building NativeAOT and JIT launchers into $out" >&2
dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o "$out/aot" -v quiet -nologo >&2
dotnet build "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -o "$out/jit" -v quiet -nologo >&2

echo "## Machine"
echo
echo "- $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "- kernel $(uname -r), dotnet $(dotnet --version), dockerd $(docker version --format '{{.Server.Version}}'), docker-compose $(docker-compose version --short)"
echo
echo "## Launch, start-up and memory"
echo
python3 "$root/tests/benchmarks/launch_bench.py" --aot "$out/aot/tee-launcher" --jit "$out/jit/tee-launcher" \
  --example "$root/config/launcher.toml" "$@"
echo
echo "## Config start-up"
echo
bash "$root/tests/benchmarks/config-bench.sh" --aot "$out/aot/tee-launcher"
echo
echo "## verify"
echo
TEE_LAUNCHER="$out/aot/tee-launcher" bash "$root/tests/benchmarks/verify-bench.sh"
echo
TEE_LAUNCHER="$out/aot/tee-launcher" bash "$root/tests/benchmarks/stack-bench.sh"
