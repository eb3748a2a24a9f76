#!/usr/bin/env bash
# Runs the launcher on the dev example in config/ against the project's local dockerd and registry:
# pushes a demo image, approves its digest, then validate, plan, run and status.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/tests/env/testenv.sh" up >&2
eval "$(bash "$root/tests/env/testenv.sh" env)"
# Debian 12's docker CLI (20.10, the client of this dockerd) and docker-compose 1.29 first on PATH, for this
# script and the launcher: not the newer client a machine may have in /usr/local/bin.
export PATH="$(dirname "$TEE_TEST_DOCKER_CLI_20"):$PATH"

work="$TEE_TEST_STATE/example"
rm -rf "$work" && mkdir -p "$work"
cp "$root"/config/launcher.toml "$root"/config/compose.yml "$work/"

image="$TEE_TEST_REGISTRY/demo/app:latest"
docker tag "$TEE_TEST_BASE_IMAGE" "$image"
docker push --quiet "$image" >/dev/null
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" | grep -m1 "^$TEE_TEST_REGISTRY/demo/app@" | cut -d@ -f2)
printf '{"approved_hashes": ["%s"]}\n' "$digest" > "$work/approved-hashes.json"
echo "demo image $TEE_TEST_REGISTRY/demo/app@$digest approved in $work/approved-hashes.json" >&2

dotnet build "$root/src/TeeLauncher/TeeLauncher.csproj" -c Release -o "$TEE_TEST_STATE/launcher" -v quiet -nologo >&2
launcher="$TEE_TEST_STATE/launcher/tee-launcher"

set -x
"$launcher" validate --config "$work/launcher.toml"
"$launcher" plan --config "$work/launcher.toml"
"$launcher" run --config "$work/launcher.toml"
"$launcher" status --config "$work/launcher.toml"
docker ps --filter label=com.docker.compose.project=tee-demo --format '{{.Names}}  {{.Image}}  {{.Status}}'
{ set +x; } 2>/dev/null
echo "the demo stack runs; stop it with: DOCKER_HOST=$DOCKER_HOST docker-compose -p tee-demo -f /tmp/tee-launcher-example/compose.yml down" >&2
