#!/usr/bin/env bash
# The test environment of docs/spec.md §9, on loopback only:
#   a private dockerd (vfs, no iptables, no bridge), a plain docker-registry,
#   a software TPM (swtpm), a busybox base image and the npm package eciesjs;
#   beside Debian 12's docker-compose 1.29, the compose v2 binaries of Debian 13's and Debian
#   unstable's docker-compose packages (downloaded with apt into $TEE_TEST_STATE, with apt's own
#   lists and cache there: the machine's apt sources are not changed); and Docker Engine 26
#   (Debian 13's docker.io) in a Debian 13 root made with mmdebstrap, chrooted in a mount namespace
#   of its own, on its own socket.
#
#   testenv.sh up      install what is missing (apt, npm) and start what is not running
#   testenv.sh down    stop what `up` started (recorded pid files), nothing else
#   testenv.sh status  exit 0 when everything answers
#   testenv.sh env     print the exports the tests read (eval "$(testenv.sh env)")
#
# Everything lives under $TEE_TEST_STATE (default /tmp/tee-launcher-testenv): short paths,
# because dockerd and containerd put unix sockets under it.
set -euo pipefail

state=${TEE_TEST_STATE:-/tmp/tee-launcher-testenv}
registry_port=${TEE_TEST_REGISTRY_PORT:-5000}
tpm_port=${TEE_TEST_TPM_PORT:-2321}
docker_host="unix://$state/docker.sock"
# Compose v2 as Debian ships it: the suite each comes from, and the directory it is unpacked to.
compose_v2_suites=(trixie sid)
compose_v2_dir() { echo "$state/compose-$1"; }
compose_v2_binary() { echo "$(compose_v2_dir "$1")/usr/libexec/docker/cli-plugins/docker-compose"; }
# Docker Engine 26: its Debian 13 root; the socket and pid file are inside it, seen from here.
root26="$state/debian13-root"
docker_host26="unix://$root26/run/docker.sock"
docker_cli26="$root26/usr/bin/docker"
base_image="tee-test/busybox:latest"
apt_packages=(docker.io docker-compose docker-registry apache2-utils busybox-static swtpm swtpm-tools tpm2-tools fuse3 python3-fusepy mmdebstrap skopeo)
eciesjs_version=0.4.16

say() { echo "testenv: $*" >&2; }

print_env() {
  cat <<EOF
export DOCKER_HOST='$docker_host'
export TEE_TEST_STATE='$state'
export TEE_TEST_REGISTRY='127.0.0.1:$registry_port'
export TEE_TEST_BASE_IMAGE='$base_image'
export TEE_TEST_TPM_TCTI='swtpm:host=127.0.0.1,port=$tpm_port'
export TEE_TEST_NODE_MODULES='$state/node/node_modules'
export TEE_TEST_COMPOSE_V1='/usr/bin/docker-compose'
export TEE_TEST_COMPOSE_V2_26='$(compose_v2_binary trixie)'
export TEE_TEST_COMPOSE_V2_40='$(compose_v2_binary sid)'
export TEE_TEST_DOCKER_CLI_20='/usr/bin/docker'
export TEE_TEST_DOCKER_CLI_26='$docker_cli26'
export TEE_TEST_DOCKER_HOST_26='$docker_host26'
EOF
}

running() { [[ -f "$state/$1.pid" ]] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

docker_answers() { DOCKER_HOST=$docker_host timeout 5 /usr/bin/docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
docker26_answers() { [[ -x "$docker_cli26" ]] && DOCKER_HOST=$docker_host26 timeout 5 "$docker_cli26" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
registry_answers() { curl -fsS -o /dev/null "http://127.0.0.1:$registry_port/v2/"; }
tpm_answers() { TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$tpm_port" timeout 5 tpm2_pcrread sha256:0 >/dev/null 2>&1; }

wait_for() {
  local what=$1 check=$2 log=$3
  for _ in $(seq 1 100); do
    if $check; then return 0; fi
    sleep 0.2
  done
  say "$what did not answer; last lines of $log:"
  tail -n 20 "$log" >&2 || true
  return 1
}

install_packages() {
  local missing=()
  for command in dockerd docker-compose docker-registry htpasswd busybox swtpm swtpm_setup tpm2_pcrextend fusermount3 mmdebstrap skopeo; do
    command -v "$command" >/dev/null || missing+=("$command")
  done
  /usr/bin/python3 -c 'import fusepy' 2>/dev/null || missing+=("python3-fusepy")
  ((${#missing[@]} == 0)) && return 0
  say "installing Debian packages (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$state/apt.log" 2>&1 || { tail -n 20 "$state/apt.log" >&2; return 1; }
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >>"$state/apt.log" 2>&1 \
    || { tail -n 20 "$state/apt.log" >&2; return 1; }
}

install_eciesjs() {
  [[ -f "$state/node/node_modules/eciesjs/package.json" ]] && return 0
  say "installing eciesjs@$eciesjs_version from npm"
  mkdir -p "$state/node"
  npm install --prefix "$state/node" --no-audit --no-fund --silent "eciesjs@$eciesjs_version" >"$state/npm.log" 2>&1 \
    || { tail -n 20 "$state/npm.log" >&2; return 1; }
}

# The mirror of ARCHIVE (debian or debian-security) in this machine's apt sources (deb822 or
# one-line format), unless DEBIAN_MIRROR or DEBIAN_SECURITY_MIRROR is set.
debian_mirror() {
  local archive=${1:-debian} file
  [[ $archive == debian && -n "${DEBIAN_MIRROR:-}" ]] && { echo "$DEBIAN_MIRROR"; return; }
  [[ $archive == debian-security && -n "${DEBIAN_SECURITY_MIRROR:-}" ]] && { echo "$DEBIAN_SECURITY_MIRROR"; return; }
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    if [[ -f "$file" ]]; then grep -v '^[[:space:]]*#' "$file" || true; fi
  done | { grep -oE "(https?|file)://[^[:space:]]+/$archive/?([[:space:]]|\$)" || true; } | sed -n '1{s:[[:space:]]*$::;s:/$::;p}'
}

# apt with its own sources, lists and cache under $state/apt/SUITE: the suite's Release file is
# checked against Debian's archive keyring, and nothing of the machine's apt state is read or changed.
suite_apt() {
  local suite=$1; shift
  local dir="$state/apt/$suite"
  apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false "$@"
}

# Downloads PACKAGE of SUITE into $state/apt/SUITE and prints the .deb's path.
download_deb() {
  local suite=$1 package=$2 dir="$state/apt/$1" mirror
  mirror=$(debian_mirror)
  [[ -n "$mirror" ]] || { say "no Debian mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR"; return 1; }
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$dir/sources.list"
  suite_apt "$suite" update >"$dir/apt.log" 2>&1 || { tail -n 20 "$dir/apt.log" >&2; return 1; }
  rm -f "$dir/debs/${package}_"*.deb
  (cd "$dir/debs" && suite_apt "$suite" download "$package") >>"$dir/apt.log" 2>&1 || { tail -n 20 "$dir/apt.log" >&2; return 1; }
  echo "$dir/debs/${package}_"*.deb
}

install_compose_v2() {
  local suite binary deb version
  for suite in "${compose_v2_suites[@]}"; do
    binary=$(compose_v2_binary "$suite")
    "$binary" version --short >/dev/null 2>&1 && continue
    say "downloading docker-compose (compose v2) of Debian $suite"
    deb=$(download_deb "$suite" docker-compose)
    rm -rf "$(compose_v2_dir "$suite")"
    dpkg-deb -x "$deb" "$(compose_v2_dir "$suite")"
    version=$("$binary" version --short) || { say "$binary does not answer 'version'"; return 1; }
    say "compose $version of Debian $suite ($(basename "$deb")) at $binary"
  done
}

# A Debian 13 root with docker.io (dockerd 26, containerd, runc) and its libraries, unpacked by
# mmdebstrap without maintainer scripts, as packaging/build-image.sh makes the launcher image.
make_root26() {
  [[ -x "$root26/usr/sbin/dockerd" ]] && return 0
  local mirror security work="$state/debian13-root.new"
  mirror=$(debian_mirror debian)
  security=$(debian_mirror debian-security)
  [[ -n "$mirror" && -n "$security" ]] || { say "no Debian (security) mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR"; return 1; }
  say "unpacking Debian 13's docker.io into $root26 with mmdebstrap"
  rm -rf "$work"
  mmdebstrap --variant=extract --architectures=amd64 --format=directory --include=docker.io,docker-cli,containerd,runc \
    trixie "$work" "deb $mirror trixie main" "deb $mirror trixie-updates main" "deb $security trixie-security main" \
    >"$state/mmdebstrap.log" 2>&1 || { tail -n 20 "$state/mmdebstrap.log" >&2; return 1; }
  # Merged /usr as base-files would lay it out, and the mount points.
  for link in bin lib lib64 sbin; do ln -sfn "usr/$link" "$work/$link"; done
  mkdir -p "$work/proc" "$work/sys" "$work/dev" "$work/run" "$work/tmp" "$work/var/lib/docker"
  mv "$work" "$root26"
}

# dockerd 26 chrooted into the Debian 13 root, in a mount namespace of its own: what it and the shell
# before it mount (the root onto itself, since dockerd remounts /; /proc, /sys with its cgroups, /dev;
# every container's mounts) goes away with the namespace's last process. Storage, network and socket
# as for dockerd 20.10.
start_dockerd26() {
  docker26_answers && return 0
  make_root26
  say "starting dockerd 26 on $docker_host26"
  rm -f "$root26/run/docker.sock" "$root26/run/dockerd.pid"
  # shellcheck disable=SC2016 # expanded by the shell in the new namespace
  setsid unshare --mount --propagation private bash -c '
    set -e
    root=$1
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    exec env -i PATH=/usr/sbin:/usr/bin chroot "$root" /usr/sbin/dockerd --storage-driver=vfs --iptables=false --ip-masq=false \
      --bridge=none --data-root /var/lib/docker --exec-root /run/docker --pidfile /run/dockerd.pid --host unix:///run/docker.sock
  ' dockerd26 "$root26" >"$state/dockerd26.log" 2>&1 </dev/null &
  wait_for "dockerd 26" docker26_answers "$state/dockerd26.log"
  # The pid file is written by dockerd inside its root; down reads it from here.
  cp "$root26/run/dockerd.pid" "$state/dockerd26.pid"
}

start_dockerd() {
  docker_answers && return 0
  say "starting dockerd on $docker_host"
  mkdir -p "$state/docker-data" "$state/docker-exec"
  setsid dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
    --data-root "$state/docker-data" --exec-root "$state/docker-exec" \
    --pidfile "$state/dockerd.pid" --host "$docker_host" >"$state/dockerd.log" 2>&1 </dev/null &
  wait_for dockerd docker_answers "$state/dockerd.log"
}

start_registry() {
  registry_answers 2>/dev/null && return 0
  say "starting docker-registry on 127.0.0.1:$registry_port"
  mkdir -p "$state/registry-data"
  cat >"$state/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
EOF
  setsid docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 </dev/null &
  echo $! >"$state/registry.pid"
  wait_for docker-registry "registry_answers" "$state/registry.log" 2>/dev/null
}

start_swtpm() {
  tpm_answers && return 0
  say "starting swtpm on 127.0.0.1:$tpm_port"
  mkdir -p "$state/tpm"
  swtpm socket --tpm2 --tpmstate "dir=$state/tpm" \
    --server "type=tcp,port=$tpm_port,bindaddr=127.0.0.1" --ctrl "type=tcp,port=$((tpm_port + 1)),bindaddr=127.0.0.1" \
    --flags not-need-init,startup-clear --pid "file=$state/swtpm.pid" --log "file=$state/swtpm.log" --daemon
  wait_for swtpm tpm_answers "$state/swtpm.log"
}

# The same busybox image into each engine (HOST and CLI).
import_base_image() {
  local host=$1 cli=$2
  DOCKER_HOST=$host "$cli" image inspect "$base_image" >/dev/null 2>&1 && return 0
  say "importing $base_image from busybox-static into $host"
  if [[ ! -f "$state/busybox.tar" ]]; then
    local root="$state/busybox-root"
    rm -rf "$root" && mkdir -p "$root/bin" "$root/tmp"
    cp "$(command -v busybox)" "$root/bin/busybox"
    for applet in sh sleep true false cat echo ls env kill; do ln -sf busybox "$root/bin/$applet"; done
    tar -C "$root" -cf "$state/busybox.tar.new" . && mv "$state/busybox.tar.new" "$state/busybox.tar"
  fi
  DOCKER_HOST=$host "$cli" import --change 'CMD ["/bin/sleep", "3600"]' "$state/busybox.tar" "$base_image" >/dev/null
}

stop_pidfile() {
  local name=$1 pid
  [[ -f "$state/$name.pid" ]] || return 0
  pid=$(cat "$state/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$state/$name.pid"
}

up() {
  mkdir -p "$state"
  install_packages
  install_eciesjs
  install_compose_v2
  start_dockerd
  start_dockerd26
  start_registry
  start_swtpm
  import_base_image "$docker_host" /usr/bin/docker
  import_base_image "$docker_host26" "$docker_cli26"
  say "up: dockerd 20.10 $docker_host, dockerd 26 $docker_host26, registry 127.0.0.1:$registry_port, swtpm 127.0.0.1:$tpm_port"
}

# Containers left by tests would keep dockerd's shutdown waiting.
remove_containers() {
  local host=$1 cli=$2 ids
  ids=$(DOCKER_HOST=$host "$cli" ps -aq 2>/dev/null || true)
  [[ -n "$ids" ]] && DOCKER_HOST=$host "$cli" rm -f $ids >/dev/null 2>&1 || true
}

# What is left of dockerd 26's chroot once it stopped: processes running in its root (containerd and
# shims it started), then any mount under it in this namespace (none, unless the namespace leaked).
stop_root26() {
  local pid mount
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [[ "$(readlink "/proc/$pid/root" 2>/dev/null)" == "$root26" ]] && kill -9 "$pid" 2>/dev/null || true
  done
  while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done < <(awk -v root="$root26" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}

down() {
  running dockerd && remove_containers "$docker_host" /usr/bin/docker
  running dockerd26 && remove_containers "$docker_host26" "$docker_cli26"
  stop_pidfile registry
  stop_pidfile swtpm
  stop_pidfile dockerd
  stop_pidfile dockerd26
  [[ -d "$root26" ]] && stop_root26
  return 0
}

status() {
  local ok=0
  docker_answers && echo "dockerd: up ($docker_host)" || { echo "dockerd: down"; ok=1; }
  docker26_answers && echo "dockerd 26: up ($docker_host26)" || { echo "dockerd 26: down"; ok=1; }
  registry_answers 2>/dev/null && echo "registry: up (127.0.0.1:$registry_port)" || { echo "registry: down"; ok=1; }
  tpm_answers && echo "swtpm: up (127.0.0.1:$tpm_port)" || { echo "swtpm: down"; ok=1; }
  return $ok
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
