#!/usr/bin/env bash
# The Debian package, end to end on this machine:
#   build it (NativeAOT; or take TEE_TEST_DEB), install it with dpkg -i, check the installed binary, example config and
#   unit, boot the unit under a real systemd (boot-test.sh), check the dstack and NEAR MPC examples
#   with the packaged binary, reinstall over itself, remove it (conffiles kept), purge it.
#
#   bash tests/packaging/deb-test.sh        (root; the test environment must be up for boot-test.sh)
#
# Exits non-zero on the first failure. It refuses to touch a tee-launcher already installed here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
say() { echo "deb-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

unit=/lib/systemd/system/tee-launcher.service
wants=/etc/systemd/system/multi-user.target.wants/tee-launcher.service
launcher=/usr/bin/tee-launcher

dpkg -s tee-launcher >/dev/null 2>&1 && fail "tee-launcher is already installed on this machine; not touching it (dpkg -P tee-launcher)"
[[ -e /etc/tee-launcher ]] && fail "/etc/tee-launcher exists without the package; not touching it"

out=$(mktemp -d)
installed=""
cleanup() {
  local rc=$?
  if [[ -n "$installed" ]]; then dpkg -P tee-launcher >/dev/null 2>&1 || true; fi
  rm -rf "$out"
  exit "$rc"
}
trap cleanup EXIT

# TEE_TEST_DEB: a package that tests/run-tests.sh built already from this checkout.
deb=${TEE_TEST_DEB:-$(bash "$root/packaging/build-deb.sh" "$out")} || fail "packaging/build-deb.sh"
[[ -f "$deb" ]] || fail "build-deb.sh printed '$deb', which is not a file"
say "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# The package itself: names, ownership, conffiles, dependencies.
[[ "$(dpkg-deb -f "$deb" Package)" == tee-launcher ]] || fail "package name"
version=$(sed -n 's:.*<Version>\([^<]*\)</Version>.*:\1:p' "$root/src/TeeLauncher/TeeLauncher.csproj" | head -n 1)
[[ "$(dpkg-deb -f "$deb" Version)" == "$version" ]] || fail "package version is not the csproj's $version"
dpkg-deb -f "$deb" Depends | grep -q 'docker-compose' || fail "no compose in Depends"
contents=$(dpkg-deb -c "$deb")
if awk '{print $2}' <<<"$contents" | grep -vqx 'root/root'; then fail "files not owned by root/root: $(awk '$2 != "root/root"' <<<"$contents")"; fi
for path in ./usr/bin/tee-launcher .$unit ./etc/tee-launcher/launcher.toml ./etc/tee-launcher/compose.yml; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | sort | diff - <(printf '%s\n' /etc/tee-launcher/compose.yml /etc/tee-launcher/launcher.toml) >/dev/null ||
  fail "conffiles are not exactly launcher.toml and compose.yml"

# Install. The package depends on docker.io and docker-compose, which the test environment installs.
installed=yes
dpkg -i "$deb" >/dev/null || fail "dpkg -i"
[[ -x $launcher ]] || fail "$launcher missing"
[[ "$(head -c 4 $launcher | od -An -c | tr -d ' ')" == '177ELF' ]] || fail "$launcher is not an ELF executable"
[[ -L $wants ]] || fail "the unit is not enabled ($wants): postinst must enable it even without a running systemd"
"$launcher" --version | grep -Eq "^tee-launcher ${version//./\\.} [0-9a-f]{40}$" || fail "--version prints '$("$launcher" --version)', not the version and commit"

# The shipped example validates and plans on a fresh install, with the NativeAOT binary.
"$launcher" validate --config /etc/tee-launcher/launcher.toml >/dev/null || fail "the shipped example does not validate"
TEE_LAUNCHER_CONFIG=/etc/tee-launcher/launcher.toml "$launcher" validate >/dev/null || fail "validate with TEE_LAUNCHER_CONFIG"
plan=$("$launcher" plan --config /etc/tee-launcher/launcher.toml --json) || fail "plan of the shipped example"
grep -q '"rule": "default"' <<<"$plan" || fail "plan does not report the default rule: $plan"

# The installed unit.
verify_out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify_out"
[[ -z "$verify_out" ]] || fail "systemd-analyze verify is not clean: $verify_out"
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for tee-launcher.service: \([0-9.]*\).*/\1/p')
[[ -n "$score" ]] || fail "systemd-analyze security printed no exposure level"
awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || fail "security exposure $score is above 4.0"
say "installed and enabled; the example validates; the unit verifies; exposure $score"

# The unit under a real systemd.
bash "$root/tests/packaging/boot-test.sh" || fail "boot-test.sh"

# The dstack and NEAR MPC examples: valid for the packaged binary, and their generated dstack
# app files carry launcher.toml and compose.yml byte for byte.
for example in dstack near-mpc; do
  "$launcher" validate --config "$root/config/$example/launcher.toml" >/dev/null || fail "config/$example/launcher.toml does not validate"
  "$launcher" plan --config "$root/config/$example/launcher.toml" >/dev/null || fail "plan of config/$example/launcher.toml"
  python3 "$root/config/dstack/make-app-compose.py" --check "$root/config/$example" || fail "config/$example: generated dstack app files out of date"
done
grep -q '^event_name = "mpc-image-digest"' "$root/config/near-mpc/launcher.toml" || fail "the NEAR MPC example does not use mpc-image-digest"
say "the dstack and NEAR MPC examples validate and their app files are up to date"

# An operator's edit survives a reinstall (conffile) and the removal; purge removes everything.
echo "# edited by the operator" >>/etc/tee-launcher/launcher.toml
dpkg -i "$deb" >/dev/null || fail "dpkg -i over the installed package"
grep -q "edited by the operator" /etc/tee-launcher/launcher.toml || fail "reinstall replaced the edited conffile"
[[ -L $wants ]] || fail "reinstall disabled the unit"

dpkg -r tee-launcher >/dev/null || fail "dpkg -r"
[[ ! -e $launcher ]] || fail "binary left after dpkg -r"
[[ ! -e $unit ]] || fail "unit left after dpkg -r"
grep -q "edited by the operator" /etc/tee-launcher/launcher.toml || fail "conffile not kept after dpkg -r"
[[ -f /etc/tee-launcher/compose.yml ]] || fail "compose.yml not kept after dpkg -r"
[[ "$(dpkg-query -W -f '${db:Status-Abbrev}' tee-launcher 2>/dev/null)" == "rc " ]] || fail "package state after dpkg -r is not rc"
say "removed: binary and unit gone, conffiles kept"

dpkg -P tee-launcher >/dev/null || fail "dpkg -P"
installed=""
[[ ! -e /etc/tee-launcher ]] || fail "/etc/tee-launcher left after purge"
leftovers=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name 'tee-launcher.service*' 2>/dev/null || true)
[[ -z "$leftovers" ]] || fail "left after purge: $leftovers"
dpkg -s tee-launcher >/dev/null 2>&1 && fail "dpkg still knows tee-launcher after purge"
say "purged cleanly"
say "passed"
