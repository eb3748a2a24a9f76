#!/usr/bin/env bash
# verify throughput and peak memory (NativeAOT), for two logs:
#   - 16 MiB of minimal events ({"event":""} lines, the most events the input limit admits; goal: under 2 s
#     and under 64 MiB peak RSS), and
#   - NEAR's real tcb_info (tests/fixtures/near-mpc), and a launcher log of EVENTS full entries (default 60,000,
#     about 15 MiB: the most the 16 MiB input limit admits),
# each against an independent hashlib replay, text and --json output.
#   bash tests/benchmarks/verify-bench.sh [EVENTS]     (VERIFY_BENCH_RUNS: timed runs per row, default 5)
# Wall time on a loaded machine says little: the CPU column (user + system of one more run) is the figure to compare.
# TEE_LAUNCHER names the binary to time (default: a NativeAOT publish into /tmp/tee-launcher-bench/aot).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
events=${1:-60000}
runs=${VERIFY_BENCH_RUNS:-5}
launcher=${TEE_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o /tmp/tee-launcher-bench/aot -v quiet -nologo >&2
  launcher=/tmp/tee-launcher-bench/aot/tee-launcher
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Writes the log and prints "<events> <RTMR3 of its replay>", computed with Python's hashlib.
generate() {
  python3 - "$@" <<'PY'
import hashlib, json, struct, sys
kind, path = sys.argv[1], sys.argv[2]
register, count = bytes(48), 0
def digest_of(name, payload):
    return hashlib.sha384(struct.pack("<I", 0x08000001) + b":" + name.encode() + b":" + payload).digest()
def extend(name, payload):
    global register
    digest = digest_of(name, payload)
    register = hashlib.sha384(register + digest).digest()
    return digest
with open(path, "w") as log:
    if kind == "minimal":
        # The largest count under 16 MiB, the last event the image event.
        line = '{"event":""}\n'
        image = '{"event":"image-digest","event_payload":"' + "ab" * 32 + '"}\n'
        count = (16 * 1024 * 1024 - len(image)) // len(line)
        log.write(line * count + image)
        digest = digest_of("", b"")
        for _ in range(count):
            register = hashlib.sha384(register + digest).digest()
        extend("image-digest", bytes([0xab] * 32))
        count += 1
    else:
        count = int(sys.argv[3])
        for i in range(count):
            name = "image-digest" if i == count - 1 else f"app-event-{i % 97}"
            payload = hashlib.sha256(str(i).encode()).digest()
            digest = extend(name, payload)
            log.write(json.dumps({"imr": 3, "event_type": 134217729, "digest": digest.hex(), "event": name, "event_payload": payload.hex()}) + "\n")
print(count, register.hex())
PY
}

measure() { # LABEL LOG COUNT RTMR3 [--json] (EVENT_NAME: the image event's name, default image-digest)
  local label=$1 log=$2 count=$3 rtmr3=$4 json=${5:-} times=() start peak cpu median sorted
  local name=(--event-name "${EVENT_NAME:-image-digest}")
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$launcher" verify --event-log "$log" --rtmr3 "$rtmr3" "${name[@]}" $json >/dev/null
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  read -r peak cpu < <( { /usr/bin/time -f "%M %U %S" "$launcher" verify --event-log "$log" --rtmr3 "$rtmr3" "${name[@]}" $json >/dev/null; } 2>&1 | tail -1 | awk '{print $1, $2 + $3}')
  sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  echo "| $label, $count events ($(du -h "$log" | cut -f1)), ${json:-text} | median $median ms (runs: $sorted ms) | $((count * 1000 / (median > 0 ? median : 1))) events/s | CPU ${cpu} s | peak RSS $((peak / 1024)) MiB |"
}

echo "| log, output | time | throughput | CPU | memory |"
echo "|---|---|---|---|---|"
read -r count rtmr3 < <(generate minimal "$work/minimal.jsonl")
measure "16 MiB of minimal events" "$work/minimal.jsonl" "$count" "$rtmr3"
measure "16 MiB of minimal events" "$work/minimal.jsonl" "$count" "$rtmr3" --json
near=$root/tests/fixtures/near-mpc/tcb_info.json
near_rtmr3=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rtmr3"])' "$near")
near_count=$(python3 -c 'import json, sys; print(sum(1 for e in json.load(open(sys.argv[1]))["event_log"] if e["imr"] == 3))' "$near")
EVENT_NAME=mpc-image-digest measure "NEAR's tcb_info" "$near" "$near_count" "$near_rtmr3"
read -r count rtmr3 < <(generate full "$work/events.jsonl" "$events")
measure "launcher log" "$work/events.jsonl" "$count" "$rtmr3"
measure "launcher log" "$work/events.jsonl" "$count" "$rtmr3" --json
