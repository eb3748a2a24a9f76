#!/usr/bin/env python3
"""An independent implementation of dstack's runtime events for the tests, written from dstack's source
(project Dstack-TEE/dstack at commit c9191c9324a7a24ddcf9d7eea4d283b3ff842b78: dstack/cc-eventlog/src/runtime_events.rs
for the digests and the log line, dstack/dstack-attest/src/lib.rs for emit_runtime_event's lock, version file, order of
steps and GCP's PCR 14; at v0.5.11, commit 40eaf35e6b3f112998d01569f2a26110baab123b, dstack-attest/src/lib.rs for the
emit_runtime_event behind the guest agent's EmitEvent: log line first, then RTMR3, version 1, no lock).

  dstack_tool.py replay FILE            print RTMR3 replayed from FILE: dstack's runtime_events.log, the launcher's
                                        log (JSON lines), a JSON array of entries, tcb_info or a GetQuote response
  dstack_tool.py digest NAME HEX V [sha256]
                                        print the version-V digest of an event (SHA-384, or SHA-256 as for GCP's PCR 14)
  dstack_tool.py emit DIR RTMR NAME HEX emit an event as a dstack service does; with --hold FILE, signal
                                        FILE.held once the lock is taken and wait until FILE is removed; with --tpm TCTI
                                        also extend PCR 14 (sha256) as on GCP
  dstack_tool.py emit-0.5.11 DIR RTMR NAME HEX
                                        emit an event as the v0.5.11 guest agent's EmitEvent does
"""
import base64
import fcntl
import hashlib
import json
import os
import struct
import subprocess
import sys
import time

EVENT_TYPE = 0x08000001


def preimage(name, payload, version):
    if version == 1:
        return struct.pack("<I", EVENT_TYPE) + b":" + name.encode() + b":" + payload
    canonical = {"name": name, "payload": payload.hex(), "type": EVENT_TYPE}
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(name, payload, version, algorithm="sha384"):
    return hashlib.new(algorithm, preimage(name, payload, version)).digest()


def extend_rtmr3(rtmr, measurement):
    fd = os.open(rtmr, os.O_WRONLY)
    try:
        if os.pwrite(fd, measurement, 0) != 48:
            sys.exit("short write")
    finally:
        os.close(fd)


def append_line(directory, name, payload, version):
    line = {"event": name, "payload": base64.b64encode(payload).decode()}
    if version != 1:
        line["version"] = version
    log = os.open(os.path.join(directory, "runtime_events.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(log, (json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n").encode())
    finally:
        os.close(log)


def entries(path):
    text = open(path, encoding="utf-8").read()
    stripped = text.strip()
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and "event_log" in document:
        log = document["event_log"]
        return json.loads(log) if isinstance(log, str) else log
    if isinstance(document, list):
        return document
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def replay(path):
    register = bytes(48)
    for entry in entries(path):
        if entry.get("imr", 3) != 3:
            continue
        version = entry.get("version", 1)
        if entry.get("event_type", EVENT_TYPE) == EVENT_TYPE:
            if "payload" in entry:
                payload = base64.b64decode(entry["payload"], validate=True)
            else:
                payload = bytes.fromhex(entry.get("event_payload", ""))
            measurement = digest(entry["event"], payload, version)
        else:
            measurement = bytes.fromhex(entry["digest"])
        register = hashlib.sha384(register + measurement).digest()
    return register


def emit(directory, rtmr, name, payload, hold, tcti):
    with open(os.path.join(directory, "runtime_event.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if hold:
            open(hold + ".held", "w").close()
            while os.path.exists(hold):
                time.sleep(0.02)
        version = {"1": 1, "2": 2}[open(os.path.join(directory, "runtime_event_version"), encoding="utf-8").read().strip()]
        extend_rtmr3(rtmr, digest(name, payload, version))
        if tcti:
            subprocess.run(["tpm2_pcrextend", "14:sha256=" + digest(name, payload, version, "sha256").hex()],
                           env={**os.environ, "TPM2TOOLS_TCTI": tcti}, check=True, capture_output=True)
        append_line(directory, name, payload, version)


def emit_v0_5_11(directory, rtmr, name, payload):
    append_line(directory, name, payload, 1)
    extend_rtmr3(rtmr, digest(name, payload, 1))


def option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "replay":
        print(replay(sys.argv[2]).hex())
    elif command == "digest":
        algorithm = sys.argv[5] if len(sys.argv) > 5 else "sha384"
        print(digest(sys.argv[2], bytes.fromhex(sys.argv[3]), int(sys.argv[4]), algorithm).hex())
    elif command == "emit":
        emit(sys.argv[2], sys.argv[3], sys.argv[4], bytes.fromhex(sys.argv[5]), option("--hold"), option("--tpm"))
    elif command == "emit-0.5.11":
        emit_v0_5_11(sys.argv[2], sys.argv[3], sys.argv[4], bytes.fromhex(sys.argv[5]))
    else:
        sys.exit(__doc__)
