#!/usr/bin/env python3
"""`validate` of one config as a child process: wall time, CPU time and peak RSS, several builds alternating.

    python3 tests/benchmarks/config_bench.py --example config/launcher.toml --runs 30 \
        --launcher after=/path/to/tee-launcher [--launcher before=/other/tee-launcher]

Runs alternate between the builds so that drift of the machine affects them alike. CPU time (user + system)
is less disturbed than wall time by other work on a shared machine. Prints one table row per build.
"""
import argparse
import os
import statistics
import subprocess
import time


def validate(binary, example):
    """Wall time, CPU time and peak RSS of one `validate`, from wait4's rusage (ru_maxrss is KiB on Linux)."""
    start = time.perf_counter()
    process = subprocess.Popen([binary, "validate", "--config", example], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{binary} validate --config {example} failed")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", required=True, help="the launcher.toml to validate")
    parser.add_argument("--launcher", action="append", required=True, help="LABEL=PATH of a NativeAOT tee-launcher")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    builds = [item.split("=", 1) for item in args.launcher]

    samples = {label: [] for label, _ in builds}
    for _ in range(3):
        for _, binary in builds:
            validate(binary, args.example)
    for _ in range(args.runs):
        for label, binary in builds:
            samples[label].append(validate(binary, args.example))

    for label, _ in builds:
        walls = sorted(s[0] * 1000 for s in samples[label])
        cpu = sorted(s[2] * 1000 for s in samples[label])
        rss = statistics.median(s[1] for s in samples[label]) / 1024
        print(f"| validate of the shipped example, NativeAOT, {label}, {args.runs} runs | "
              f"wall {statistics.median(walls):.1f} ms ({walls[0]:.1f}-{walls[-1]:.1f}) | "
              f"CPU {statistics.median(cpu):.1f} ms ({cpu[0]:.1f}-{cpu[-1]:.1f}) | peak RSS {rss:.1f} MiB |")


if __name__ == "__main__":
    main()
