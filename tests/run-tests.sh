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
bash tests/env/testenv.sh up
if $started_here; then
  trap 'bash tests/env/testenv.sh down' EXIT
fi
eval "$(bash tests/env/testenv.sh env)"

dotnet test TeeLauncher.sln -c Release --logger "console;verbosity=normal" "$@"
# The Debian package with the NativeAOT binary: built, installed, run (validate, plan), removed.
bash tests/packaging/deb-test.sh
