#!/usr/bin/env python3
"""Launch benchmarks of issue 7: the launcher against the smallest alternative, side by side in one run.

Needs the test environment (tests/env/testenv.sh env exported), a JIT build and a NativeAOT build of the
launcher. Prints one markdown table on stdout; progress goes to stderr.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

REGISTRY = os.environ["TEE_TEST_REGISTRY"]
BASE_TAR = os.path.join(os.environ["TEE_TEST_STATE"], "busybox.tar")

TEMPLATE = """version: "2.4"
services:
  app:
    image: ${TEE_LAUNCHER_IMAGE}
    network_mode: none
    command: ["/bin/sleep", "3600"]
"""


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def push_image(repository):
    local = f"{REGISTRY}/{repository}:bench"
    sh("docker", "import", "--change", f"LABEL bench.id={uuid.uuid4().hex}", BASE_TAR, local)
    sh("docker", "push", local)
    digests = sh("docker", "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", local).stdout
    digest = next(line.split("@")[1] for line in digests.splitlines() if line.startswith(f"{REGISTRY}/{repository}@"))
    return f"{REGISTRY}/{repository}", digest


def write_deployment(folder, reference, digest, project, policy, supervise):
    """The state directory is on tmpfs (/dev/shm), as /run/tee-launcher is in production."""
    os.makedirs(folder, exist_ok=True)
    state = os.path.join("/dev/shm", "tee-bench-" + os.path.basename(folder))
    with open(os.path.join(folder, "compose.yml"), "w") as f:
        f.write(TEMPLATE)
    with open(os.path.join(folder, "approved-hashes.json"), "w") as f:
        json.dump({"approved_hashes": [digest]}, f)
    config = os.path.join(folder, "launcher.toml")
    with open(config, "w") as f:
        f.write(f"""[launcher]
platform = "dev"
state_dir = "{state}"

[image]
reference = "{reference}"
approved_hashes_file = "approved-hashes.json"

[pull]
policy = "{policy}"

[measurement]
backend = "none"

[compose]
file = "compose.yml"
project = "{project}"
supervise = {"true" if supervise else "false"}
""")
    return config


def down(project):
    ids = sh("docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    if ids:
        sh("docker", "rm", "-f", *ids)


def timed(args, env=None):
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return elapsed


def peak_rss_kib(args):
    """Wall time and peak RSS of one child, read from wait4's rusage (ru_maxrss is KiB on Linux)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return elapsed, usage.ru_maxrss


def summary(values, unit_scale=1000.0):
    values = sorted(values)
    median = statistics.median(values)
    return median, values[0], values[-1]


def fmt(values, scale=1000.0, unit="ms"):
    median, low, high = summary(values)
    return f"{median * scale:.1f} {unit} ({low * scale:.1f}-{high * scale:.1f})"


def launch_overhead(launcher, policy, runs, work):
    reference, digest = push_image(f"bench/launch-{policy}")
    project = f"bench_{policy}"
    folder = os.path.join(work, f"launch-{policy}")
    config = write_deployment(folder, reference, digest, project, policy, supervise=False)
    sh("docker", "pull", f"{reference}@{digest}")
    # The baseline runs compose on the very file the launcher rendered.
    state = os.path.join("/dev/shm", "tee-bench-" + os.path.basename(folder))
    shutil.rmtree(state, ignore_errors=True)
    timed([launcher, "run", "--config", config])
    rendered = os.path.join(state, "compose.yml")
    baseline_file = os.path.join(folder, "baseline-compose.yml")
    shutil.copy(rendered, baseline_file)
    baseline = ["sh", "-c", 'docker pull "$1" >/dev/null && docker-compose -p "$2" -f "$3" up -d 2>/dev/null',
                "baseline", f"{reference}@{digest}", project, baseline_file]
    down(project)
    ours, theirs = [], []
    for i in range(runs):
        log(f"policy {policy}: run {i + 1} of {runs}")
        shutil.rmtree(state, ignore_errors=True)
        ours.append(timed([launcher, "run", "--config", config]))
        down(project)
        theirs.append(timed(baseline))
        down(project)
    return ours, theirs


def supervising_rss(launcher, work, settle_seconds):
    reference, digest = push_image("bench/supervise")
    project = "bench_supervise"
    folder = os.path.join(work, "supervise")
    config = write_deployment(folder, reference, digest, project, "missing", supervise=True)
    shutil.rmtree(os.path.join("/dev/shm", "tee-bench-supervise"), ignore_errors=True)
    process = subprocess.Popen([launcher, "run", "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status_file = os.path.join("/dev/shm", "tee-bench-supervise", "status.json")
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with open(status_file) as f:
                if json.load(f).get("phase") == "running":
                    break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    else:
        process.kill()
        raise SystemExit(f"the supervising run never reached phase running (exit {process.wait()})")
    log(f"supervising run is up; waiting {settle_seconds} s")
    time.sleep(settle_seconds)
    with open(f"/proc/{process.pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    rss_kib = int(fields["VmRSS"].split()[0])
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=120)
    down(project)
    return rss_kib, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--aot", required=True, help="the NativeAOT tee-launcher")
    parser.add_argument("--jit", required=True, help="the JIT-built tee-launcher (apphost)")
    parser.add_argument("--example", required=True, help="the example launcher.toml for plan and validate")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--settle", type=int, default=60)
    parser.add_argument("--sections", default="launch,startup,memory", help="comma-separated: launch, startup, memory")
    args = parser.parse_args()
    sections = set(args.sections.split(","))

    work = tempfile.mkdtemp(prefix="tee-bench-")
    rows = []
    for policy in ("always", "missing") if "launch" in sections else ():
        ours, theirs = launch_overhead(args.aot, policy, args.runs, work)
        ratio = statistics.median(ours) / statistics.median(theirs)
        rows.append((f"run, policy {policy}, NativeAOT", fmt(ours), f"baseline script {fmt(theirs)}", f"ratio {ratio:.3f}"))

    for build, binary in (("NativeAOT", args.aot), ("JIT", args.jit)) if "startup" in sections else ():
        for command in ("plan", "validate"):
            samples = [peak_rss_kib([binary, command, "--config", args.example]) for _ in range(args.runs * 2)]
            walls = [s[0] for s in samples]
            rss = statistics.median(s[1] for s in samples) / 1024
            rows.append((f"{command}, {build}", fmt(walls), f"peak RSS {rss:.1f} MiB", ""))

    if "memory" in sections:
        rss_kib, code = supervising_rss(args.aot, work, args.settle)
        rows.append((f"supervising run after {args.settle} s, NativeAOT", f"RSS {rss_kib / 1024:.1f} MiB", f"SIGTERM exit {code}", ""))

    print("| measurement | launcher: median (min-max) | compared with | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
