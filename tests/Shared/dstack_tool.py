#!/usr/bin/env python3
"""An independent implementation of dstack's runtime events for the tests, written from dstack's source
(project Dstack-TEE/dstack: dstack/cc-eventlog/src/runtime_events.rs for the digests and the log line,
dstack/dstack-attest/src/lib.rs for emit_runtime_event's lock, version file and order of steps).

  dstack_tool.py replay FILE            print RTMR3 replayed from FILE: dstack's runtime_events.log, the launcher's
                                        log (JSON lines), a JSON array of entries, tcb_info or a GetQuote response
  dstack_tool.py digest NAME HEX V      print the version-V digest of an event
  dstack_tool.py emit DIR RTMR NAME HEX emit an event as a dstack service does; with --hold FILE, signal
                                        FILE.held once the lock is taken and wait until FILE is removed
"""
import base64
import fcntl
import hashlib
import json
import os
import struct
import sys
import time

EVENT_TYPE = 0x08000001


def preimage(name, payload, version):
    if version == 1:
        return struct.pack("<I", EVENT_TYPE) + b":" + name.encode() + b":" + payload
    canonical = {"name": name, "payload": payload.hex(), "type": EVENT_TYPE}
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(name, payload, version):
    return hashlib.sha384(preimage(name, payload, version)).digest()


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


def emit(directory, rtmr, name, payload, hold):
    with open(os.path.join(directory, "runtime_event.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if hold:
            open(hold + ".held", "w").close()
            while os.path.exists(hold):
                time.sleep(0.02)
        version = int(open(os.path.join(directory, "runtime_event_version")).read().strip())
        fd = os.open(rtmr, os.O_WRONLY)
        try:
            if os.pwrite(fd, digest(name, payload, version), 0) != 48:
                sys.exit("short write")
        finally:
            os.close(fd)
        line = {"event": name, "payload": base64.b64encode(payload).decode()}
        if version != 1:
            line["version"] = version
        log = os.open(os.path.join(directory, "runtime_events.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(log, (json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n").encode())
        finally:
            os.close(log)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "replay":
        print(replay(sys.argv[2]).hex())
    elif command == "digest":
        print(digest(sys.argv[2], bytes.fromhex(sys.argv[3]), int(sys.argv[4])).hex())
    elif command == "emit":
        hold = sys.argv[sys.argv.index("--hold") + 1] if "--hold" in sys.argv else None
        emit(sys.argv[2], sys.argv[3], sys.argv[4], bytes.fromhex(sys.argv[5]), hold)
    else:
        sys.exit(__doc__)
