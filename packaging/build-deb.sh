#!/usr/bin/env bash
# Builds the Debian package of tee-launcher: the NativeAOT binary, the systemd unit, and the example
# config under /etc/tee-launcher as conffiles.
#
#   bash packaging/build-deb.sh [OUTDIR]     (default OUTDIR: artifacts/) prints the path of the .deb
#
# Needs the .NET SDK (with the NativeAOT prerequisites: clang, zlib1g-dev) and dpkg-deb. Reproducible
# for a given commit: file times come from SOURCE_DATE_EPOCH, by default the commit's time.
set -euo pipefail
shopt -s nullglob

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/artifacts}
mkdir -p "$out"
out=$(cd "$out" && pwd)
csproj="$root/src/TeeLauncher/TeeLauncher.csproj"
version=$(sed -n 's:.*<Version>\([^<]*\)</Version>.*:\1:p' "$csproj" | head -n 1)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([~+.-][0-9A-Za-z.~+-]*)?$ ]] || { echo "build-deb: no usable <Version> in $csproj: '$version'" >&2; exit 1; }
arch=amd64
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The same bytes from any clone: ContinuousIntegrationBuild maps the source root to /_/ in the
# assembly and its debug info (no build path in the binary), and the commit (InformationalVersion)
# comes from git, not from the machine.
# The SDK is the one global.json pins, and every package the one its packages.lock.json records.
dotnet restore "$csproj" -r linux-x64 --locked-mode -v quiet -nologo -p:ContinuousIntegrationBuild=true >&2
dotnet publish "$csproj" -c Release -r linux-x64 -o "$stage/publish" -v quiet -nologo --no-restore \
  -p:ContinuousIntegrationBuild=true >&2
binary="$stage/publish/tee-launcher"
[[ -x "$binary" ]] || { echo "build-deb: dotnet publish produced no $binary" >&2; exit 1; }
# A NativeAOT publish is one self-contained executable; managed assemblies next to it would mean
# that PublishAot was lost and the package would need a .NET runtime it does not depend on.
managed=("$stage"/publish/*.dll)
((${#managed[@]} == 0)) || { echo "build-deb: not a NativeAOT publish (found ${managed[*]##*/})" >&2; exit 1; }

pkg="$stage/tee-launcher_${version}_${arch}"
install -D -m 0755 "$binary" "$pkg/usr/bin/tee-launcher"
install -D -m 0644 "$root/packaging/tee-launcher.service" "$pkg/lib/systemd/system/tee-launcher.service"
install -D -m 0644 "$root/packaging/etc/launcher.toml" "$pkg/etc/tee-launcher/launcher.toml"
install -D -m 0644 "$root/packaging/etc/compose.yml" "$pkg/etc/tee-launcher/compose.yml"
install -D -m 0644 "$root/README.md" "$pkg/usr/share/doc/tee-launcher/README.md"
for doc in "$root"/docs/operators.md "$root"/docs/auditors.md; do
  install -D -m 0644 "$doc" "$pkg/usr/share/doc/tee-launcher/$(basename "$doc")"
done
for example in dstack near-mpc; do
  for file in "$root/config/$example"/*; do
    [[ -f "$file" ]] || continue
    install -D -m 0644 "$file" "$pkg/usr/share/doc/tee-launcher/examples/$example/$(basename "$file")"
  done
done

install -d -m 0755 "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: tee-launcher
Version: $version
Architecture: $arch
Maintainer: tee-launcher developers <dev@tee-launcher.local>
Section: admin
Priority: optional
Depends: libc6 (>= 2.34), libssl3t64 | libssl3, docker-cli | docker.io | docker-ce-cli, docker-compose | docker-compose-plugin
Recommends: docker.io | docker-ce, tpm2-tools, docker-registry
Installed-Size: $(du -sk --apparent-size "$pkg" | cut -f1)
Description: measured launch of a docker compose workload in a confidential VM
 At every boot, tee-launcher chooses an approved image digest, pulls the image
 by that digest, extends RTMR3 (Intel TDX, through dstack or sysfs) or a TPM PCR
 with it, and starts the compose stack pinned to it, as a systemd service.
 .
 Operators check a configuration with 'tee-launcher validate' and 'plan';
 auditors predict and replay the measurements with 'measure' and 'verify'.
CONTROL
printf '%s\n' /etc/tee-launcher/launcher.toml /etc/tee-launcher/compose.yml >"$pkg/DEBIAN/conffiles"

# Maintainer scripts in the manner of dh_installsystemd, with "no start" and "no restart after
# upgrade": deb-systemd-helper (init-system-helpers, essential) enables the unit even where systemd
# is not running, such as a VM image built in a chroot, so the launcher starts at the image's first
# boot. Nothing is started at install (the operator edits the config first), and an upgrade does not
# restart a running launcher, which would stop the workload: the new binary runs from the next boot.
cat >"$pkg/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
case "$1" in
  configure|abort-upgrade|abort-deconfigure|abort-remove)
    deb-systemd-helper unmask tee-launcher.service >/dev/null || true
    if deb-systemd-helper --quiet was-enabled tee-launcher.service; then
      deb-systemd-helper enable tee-launcher.service >/dev/null || true
    else
      deb-systemd-helper update-state tee-launcher.service >/dev/null || true
    fi
    if [ -d /run/systemd/system ]; then
      systemctl --system daemon-reload >/dev/null || true
    fi
    ;;
esac
exit 0
SCRIPT
cat >"$pkg/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
# Stopping the launcher stops the workload: only on removal, never on upgrade.
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop tee-launcher.service >/dev/null || true
fi
exit 0
SCRIPT
cat >"$pkg/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
case "$1" in
  remove)
    deb-systemd-helper mask tee-launcher.service >/dev/null || true
    ;;
  purge)
    deb-systemd-helper purge tee-launcher.service >/dev/null || true
    deb-systemd-helper unmask tee-launcher.service >/dev/null || true
    # The conffiles are dpkg's to remove; what the operator added (registry.key from keygen,
    # password files) goes too, as purge promises. /run/tee-launcher, this boot's record of what
    # was measured, stays until the reboot on purpose.
    rm -rf /etc/tee-launcher
    ;;
esac
exit 0
SCRIPT
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

find "$pkg" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
deb="$out/tee-launcher_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
