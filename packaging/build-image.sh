#!/usr/bin/env bash
# Builds the launcher's container image, the one service of a dstack app (config/dstack), from this
# repository and Debian's packages only: no base image from any registry.
#
#   bash packaging/build-image.sh [--deb FILE] [--expect-packages FILE] [OUTDIR]   (default OUTDIR: artifacts/)
#
#   --deb FILE               use this tee-launcher .deb instead of building it with build-deb.sh
#   --expect-packages FILE   fail unless the Debian packages are exactly those of FILE (a .packages
#                            record of an earlier build): an auditor's rebuild checks its inputs first
#
# Writes to OUTDIR:
#   tee-launcher-image.oci.tar    the OCI image layout as one tar (an "OCI archive")
#   tee-launcher-image.digest     its manifest digest, sha256:<hex>: what an app-compose pins
#   tee-launcher-image.packages   what it was built from: commit, SOURCE_DATE_EPOCH, the SDK global.json
#                                 pins, the sha256 of each NuGet lock file, the mirror and the date of
#                                 each suite's Release file, every .deb with its sha256
#   tee-launcher_<version>_amd64.deb   the package it built (not with --deb)
# and prints the digest as its last line. With a docker daemon answering (DOCKER_HOST), it also loads
# the image as tee-launcher:<version>. A loaded image has no manifest digest: publish the archive
# with skopeo (docs/operators.md), so that the registry serves these very bytes.
#
# The root file system: mmdebstrap's extract variant unpacks the packages without running any
# maintainer script, so no shell, dpkg or apt is needed in the image, nor left in it. The .deb's
# dependencies resolve against Debian 13 (trixie), whose docker-cli comes with the compose
# plugin (`docker compose`, as on dstack). Packages that dependency resolution pulls in but nothing
# in the image runs (debconf, the openssl command) are unpacked, recorded and removed again.
#
# Reproducible for a given commit and mirror state: every file time is SOURCE_DATE_EPOCH (the commit's
# time), owners are 0:0, entries are sorted, gzip writes no name or time, and the JSON documents are
# written canonically. The mirror is the one this machine's apt uses (DEBIAN_MIRROR and
# DEBIAN_SECURITY_MIRROR override it, e.g. with Debian's snapshot archive at the recorded date).
set -euo pipefail
shopt -s nullglob

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
deb=""
expect=""
out=""
while (($#)); do
  case $1 in
    --deb) deb=$(realpath "${2:?--deb needs a file}"); shift 2 ;;
    --expect-packages) expect=$(realpath "${2:?--expect-packages needs a file}"); shift 2 ;;
    -*) die "unknown option $1" ;;
    *) out=$1; shift ;;
  esac
done
out=${out:-$root/artifacts}
mkdir -p "$out"
out=$(cd "$out" && pwd)

suite=trixie
arch=amd64
# The image's packages: what runs (the launcher, docker, compose) and what they load at run time,
# with libgcc_s, which glibc loads to unwind a cancelled thread (gcc-14-base holds its copyright).
# No docker-registry: image.archives is for hosts that install the package (docs/operators.md, "Offline images").
keep=(tee-launcher docker-cli docker-compose ca-certificates libc6 libssl3t64 libzstd1 zlib1g libgcc-s1 gcc-14-base)

commit=$(git -C "$root" rev-parse HEAD)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
version=$(sed -n 's:.*<Version>\([^<]*\)</Version>.*:\1:p' "$root/src/TeeLauncher/TeeLauncher.csproj" | head -n 1)

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v skopeo >/dev/null || need+=(skopeo)
if ((${#need[@]})); then
  ((EUID == 0)) || die "needs ${need[*]} (apt-get install ${need[*]})"
  say "installing ${need[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# The mirror of this machine's apt sources (deb822 or one-line format), unless given.
apt_uri() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -f "$file" ]] && grep -v '^[[:space:]]*#' "$file"
  done | grep -oE "(https?|file)://[^[:space:]]+/$1/?([[:space:]]|\$)" | sed -n '1{s:[[:space:]]*$::;s:/$::;p}'
}
mirror=${DEBIAN_MIRROR:-$(apt_uri debian)}
security=${DEBIAN_SECURITY_MIRROR:-$(apt_uri debian-security)}
[[ -n "$mirror" ]] || die "no Debian mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR"
[[ -n "$security" ]] || die "no Debian security mirror in /etc/apt/sources.list*; set DEBIAN_SECURITY_MIRROR"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
started=$SECONDS

if [[ -z "$deb" ]]; then
  deb=$(bash "$root/packaging/build-deb.sh" "$out") || die "packaging/build-deb.sh failed"
  deb_from="built by packaging/build-deb.sh"
else
  deb_from="given ($(basename "$deb"))"
fi
[[ "$(dpkg-deb -f "$deb" Package)" == tee-launcher ]] || die "$deb is not the tee-launcher package"

say "unpacking $suite from $mirror and $security"
mkdir -p "$stage/debs" "$stage/lists"
chmod 0755 "$stage"                     # apt downloads as _apt
# apt resolves the .deb's dependencies from inside the new root: it is copied there at the same path
# and removed again once unpacked. The extract hook runs while the downloaded packages and the
# Release files are still there.
mmdebstrap --variant=extract --architectures="$arch" --format=directory \
  --include="${keep[*]:1}" --include="$deb" \
  --setup-hook="mkdir -p \"\$1$(dirname "$deb")\" && cp '$deb' \"\$1$deb\"" \
  --extract-hook="cp \"\$1\"/var/cache/apt/archives/*.deb '$stage/debs/' && cp \"\$1\"/var/lib/apt/lists/*Release '$stage/lists/' && rm \"\$1$deb\"" \
  "$suite" "$stage/rootfs" \
  "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main" \
  >"$stage/mmdebstrap.log" 2>&1 || { tail -n 30 "$stage/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
rootfs=$stage/rootfs
chmod 0755 "$rootfs"

# The record: package, version, architecture, sha256 of the .deb, and whether it stays in the image.
{
  echo "# tee-launcher image $version, commit $commit, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
  echo "# built by packaging/build-image.sh with mmdebstrap $(dpkg-query -W -f '${Version}' mmdebstrap), $(gzip --version | head -n 1), $(tar --version | head -n 1)"
  echo "# .deb: ${deb_from}; .NET SDK $(dotnet --version 2>/dev/null || echo '?'), linker driver $({ command -v clang >/dev/null && clang --version || gcc --version; } 2>/dev/null | head -n 1), $(ld.bfd --version 2>/dev/null | head -n 1 || echo 'ld ?')"
  echo "# global.json: $(tr -d ' \n' <"$root/global.json")"
  for lock in "$root"/src/*/packages.lock.json; do
    echo "# ${lock#"$root"/}: sha256 $(sha256sum "$lock" | cut -d' ' -f1)"
  done
  echo "# mirror: $mirror ($suite, $suite-updates)  security: $security ($suite-security)"
  for release in "$stage"/lists/*Release; do
    echo "# $(sed -n 's/^Suite: //p' "$release" | head -n 1): $(sed -n 's/^Date: //p' "$release" | head -n 1)"
  done
  for file in "$deb" "$stage"/debs/*.deb; do
    package=$(dpkg-deb -f "$file" Package)
    state=removed
    for k in "${keep[@]}"; do [[ $k == "$package" ]] && state=kept; done
    echo "$package $(dpkg-deb -f "$file" Version) $(dpkg-deb -f "$file" Architecture) $(sha256sum "$file" | cut -d' ' -f1) $state"
  done | LC_ALL=C sort
} >"$stage/packages"
if [[ -n "$expect" ]]; then
  diff <(grep -v '^#' "$expect") <(grep -v '^#' "$stage/packages") >&2 ||
    die "the mirror served other packages than $expect (above: < expected, > served)"
fi
for k in "${keep[@]}"; do
  grep -q "^$k .* kept\$" "$stage/packages" || die "package $k was not installed; the image would lack it"
done

# What does not run: the removed packages' files, documentation except the licences, translations,
# and the update-ca-certificates script (its work is done below).
while read -r package _ _ _ state; do
  [[ $state == removed ]] || continue
  dpkg-deb --fsys-tarfile "$stage/debs/${package}_"*.deb | tar -t | while read -r path; do
    [[ -d "$rootfs/$path" && ! -L "$rootfs/$path" ]] || rm -f "$rootfs/$path"
  done
done < <(grep -v '^#' "$stage/packages")
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
rm -rf "$rootfs"/usr/share/{man,lintian,locale,bash-completion,zsh,fish} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv \
  "$rootfs/usr/sbin/update-ca-certificates" "$rootfs/etc/ca-certificates" "$rootfs"/var/{cache,lib,log} "$rootfs"/etc/{hostname,resolv.conf}
find "$rootfs" -depth -mindepth 1 -type d -empty -delete

# ca-certificates' postinst, which did not run: the bundle of every certificate the package ships.
mkdir -p "$rootfs/etc/ssl/certs"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' -printf '%P\n' | LC_ALL=C sort | while read -r cert; do
  sed -e '$a\' "$rootfs/usr/share/ca-certificates/$cert"
done >"$rootfs/etc/ssl/certs/ca-certificates.crt"
[[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ]] || die "no CA certificates in the image"

# Merged /usr as Debian's base-files would lay it out, and the mount points the app compose uses.
for link in bin lib lib64 sbin; do ln -sfn "usr/$link" "$rootfs/$link"; done
install -d -m 0755 "$rootfs/run" "$rootfs/etc/tee-launcher" "$rootfs/mnt" "$rootfs/var"
install -d -m 1777 "$rootfs/tmp"
ln -sfn ../run "$rootfs/var/run"

# Every file is root's, and every shared library that an executable of the image needs is in it.
foreign=$(find "$rootfs" \( ! -uid 0 -o ! -gid 0 \) -printf '/%P\n')
[[ -z "$foreign" ]] || die "files not owned by root: $foreign"
while read -r elf; do
  for lib in $(readelf -d "$elf" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ -e "$rootfs/usr/lib/x86_64-linux-gnu/$lib" || -e "$rootfs/usr/lib64/$lib" ]] || die "/${elf#"$rootfs"/} needs $lib, which is not in the image"
  done
done < <(find "$rootfs/usr" -type f -perm /0111 -o -type f -name '*.so*')

# The layer: sorted, 0:0, every time SOURCE_DATE_EPOCH, no access or change times, no xattrs.
layout=$stage/layout
mkdir -p "$layout/blobs/sha256"
tar --create --file="$stage/layer.tar" --directory="$rootfs" --sort=name --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --no-xattrs --no-acls --no-selinux .
diff_id=$(sha256sum "$stage/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$stage/layer.tar" >"$stage/layer.tar.gz"

blob() { # FILE -> moves it into the layout, prints "digest size"
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/$digest"
  echo "sha256:$digest $size"
}
read -r layer_digest layer_size < <(blob "$stage/layer.tar.gz")

json() { python3 -c 'import json, sys; sys.stdout.write(json.dumps(json.loads(sys.argv[1]), sort_keys=True, separators=(",", ":")))' "$1"; }
json "{
  \"architecture\": \"$arch\", \"os\": \"linux\", \"created\": \"$created\",
  \"config\": {
    \"Entrypoint\": [\"/usr/bin/tee-launcher\"],
    \"Cmd\": [\"run\", \"--config\", \"/etc/tee-launcher/launcher.toml\"],
    \"Env\": [\"PATH=/usr/bin\", \"DOCKER_CONFIG=/tmp/docker\"],
    \"WorkingDir\": \"/\",
    \"Labels\": {
      \"org.opencontainers.image.title\": \"tee-launcher\",
      \"org.opencontainers.image.version\": \"$version\",
      \"org.opencontainers.image.revision\": \"$commit\",
      \"org.opencontainers.image.created\": \"$created\"
    }
  },
  \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:$diff_id\"]},
  \"history\": [{\"created\": \"$created\", \"created_by\": \"packaging/build-image.sh (commit $commit)\"}]
}" >"$stage/config.json"
read -r config_digest config_size < <(blob "$stage/config.json")
json "{
  \"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",
  \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"$config_digest\", \"size\": $config_size},
  \"layers\": [{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"$layer_digest\", \"size\": $layer_size}]
}" >"$stage/manifest.json"
read -r manifest_digest manifest_size < <(blob "$stage/manifest.json")
json "{
  \"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.index.v1+json\",
  \"manifests\": [{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"$manifest_digest\", \"size\": $manifest_size,
    \"annotations\": {\"org.opencontainers.image.ref.name\": \"$version\"}}]
}" >"$layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

archive=$out/tee-launcher-image.oci.tar
tar --create --file="$archive" --directory="$layout" --sort=name --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode=a+r,u+w,go-w oci-layout index.json blobs
# skopeo reads the archive as a client would: the manifest it serves must be the one built here.
served=$(skopeo inspect --raw "oci-archive:$archive" | sha256sum | cut -d' ' -f1)
[[ "sha256:$served" == "$manifest_digest" ]] || die "skopeo reads manifest sha256:$served from the archive, not $manifest_digest"
cp "$stage/packages" "$out/tee-launcher-image.packages"
echo "$manifest_digest" >"$out/tee-launcher-image.digest"

if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  skopeo copy --quiet "oci-archive:$archive" "docker-archive:$stage/docker.tar:tee-launcher:$version" >&2
  docker load --input "$stage/docker.tar" >&2
fi

say "$(grep -c ' kept$' "$out/tee-launcher-image.packages") Debian packages, layer $((layer_size / 1024)) KiB compressed, $(($(stat -c %s "$stage/layer.tar") / 1024)) KiB unpacked, built in $((SECONDS - started)) s"
say "archive $archive ($(du -h "$archive" | cut -f1)), packages in $out/tee-launcher-image.packages"
echo "$manifest_digest"
