#!/usr/bin/env bash
# verify of a generated launcher event log of 100,000 events (goal: under one second).
# TEE_LAUNCHER names the binary to time (default: a NativeAOT publish into /tmp/tee-launcher-bench/aot).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
events=${1:-100000}
launcher=${TEE_LAUNCHER:-}
if [[ -z "$launcher" ]]; then
  dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o /tmp/tee-launcher-bench/aot -v quiet -nologo >&2
  launcher=/tmp/tee-launcher-bench/aot/tee-launcher
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The log and the RTMR3 it should give, computed independently with Python's hashlib.
rtmr3=$(python3 - "$work/events.jsonl" "$events" <<'PY'
import hashlib, json, struct, sys
path, count = sys.argv[1], int(sys.argv[2])
register = bytes(48)
with open(path, "w") as log:
    for i in range(count):
        name = "image-digest" if i == count - 1 else f"app-event-{i % 97}"
        payload = hashlib.sha256(str(i).encode()).digest()
        digest = hashlib.sha384(struct.pack("<I", 0x08000001) + b":" + name.encode() + b":" + payload).digest()
        register = hashlib.sha384(register + digest).digest()
        log.write(json.dumps({"imr": 3, "event_type": 134217729, "digest": digest.hex(), "event": name, "event_payload": payload.hex()}) + "\n")
print(register.hex())
PY
)
size=$(du -h "$work/events.jsonl" | cut -f1)
times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$launcher" verify --event-log "$work/events.jsonl" --rtmr3 "$rtmr3" --json >/dev/null
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
peak=$( { /usr/bin/time -f "%M" "$launcher" verify --event-log "$work/events.jsonl" --rtmr3 "$rtmr3" --json >/dev/null; } 2>&1 | tail -1)
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "| verify of $events events ($size log) | median $median ms (runs: $sorted ms) | peak RSS $((peak / 1024)) MiB |"
