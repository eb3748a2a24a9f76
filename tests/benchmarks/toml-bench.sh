#!/usr/bin/env bash
# TOML parsing of a generated ~5 MB document: TeeLauncher.Toml against Python's tomllib, in one run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet run --project "$root/tests/benchmarks/TomlBench/TomlBench.csproj" -c Release -v quiet -- "$@"
