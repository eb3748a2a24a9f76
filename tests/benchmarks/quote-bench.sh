#!/usr/bin/env bash
# verify --quote of a real TDX quote with its collateral (dcap-qvl's sample, tests/fixtures/quotes) as NativeAOT:
# wall time, CPU time (user + system) and peak RSS of one whole check (goal: under 50 ms and 40 MiB).
# TEE_LAUNCHER names the binary to time (default: a NativeAOT publish into /tmp/tee-launcher-bench/aot-quote).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-11}
launcher=${TEE_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o /tmp/tee-launcher-bench/aot-quote -v quiet -nologo >&2
  launcher=/tmp/tee-launcher-bench/aot-quote/tee-launcher
fi
quotes="$root/tests/fixtures/quotes"
check=("$launcher" verify --quote "$quotes/tdx_quote" --collateral "$quotes/tdx_quote_collateral.json" --at 2025-07-01T00:00:00Z --json)
"${check[@]}" >/dev/null   # verified and UpToDate, or the script stops here
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
for _ in $(seq 1 "$runs"); do
  # elapsed s, user s, system s, peak KiB
  /usr/bin/time -f "%e %U %S %M" -o "$samples" -a "${check[@]}" >/dev/null
done
median() { sort -n | awk '{v[NR]=$1} END {printf "%.0f", v[int((NR+1)/2)]}'; }
wall=$(awk '{print $1*1000}' "$samples" | median)
cpu=$(awk '{print ($2+$3)*1000}' "$samples" | median)
peak=$(awk '{print $4}' "$samples" | sort -n | tail -1)
load=$(cut -d' ' -f1 /proc/loadavg)
echo "| verify --quote of dcap-qvl's tdx_quote with its collateral, $runs runs | median wall $wall ms, median CPU (user+sys) $cpu ms | peak RSS $((peak / 1024)) MiB | load average $load |"
