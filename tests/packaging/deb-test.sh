#!/usr/bin/env bash
# Builds the .deb, installs it, checks the installed launcher and unit, removes and purges it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "deb-test: FAILED: $*" >&2; exit 1; }

dpkg -s tee-launcher >/dev/null 2>&1 && fail "tee-launcher is already installed on this machine; not touching it"
deb=$(bash "$root/packaging/build-deb.sh" "${TMPDIR:-/tmp}/tee-launcher-deb")
echo "deb-test: built $deb ($(du -h "$deb" | cut -f1))"
# The package depends on docker; the test machine has docker.io and docker-compose from the test environment.
dpkg -i "$deb" >/dev/null || fail "dpkg -i"
trap 'dpkg -P tee-launcher >/dev/null 2>&1 || true' EXIT

[[ -x /usr/bin/tee-launcher ]] || fail "/usr/bin/tee-launcher missing"
/usr/bin/tee-launcher --version | grep -Eq '^tee-launcher [0-9]+\.[0-9]+\.[0-9]+ [0-9a-f]{40}$' || fail "--version prints no version and commit"
/usr/bin/tee-launcher validate --config /etc/tee-launcher/launcher.toml || fail "the shipped example does not validate"
plan=$(/usr/bin/tee-launcher plan --config /etc/tee-launcher/launcher.toml --json) || fail "plan of the shipped example"
grep -q '"rule": "default"' <<<"$plan" || fail "plan does not report the default rule: $plan"
verify_out=$(systemd-analyze verify /lib/systemd/system/tee-launcher.service 2>&1) || fail "systemd-analyze verify: $verify_out"
[[ -z "$verify_out" ]] || fail "systemd-analyze verify is not clean: $verify_out"
score=$(systemd-analyze security --offline=true /lib/systemd/system/tee-launcher.service 2>/dev/null | sed -n 's/.*Overall exposure level for tee-launcher.service: \([0-9.]*\).*/\1/p')
awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || fail "security exposure $score is above 4.0"
echo "deb-test: installed; validate passes; unit verifies; exposure $score"

echo "# edited by the operator" >> /etc/tee-launcher/launcher.toml
dpkg -r tee-launcher >/dev/null || fail "dpkg -r"
[[ ! -e /usr/bin/tee-launcher ]] || fail "binary left after dpkg -r"
[[ ! -e /lib/systemd/system/tee-launcher.service ]] || fail "unit left after dpkg -r"
grep -q "edited by the operator" /etc/tee-launcher/launcher.toml || fail "conffile not kept after dpkg -r"
dpkg -P tee-launcher >/dev/null || fail "dpkg -P"
[[ ! -e /etc/tee-launcher ]] || fail "/etc/tee-launcher left after purge"
echo "deb-test: removed (conffiles kept) and purged cleanly"
