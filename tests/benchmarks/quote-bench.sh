#!/usr/bin/env bash
# verify --quote of a real TDX quote with its collateral (dcap-qvl's sample, tests/fixtures/quotes) as NativeAOT:
# wall time and peak RSS of one whole check (goal: under 50 ms and 40 MiB).
# TEE_LAUNCHER names the binary to time (default: a NativeAOT publish into /tmp/tee-launcher-bench/aot-quote).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
launcher=${TEE_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o /tmp/tee-launcher-bench/aot-quote -v quiet -nologo >&2
  launcher=/tmp/tee-launcher-bench/aot-quote/tee-launcher
fi
quotes="$root/tests/fixtures/quotes"
check=("$launcher" verify --quote "$quotes/tdx_quote" --collateral "$quotes/tdx_quote_collateral.json" --at 2025-07-01T00:00:00Z --json)
"${check[@]}" >/dev/null   # verified and UpToDate, or the script stops here
times=()
for _ in $(seq 1 11); do
  start=$(date +%s%N)
  "${check[@]}" >/dev/null
  times+=($(( ($(date +%s%N) - start) / 100000 )))
done
peak=$( { /usr/bin/time -f "%M" "${check[@]}" >/dev/null; } 2>&1 | tail -1)
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(sed -n 6p <<<"$sorted")
runs=$(awk '{printf "%s%.1f", (NR>1?" ":""), $1/10}' <<<"$sorted")
echo "| verify --quote of dcap-qvl's tdx_quote with its collateral | median $(awk -v m="$median" 'BEGIN{printf "%.1f", m/10}') ms (runs: $runs ms) | peak RSS $((peak / 1024)) MiB |"
