#!/usr/bin/env bash
# Runs the installed tee-launcher.service under a real systemd: boots a throwaway container
# (systemd-nspawn, volatile root, the host's /usr and /etc read-only) whose systemd starts the unit
# at boot as a VM would, against the test environment's dockerd and registry.
#
#   bash tests/packaging/boot-test.sh       (the package must be installed; deb-test.sh calls this)
#   BOOT_TEST_JOURNAL=1 bash ...            also prints the unit's journal
#
# It checks what `systemd-analyze` cannot: that the sandbox of the shipped unit still lets the
# launcher work (ProtectSystem=strict, ProtectKernelTunables, MemoryDenyWriteExecute, the system
# call filter, one capability, loopback-only IP), Type=notify readiness, RestartPreventExitStatus,
# the journal priorities, a clean stop, and that the state directory outlives a stop so a second
# start in the same boot measures nothing again.
#
# The RTMR3 attribute exists only in a TDX guest. The test mounts a stand-in with the kernel's
# semantics (tests/Shared/rtmr_fuse.py, a FUSE file system: a read returns the register, a 48-byte
# write at offset 0 extends it) under /sys/kernel/mm (inside the container only) and points
# tdx_rtmr_path at it, with the drop-in
# ReadWritePaths= an operator would add for a different path: first without it (the launcher must
# fail with exit 7 because ProtectKernelTunables made /sys read-only, and systemd must not restart
# it), then with it.
#
# Limits of this environment, not of the unit: the container's devices cgroup is read-only, so
# DevicePolicy= is not enforced here, and there is no TPM device to open.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
say() { echo "boot-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

[[ -x /usr/bin/tee-launcher && -f /lib/systemd/system/tee-launcher.service ]] ||
  fail "tee-launcher is not installed (run tests/packaging/deb-test.sh)"
if ! command -v systemd-nspawn >/dev/null; then
  say "installing systemd-container (systemd-nspawn)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd-container >/dev/null
fi
bash "$root/tests/env/testenv.sh" status >/dev/null || fail "the test environment is not up (tests/env/testenv.sh up)"
eval "$(bash "$root/tests/env/testenv.sh" env)"
docker_socket=${DOCKER_HOST#unix://}

work=$(mktemp -d /tmp/tl-boot.XXXXXX)
machine="tl-boot-$$"
project="tlboot$$"
nspawn_pid=""
leader=""
fuse_pid=""

cleanup() {
  local rc=$?
  if [[ -n "$leader" ]] && kill -0 "$leader" 2>/dev/null; then
    inside systemctl stop tee-launcher.service >/dev/null 2>&1 || true
    if (( rc != 0 )); then
      say "journal of the unit:"
      inside journalctl -u tee-launcher.service --no-pager -o short-precise 2>/dev/null | tail -n 60 >&2 || true
    fi
  fi
  if [[ -n "$nspawn_pid" ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  local left=()
  mapfile -t left < <(docker ps -aq --filter "label=com.docker.compose.project=$project")
  ((${#left[@]} == 0)) || docker rm -f "${left[@]}" >/dev/null 2>&1 || true
  fusermount3 -u -z "$work/rtmr" 2>/dev/null || true
  [[ -z "$fuse_pid" ]] || kill "$fuse_pid" 2>/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

inside() { nsenter --target "$leader" --mount --uts --ipc --net --pid -- "$@"; }
unit_prop() { inside systemctl show -P "$1" tee-launcher.service; }

# A new image in the local registry; its digest is the launcher's default_digest.
image="$TEE_TEST_REGISTRY/tl-boot-test/app"
docker tag "$TEE_TEST_BASE_IMAGE" "$image:latest"
docker push --quiet "$image:latest" >/dev/null
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image:latest" | grep -m1 "^$image@" | cut -d@ -f2)
docker image rm "$image:latest" >/dev/null
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no digest for $image"

rtmr_dir=/sys/kernel/mm
mkdir -p "$work/etc-tl" "$work/rtmr" "$work/etc-systemd/multi-user.target.wants" "$work/etc-systemd/tee-launcher.service.d"
mkdir -p "$work/rtmr-control"
/usr/bin/python3 "$root/tests/Shared/rtmr_fuse.py" "$work/rtmr" "$work/rtmr-control" 2>"$work/rtmr.log" &
fuse_pid=$!
for _ in $(seq 1 100); do [[ -e "$work/rtmr/rtmr3:sha384" ]] && break; sleep 0.1; done
[[ -e "$work/rtmr/rtmr3:sha384" ]] || fail "the RTMR stand-in did not mount: $(cat "$work/rtmr.log")"
register() { od -An -tx1 -v "$work/rtmr/rtmr3:sha384" | tr -d ' \n'; }
cat >"$work/etc-tl/launcher.toml" <<EOF
[launcher]
platform = "tee"

[image]
reference = "$image"
default_digest = "$digest"

[pull]
attempts = 2
backoff_initial = "1s"
deadline = "3m"

[measurement]
backend = "tdx-sysfs"
tdx_rtmr_path = "$rtmr_dir/rtmr3:sha384"

[compose]
file = "compose.yml"
project = "$project"
stop_timeout = "10s"
EOF
cat >"$work/etc-tl/compose.yml" <<'EOF'
version: "2.4"
services:
  app:
    image: ${TEE_LAUNCHER_IMAGE}
    network_mode: none
    command: ["sleep", "3600"]
EOF
# /etc/systemd/system of the container: docker's own units masked (the host's test dockerd serves
# /run/docker.sock), and the unit enabled as the package's postinst enables it.
for unit in docker.service docker.socket containerd.service; do ln -s /dev/null "$work/etc-systemd/$unit"; done
ln -s /lib/systemd/system/tee-launcher.service "$work/etc-systemd/multi-user.target.wants/tee-launcher.service"

say "booting a container with systemd; the unit starts at boot"
systemd-nspawn --directory=/ --volatile=yes --machine="$machine" --boot --register=no --keep-unit \
  --link-journal=no --console=pipe \
  --bind-ro=/etc \
  --bind="$work/etc-systemd:/etc/systemd/system" \
  --bind-ro="$work/etc-tl:/etc/tee-launcher" \
  --bind="$docker_socket:/run/docker.sock" \
  --bind="$work/rtmr:$rtmr_dir" \
  </dev/null >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 150); do
  leader=$(pgrep -P "$nspawn_pid" -x systemd || true)
  [[ -n "$leader" ]] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$work/nspawn.log" >&2; fail "systemd-nspawn exited"; }
  sleep 0.2
done
[[ -n "$leader" ]] || fail "systemd did not come up in the container"

# 1. Without a writable path under /sys the launcher stops at the backend check with exit 7,
#    before any pull, and RestartPreventExitStatus keeps systemd from restarting it.
for _ in $(seq 1 150); do
  [[ "$(unit_prop ActiveState)" == failed ]] && break
  sleep 0.2
done
[[ "$(unit_prop ActiveState)" == failed ]] || fail "without ReadWritePaths the unit is $(unit_prop ActiveState), not failed"
[[ "$(unit_prop ExecMainStatus)" == 7 ]] || fail "without ReadWritePaths the launcher exited $(unit_prop ExecMainStatus), not 7"
sleep 16   # RestartSec=15s: a restart would have happened by now
[[ "$(unit_prop NRestarts)" == 0 ]] || fail "systemd restarted after exit 7 ($(unit_prop NRestarts) restarts)"
inside journalctl -u tee-launcher.service --no-pager -o cat | grep -q "not writable" ||
  fail "the journal does not say the RTMR file is not writable"
say "read-only /sys: exit 7 at the backend check, not restarted"

# 2. With the drop-in an operator adds for a different tdx_rtmr_path, it starts and is ready.
printf '[Service]\nReadWritePaths=-%s\n' "$rtmr_dir" >"$work/etc-systemd/tee-launcher.service.d/rtmr-path.conf"
inside systemctl daemon-reload
inside systemctl reset-failed tee-launcher.service
timeout 300 nsenter --target "$leader" --mount --uts --ipc --net --pid -- systemctl start tee-launcher.service ||
  fail "systemctl start (Type=notify: returns when the launcher sent READY=1)"
[[ "$(unit_prop ActiveState)/$(unit_prop SubState)" == active/running ]] ||
  fail "the unit is $(unit_prop ActiveState)/$(unit_prop SubState) after start"
main=$(unit_prop MainPID)
status_text=$(unit_prop StatusText)
say "ready; STATUS=$status_text"
mapfile -t running < <(docker ps -q --filter "label=com.docker.compose.project=$project" --filter status=running)
((${#running[@]} == 1)) || fail "expected one running container of project $project, found ${#running[@]}"
docker inspect --format '{{.Config.Image}}' "${running[0]}" | grep -q "@$digest$" || fail "the workload does not run the image by digest"

# The sandbox as the kernel sees it.
proc_status=$(inside cat "/proc/$main/status")
grep -Eq '^CapBnd:\s+0000000000000002$' <<<"$proc_status" || fail "capability bounding set is not CAP_DAC_OVERRIDE alone: $(grep CapBnd <<<"$proc_status")"
grep -Eq '^NoNewPrivs:\s+1$' <<<"$proc_status" || fail "NoNewPrivs is not set"
grep -Eq '^Seccomp:\s+2$' <<<"$proc_status" || fail "no seccomp filter"
[[ "$(inside stat -c %a /run/tee-launcher)" == 700 ]] || fail "state directory is not mode 0700"

# The register stand-in holds the replay of the event log (the tests' independent replay).
events=$(inside cat /run/tee-launcher/events.jsonl)
[[ $(wc -l <<<"$events") == 2 ]] || fail "expected 2 events (image, compose), got: $events"
printf '%s\n' "$events" >"$work/events.jsonl"
[[ "$(register)" == "$(python3 "$root/tests/Shared/dstack_tool.py" replay "$work/events.jsonl")" ]] ||
  fail "RTMR3 $(register) is not the replay of the event log"
grep -q "\"event\":\"image-digest\",\"event_payload\":\"${digest#sha256:}\"" <<<"$events" || fail "no image event for $digest"
inside /usr/bin/tee-launcher status --config /etc/tee-launcher/launcher.toml >/dev/null || fail "tee-launcher status inside the container"

# journald parsed the <N> prefixes: no message starts with one, and the priorities vary.
journal=$(inside journalctl -u tee-launcher.service --no-pager -o export _PID="$main")
[[ -n "$journal" ]] || fail "nothing in the journal from the launcher"
if grep -Eq '^MESSAGE=<[0-7]>' <<<"$journal"; then fail "a journal message still starts with its <N> prefix"; fi
grep -q '^PRIORITY=6$' <<<"$journal" || fail "no info-level (PRIORITY=6) line in the journal"

# 3. A stop takes the stack down cleanly and keeps the state directory for the rest of the boot.
inside systemctl stop tee-launcher.service
[[ "$(unit_prop Result)" == success ]] || fail "stop: result $(unit_prop Result), exit $(unit_prop ExecMainStatus)"
[[ -z "$(docker ps -q --filter "label=com.docker.compose.project=$project")" ]] || fail "containers of $project still run after stop"
inside test -f /run/tee-launcher/events.jsonl || fail "the state directory did not survive the stop"
say "stopped cleanly; the state directory is kept"

# 4. Started again in the same boot with the same digest: ready again, nothing measured twice.
before=$(register)
timeout 300 nsenter --target "$leader" --mount --uts --ipc --net --pid -- systemctl start tee-launcher.service ||
  fail "second start in the same boot"
[[ "$(inside cat /run/tee-launcher/events.jsonl)" == "$events" ]] || fail "the second start changed the event log"
[[ "$(register)" == "$before" ]] || fail "the second start extended the register"
inside systemctl stop tee-launcher.service
say "second start in the same boot measured nothing again"
if [[ -n "${BOOT_TEST_JOURNAL:-}" ]]; then
  inside journalctl -u tee-launcher.service --no-pager -o short-precise >&2
fi
say "passed"
