#!/usr/bin/env bash
# Builds the Debian package: NativeAOT binary, systemd unit, example config as conffiles.
#   bash packaging/build-deb.sh [OUTDIR]      prints the path of the .deb
set -euo pipefail
shopt -s nullglob

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/src/TeeLauncher/TeeLauncher.csproj")
arch=amd64
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

dotnet publish "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -r linux-x64 -o "$stage/publish" -v quiet -nologo >&2

pkg="$stage/tee-launcher_${version}_${arch}"
install -D -m 0755 "$stage/publish/tee-launcher" "$pkg/usr/bin/tee-launcher"
install -D -m 0644 "$root/packaging/tee-launcher.service" "$pkg/lib/systemd/system/tee-launcher.service"
install -D -m 0644 "$root/packaging/etc/launcher.toml" "$pkg/etc/tee-launcher/launcher.toml"
install -D -m 0644 "$root/packaging/etc/compose.yml" "$pkg/etc/tee-launcher/compose.yml"
install -D -m 0644 "$root/README.md" "$pkg/usr/share/doc/tee-launcher/README.md"
for doc in "$root"/docs/*.md; do
  install -D -m 0644 "$doc" "$pkg/usr/share/doc/tee-launcher/$(basename "$doc")"
done

install -d "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: tee-launcher
Version: $version
Architecture: $arch
Maintainer: tee-launcher developers <dev@tee-launcher.local>
Section: admin
Priority: optional
Depends: docker.io | docker-ce, docker-compose | docker-compose-plugin
Recommends: tpm2-tools
Installed-Size: $(du -sk "$pkg" | cut -f1)
Description: measured launch of a docker compose workload in a confidential VM
 Chooses an approved image digest, pulls it by digest, extends RTMR3 or a TPM
 PCR with it and starts the compose stack pinned to it, as a systemd service.
 Auditors replay its event log with 'tee-launcher verify'.
CONTROL
printf '%s\n' /etc/tee-launcher/launcher.toml /etc/tee-launcher/compose.yml >"$pkg/DEBIAN/conffiles"

cat >"$pkg/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = "configure" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  # Enabled, not started: the operator edits /etc/tee-launcher/launcher.toml first.
  systemctl enable tee-launcher.service || true
fi
exit 0
SCRIPT
cat >"$pkg/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl stop tee-launcher.service || true
  if [ "$1" = "remove" ]; then systemctl disable tee-launcher.service || true; fi
fi
exit 0
SCRIPT
cat >"$pkg/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "$1" = "purge" ]; then rm -rf /etc/tee-launcher; fi
exit 0
SCRIPT
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

dpkg-deb --root-owner-group --build "$pkg" "$out/tee-launcher_${version}_${arch}.deb" >&2
echo "$out/tee-launcher_${version}_${arch}.deb"
