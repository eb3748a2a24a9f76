#!/usr/bin/env bash
# Config start-up cost: `validate` of the shipped example (config/) as NativeAOT, wall median and peak
# RSS, and the in-process parse time per load (ConfigLoader.Read in a loop).
#   bash tests/benchmarks/config-bench.sh [--aot PATH] [--before PATH] [--runs N]
# --aot: a published NativeAOT tee-launcher of this tree (published into a temporary folder when not given);
# --before: another NativeAOT build to compare with, run alternately with this one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
aot="" before="" runs=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --aot) aot=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "config-bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$aot" ]]; then
  out=$(mktemp -d)
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o "$out" -v quiet -nologo >&2
  aot="$out/tee-launcher"
fi
launchers=(--launcher "this tree=$aot")
[[ -n "$before" ]] && launchers+=(--launcher "before=$before")

echo "| measurement | median (min-max) | | |"
echo "|---|---|---|---|"
python3 "$root/tests/benchmarks/config_bench.py" --example "$root/config/launcher.toml" --runs "$runs" "${launchers[@]}"
dotnet run --project "$root/tests/benchmarks/ConfigBench/ConfigBench.csproj" -c Release -v quiet -- "$root/config/launcher.toml" 2000
