#!/usr/bin/env bash
# The project's test command: sets up the real local dockerd, registry and software TPM
# (tests/env/testenv.sh), runs every test project, and stops what it started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

started_here=false
if ! bash tests/env/testenv.sh status >/dev/null 2>&1; then
  started_here=true
fi
artifacts=$(mktemp -d)
cleanup() {
  rm -rf "$artifacts"
  if $started_here; then bash tests/env/testenv.sh down; fi
}
trap cleanup EXIT
bash tests/env/testenv.sh up
eval "$(bash tests/env/testenv.sh env)"

# One NativeAOT build for the whole run: the .deb, and from it the launcher image that the integration
# tests run as dstack does (two builds printing one digest is what docs/auditors.md has an auditor check).
deb=$(bash packaging/build-deb.sh "$artifacts")
bash packaging/build-image.sh --deb "$deb" "$artifacts" >/dev/null
export TEE_TEST_LAUNCHER_IMAGE_DIR=$artifacts

# Every package exactly as the committed packages.lock.json files say (the SDK is global.json's).
dotnet restore TeeLauncher.sln --locked-mode
dotnet test TeeLauncher.sln -c Release --no-restore --logger "console;verbosity=normal" "$@"
# The Debian package with the NativeAOT binary: installed, run (validate, plan), removed.
TEE_TEST_DEB=$deb bash tests/packaging/deb-test.sh
