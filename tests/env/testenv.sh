#!/usr/bin/env bash
# The test environment of docs/spec.md §9, on loopback only:
#   a private dockerd (vfs, no iptables, no bridge), a plain docker-registry,
#   a software TPM (swtpm), a busybox base image and the npm package eciesjs.
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
base_image="tee-test/busybox:latest"
apt_packages=(docker.io docker-compose docker-registry skopeo apache2-utils busybox-static swtpm swtpm-tools tpm2-tools fuse3 python3-fusepy)
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
EOF
}

running() { [[ -f "$state/$1.pid" ]] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

docker_answers() { DOCKER_HOST=$docker_host timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
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
  for command in dockerd docker-compose docker-registry skopeo htpasswd busybox swtpm swtpm_setup tpm2_pcrextend fusermount3; do
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

import_base_image() {
  DOCKER_HOST=$docker_host docker image inspect "$base_image" >/dev/null 2>&1 && return 0
  say "importing $base_image from busybox-static"
  local root="$state/busybox-root"
  rm -rf "$root" && mkdir -p "$root/bin" "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for applet in sh sleep true false cat echo ls env kill; do ln -sf busybox "$root/bin/$applet"; done
  tar -C "$root" -cf "$state/busybox.tar" .
  DOCKER_HOST=$docker_host docker import --change 'CMD ["/bin/sleep", "3600"]' "$state/busybox.tar" "$base_image" >/dev/null
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
  start_dockerd
  start_registry
  start_swtpm
  import_base_image
  say "up: dockerd $docker_host, registry 127.0.0.1:$registry_port, swtpm 127.0.0.1:$tpm_port"
}

down() {
  if running dockerd; then
    # Containers left by tests would keep dockerd's shutdown waiting.
    local ids
    ids=$(DOCKER_HOST=$docker_host docker ps -aq 2>/dev/null || true)
    [[ -n "$ids" ]] && DOCKER_HOST=$docker_host docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_pidfile registry
  stop_pidfile swtpm
  stop_pidfile dockerd
}

status() {
  local ok=0
  docker_answers && echo "dockerd: up ($docker_host)" || { echo "dockerd: down"; ok=1; }
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
