#!/usr/bin/env python3
"""Stack boot benchmark of issue 11: a three-image stack from a distant registry, launcher against script.

The registry of the test environment is put behind slow_relay.py (30 ms per request, 4 MB/s per
connection). The stack is a measured image of 24 MB and two sidecars of 12 MB each of random bytes, one
layer each, pinned by digest. Two scenarios, the launcher and the operator's script alternating:

- cold boot: no image present (removed with docker rmi before every run), launcher pull policy "always";
- warm reboot: every image present, launcher pull policy "missing".

The stack is removed between runs. The script is what an operator would write instead of the launcher:
`docker pull` of the measured image by digest, then `docker-compose up -d` on the very file the launcher
rendered (compose pulls the sidecars it lacks). With --reference a third side is the limit: on a cold boot every
image pulled at once with docker, then compose up (the best that pulling the whole stack concurrently can give
with this compose); on a warm reboot compose up alone.
--compose (1.29, 2.26 or 2.40) and --engine (20 or 26) choose the test environment's compose and docker engine:
the launcher, the scripts and this program all run with a PATH whose `docker` is that engine's client and whose
`docker-compose` is that compose (compose v2 standalone), and the launcher's config names `docker-compose`.
--trace puts a bash wrapper in front of `docker` and `docker-compose` that logs when each process the launcher starts
begins and ends, and prints the median of each; the wrappers cost every side a few milliseconds per process, so
traced runs are for finding where the time goes, not for the figures.
Needs the test environment (tests/env/testenv.sh env exported) and a NativeAOT build of the launcher.
Prints markdown on stdout; progress goes to stderr.
"""
import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

REGISTRY = os.environ["TEE_TEST_REGISTRY"]
BASE_ROOT = os.path.join(os.environ["TEE_TEST_STATE"], "busybox-root")
HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = "bench_stack"
MIB = 1024 * 1024
# name, MiB of random data. The bytes are new for every session: dockerd skips the download of a layer it
# already holds, so data shared with any image left on the daemon would make a cold boot warm.
IMAGES = (("app", 24), ("side1", 12), ("side2", 12))

SERVICE = """  {name}:
    image: {image}
    network_mode: none
    command: ["/bin/sleep", "3600"]
"""

# The operator's script, timing its two steps with bash's clock (no extra process):
# operator-boot.sh PROJECT FILE STAMPS MEASURED-IMAGE [OTHER-IMAGES...]
SCRIPT = """set -e
t0=$EPOCHREALTIME
docker pull "$4" >/dev/null
t1=$EPOCHREALTIME
docker-compose -p "$1" -f "$2" up -d 2>/dev/null
t2=$EPOCHREALTIME
echo "$t0 $t1 $t2" >"$3"
"""

# The cold reference (--reference): every image pulled at once, then compose; what pull.concurrency can reach at best.
PARALLEL_SCRIPT = """set -e
t0=$EPOCHREALTIME
pids=()
for image in "${@:4}"; do docker pull "$image" >/dev/null & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
t1=$EPOCHREALTIME
docker-compose -p "$1" -f "$2" up -d 2>/dev/null
t2=$EPOCHREALTIME
echo "$t0 $t1 $t2" >"$3"
"""

# The warm reference (--reference): every image is present, so the limit is compose up alone.
UP_ALONE_SCRIPT = """set -e
t0=$EPOCHREALTIME
docker-compose -p "$1" -f "$2" up -d 2>/dev/null
t2=$EPOCHREALTIME
echo "$t0 $t0 $t2" >"$3"
"""

COMPOSES = {"1.29": "TEE_TEST_COMPOSE_V1", "2.26": "TEE_TEST_COMPOSE_V2_26", "2.40": "TEE_TEST_COMPOSE_V2_40"}
# The engine's socket and client, as testenv.sh exports them (DOCKER_HOST is dockerd 20.10's).
ENGINES = {"20": ("DOCKER_HOST", "TEE_TEST_DOCKER_CLI_20"), "26": ("TEE_TEST_DOCKER_HOST_26", "TEE_TEST_DOCKER_CLI_26")}


# Logs the start and end of a process (with its arguments) to $TEE_BENCH_TRACE when set, for --trace.
TRACE_WRAPPER = """#!/bin/bash
[[ -n "$TEE_BENCH_TRACE" ]] && echo "$EPOCHREALTIME start $$ {name} $*" >>"$TEE_BENCH_TRACE"
"{target}" "$@"
rc=$?
[[ -n "$TEE_BENCH_TRACE" ]] && echo "$EPOCHREALTIME end $$" >>"$TEE_BENCH_TRACE"
exit $rc
"""


def use_toolchain(work, compose, engine, trace):
    """Makes `docker` the engine's client and `docker-compose` the compose, first on PATH, for every process from here on."""
    bin_dir = os.path.join(work, "bin")
    os.makedirs(bin_dir)
    host_variable, cli_variable = ENGINES[engine]
    host = os.environ[host_variable]
    for name, target in (("docker", os.environ[cli_variable]), ("docker-compose", os.environ[COMPOSES[compose]])):
        path = os.path.join(bin_dir, name)
        if trace:
            with open(path, "w") as f:
                f.write(TRACE_WRAPPER.format(name=name, target=target))
            os.chmod(path, 0o755)
        else:
            os.symlink(target, path)
    os.environ["PATH"] = f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin"
    os.environ["DOCKER_HOST"] = host


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def image_tar(megabytes):
    """busybox (the test environment's base) plus /data/random.bin, as one tar with fixed metadata."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder, dirs, files in os.walk(BASE_ROOT):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(folder, name)
                info = tar.gettarinfo(path, os.path.relpath(path, BASE_ROOT))
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                if info.isreg():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
        data = os.urandom(megabytes * MIB)
        info = tarfile.TarInfo("data/random.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def push_images(work):
    """Imports and pushes each image straight to the registry, then deletes it locally; returns name -> digest."""
    leftovers = sh("docker", "images", "--format", "{{.Repository}} {{.ID}}").stdout.splitlines()
    stale = sorted({line.split()[1] for line in leftovers if "/bench/stack-" in line.split()[0]})
    if stale:
        sh("docker", "rmi", "-f", *stale)
    digests = {}
    for name, megabytes in IMAGES:
        tar = os.path.join(work, f"{name}.tar")
        with open(tar, "wb") as f:
            f.write(image_tar(megabytes))
        local = f"{REGISTRY}/bench/stack-{name}:bench"
        sh("docker", "import", "--change", 'CMD ["/bin/sleep", "3600"]', tar, local)
        sh("docker", "push", local)
        repo_digests = sh("docker", "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", local).stdout
        digests[name] = next(line.split("@")[1] for line in repo_digests.splitlines() if line.startswith(f"{REGISTRY}/bench/stack-{name}@"))
        sh("docker", "rmi", "-f", local)
        os.remove(tar)
        log(f"pushed bench/stack-{name} ({megabytes} MiB random) as {digests[name]}")
    return digests


def start_relay(delay_ms, rate):
    relay = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "slow_relay.py"), "--upstream", REGISTRY, "--delay-ms", str(delay_ms), "--rate", str(rate)],
        stdout=subprocess.PIPE, text=True)
    line = relay.stdout.readline().split()
    if line[:1] != ["listening"]:
        relay.kill()
        raise SystemExit("slow_relay.py did not start")
    return relay, line[1]


def write_deployment(folder, relay, digests, policy, concurrency):
    os.makedirs(folder, exist_ok=True)
    state = os.path.join("/dev/shm", "tee-bench-" + os.path.basename(folder))
    template = 'version: "2.4"\nservices:\n' + SERVICE.format(name="app", image="${TEE_LAUNCHER_IMAGE}")
    for name, _ in IMAGES[1:]:
        template += SERVICE.format(name=name, image=f"{relay}/bench/stack-{name}@{digests[name]}")
    with open(os.path.join(folder, "compose.yml"), "w") as f:
        f.write(template)
    with open(os.path.join(folder, "approved-hashes.json"), "w") as f:
        json.dump({"approved_hashes": [digests["app"]]}, f)
    config = os.path.join(folder, "launcher.toml")
    with open(config, "w") as f:
        f.write(f"""[launcher]
platform = "dev"
state_dir = "{state}"

[image]
reference = "{relay}/bench/stack-app"
approved_hashes_file = "approved-hashes.json"

[pull]
policy = "{policy}"{f"{chr(10)}concurrency = {concurrency}" if concurrency else ""}

[measurement]
backend = "none"

[compose]
file = "compose.yml"
project = "{PROJECT}"
command = "docker-compose"
supervise = false
""")
    return config, state


def down():
    ids = sh("docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout.split()
    if ids:
        sh("docker", "rm", "-f", *ids)


def remove_images(references):
    ids = [sh("docker", "image", "inspect", "--format", "{{.Id}}", r, check=False).stdout.strip() for r in references]
    ids = sorted({i for i in ids if i})
    if ids:
        sh("docker", "rmi", "-f", *ids)
    for reference in references:
        if sh("docker", "image", "inspect", reference, check=False).returncode == 0:
            raise SystemExit(f"{reference} is still present after docker rmi")


def ensure_images(references):
    for reference in references:
        if sh("docker", "image", "inspect", reference, check=False).returncode != 0:
            sh("docker", "pull", reference)


LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \w{3} ([\w.]+): (.*)$")


def launcher_phases(started, stderr):
    """Milliseconds from process start to each of the launcher's log lines (its clock is the wall clock, local time)."""
    local = time.localtime(started)
    midnight = started - (local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec + (started % 1))
    marks = []
    for line in stderr.splitlines():
        match = LOG_LINE.match(line)
        if match:
            h, m, s, ms, source, message = match.groups()
            at = midnight + int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
            marks.append(((at - started) * 1000, source, message))
    return marks


def run_launcher(launcher, config, state, trace):
    shutil.rmtree(state, ignore_errors=True)
    environment = dict(os.environ)
    if trace:
        environment["TEE_BENCH_TRACE"] = trace
        open(trace, "w").close()
    started = time.time()
    clock = time.perf_counter()
    result = subprocess.run([launcher, "run", "--config", config], capture_output=True, text=True, env=environment)
    elapsed = time.perf_counter() - clock
    if result.returncode != 0:
        raise SystemExit(f"tee-launcher run failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return elapsed, launcher_phases(started, result.stderr) + (traced_processes(started, trace) if trace else [])


def traced_processes(started, trace):
    """Each process the launcher started, as marks like its log lines: ("process", "kind #n from START ms") at its end."""
    begun, marks, seen = {}, [], {}
    with open(trace) as f:
        for line in f:
            at, what, pid, *command = line.split()
            at = (float(at) - started) * 1000
            if what == "start":
                begun[pid] = (at, process_kind(command))
            elif pid in begun:
                start, kind = begun.pop(pid)
                seen[kind] = seen.get(kind, 0) + 1
                marks.append((at, "process", f"{kind} #{seen[kind]} from {start:.0f} ms"))
    return marks


def process_kind(command):
    """`docker image inspect (3 references)`, `docker ps`, `docker-compose config`: the program and its verb."""
    program, arguments = command[0], command[1:]
    if program == "docker-compose":
        verbs = [a for a in arguments if a in ("config", "up", "down", "ps", "version")]
        return f"docker-compose {verbs[0] if verbs else ' '.join(arguments[:1])}"
    if arguments[:1] == ["--config"]:
        arguments = arguments[2:]
    verb = " ".join(arguments[:2]) if arguments[:1] in (["image"], ["compose"]) else " ".join(arguments[:1])
    references = sum(1 for a in arguments if "@sha256:" in a)
    return f"docker {verb}" + (f" ({references} references)" if verb == "image inspect" and references > 1 else "")


def run_script(script, rendered, references, work):
    stamps = os.path.join(work, "script-stamps")
    clock = time.perf_counter()
    result = subprocess.run(["bash", script, PROJECT, rendered, stamps, *references], capture_output=True, text=True)
    elapsed = time.perf_counter() - clock
    if result.returncode != 0:
        raise SystemExit(f"{os.path.basename(script)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    with open(stamps) as f:
        t0, t1, t2 = (float(x) for x in f.read().split())
    return elapsed, {"docker pull": (t1 - t0) * 1000, "docker-compose up -d": (t2 - t1) * 1000}


def phase_table(marks_per_run):
    """Median time from process start at which each log message appeared, with what varies between runs elided.

    Image names are kept, so each image's own pull (or skip) is a row; the progress lines of the pull ("pulling 3
    images: ...") differ from run to run and are left out.
    """
    keyed = {}
    for marks in marks_per_run:
        for at, source, message in marks:
            if re.match(r"pulling \d+ images?:", message):
                continue
            if source == "process":
                key = "process: " + re.sub(r" from \d+ ms$", "", message)
                keyed.setdefault(key, []).append(at)
                keyed.setdefault(key + ", started", []).append(float(re.search(r"from (-?\d+) ms$", message).group(1)))
                continue
            key = f"{source}: " + re.sub(r"sha256:[0-9a-f]{64}|\d+\.\d+\.\d+\.\d+:\d+|/tmp/\S+|\d+ ms|\(digest [0-9a-f]+\)", "…", message)[:110]
            keyed.setdefault(key, []).append(at)
    rows = sorted(((statistics.median(v), k, len(v)) for k, v in keyed.items()))
    return [f"| {at:.0f} ms | {key} |" for at, key, count in rows if count == len(marks_per_run)]


def fmt(values):
    values = sorted(values)
    return f"{statistics.median(values) * 1000:.0f} ms ({values[0] * 1000:.0f}-{values[-1] * 1000:.0f})"


def scenario(name, launcher, config, state, scripts, references, runs, work, trace):
    cold = name == "cold boot"
    if "reference" in scripts and not cold:
        scripts = dict(scripts, reference=scripts["up alone"])
    scripts.pop("up alone", None)
    return timed(name, launcher, config, state, scripts, references, runs, work, trace)


def timed(name, launcher, config, state, scripts, references, runs, work, trace):
    """Times per side; `scripts` maps a side's name to (script, its arguments after the rendered file's)."""
    cold = name == "cold boot"
    times = {side: [] for side in ("launcher", *scripts)}
    marks, script_phases = [], []
    rendered = os.path.join(work, f"{name.replace(' ', '-')}-compose.yml")
    # Run 0 is a warm-up round, launcher first: it renders the file the scripts then use. Later rounds rotate the order.
    for i in range(runs + 1):
        order = list(times)
        for side in order[i % len(order):] + order[:i % len(order)]:
            down()
            if cold:
                remove_images(references)
            else:
                ensure_images(references)
            if side == "launcher":
                elapsed, run_marks = run_launcher(launcher, config, state, trace and os.path.join(work, "trace"))
                shutil.copy(os.path.join(state, "compose.yml"), rendered)
                if i > 0:
                    marks.append(run_marks)
            else:
                elapsed, phases = run_script(scripts[side], rendered, references, work)
                if i > 0 and side == "script":
                    script_phases.append(phases)
            if i > 0:
                times[side].append(elapsed)
            log(f"{name}: {'warm-up' if i == 0 else f'run {i} of {runs}'}, {side} {elapsed * 1000:.0f} ms")
    down()
    return times, marks, script_phases


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 1048576
    docker = sh("docker", "version", "--format", "{{.Server.Version}}").stdout.strip()
    client = sh("docker", "version", "--format", "{{.Client.Version}}").stdout.strip()
    compose = sh("docker-compose", "version", "--short").stdout.strip()
    return [f"- {os.cpu_count()} cores, {mem:.0f} GiB, {cpu}",
            f"- kernel {os.uname().release}, dockerd {docker} (storage driver vfs), docker client {client}, "
            f"docker-compose {compose} (standalone), Python {sys.version.split()[0]}"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--aot", required=True, help="the NativeAOT tee-launcher")
    parser.add_argument("--runs", type=int, default=7, help="runs of each side per scenario, after one warm-up pair")
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=4_000_000, help="bytes per second per connection")
    parser.add_argument("--scenarios", default="cold,warm", help="comma-separated: cold, warm")
    parser.add_argument("--reference", action="store_true",
                        help="also time a third side, the limit: cold, every image pulled at once by docker, then docker-compose up -d; warm, docker-compose up -d alone")
    parser.add_argument("--compose", choices=sorted(COMPOSES), default="1.29", help="the test environment's compose to use")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="20", help="the test environment's docker engine (and its client) to use")
    parser.add_argument("--trace", action="store_true", help="log every docker and compose process the launcher starts, with its start and end (costs every side a wrapper per process)")
    parser.add_argument("--pull-concurrency", type=int, help="write pull.concurrency into the launcher's config (default: left out, so the launcher's default applies)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="tee-stack-bench-")
    relay, references = None, []
    use_toolchain(work, args.compose, args.engine, args.trace)
    described = machine()
    try:
        digests = push_images(work)
        relay, relay_address = start_relay(args.delay_ms, args.rate)
        log(f"relay on {relay_address} in front of {REGISTRY}")
        scripts = {"script": os.path.join(work, "operator-boot.sh")}
        if args.reference:
            scripts["reference"] = os.path.join(work, "parallel-pulls-boot.sh")
            scripts["up alone"] = os.path.join(work, "up-alone-boot.sh")
        for path, text in zip(scripts.values(), (SCRIPT, PARALLEL_SCRIPT, UP_ALONE_SCRIPT)):
            with open(path, "w") as f:
                f.write(text)
        references = [f"{relay_address}/bench/stack-{name}@{digests[name]}" for name, _ in IMAGES]
        results = []
        for key, name, policy in (("cold", "cold boot", "always"), ("warm", "warm reboot", "missing")):
            if key not in args.scenarios.split(","):
                continue
            config, state = write_deployment(os.path.join(work, key), relay_address, digests, policy, args.pull_concurrency)
            results.append((name, policy, *scenario(name, args.aot, config, state, dict(scripts), references, args.runs, work, args.trace)))
    finally:
        if relay is not None:
            relay.terminate()
            relay.wait()
        down()
        remove_images(references)
        shutil.rmtree(work, ignore_errors=True)

    command = "bash tests/benchmarks/stack-bench.sh --runs " + str(args.runs) + "".join(
        f" --{flag.replace('_', '-')} {getattr(args, flag):g}" for flag, default in (("delay_ms", 30.0), ("rate", 4_000_000))
        if getattr(args, flag) != default) + (f" --pull-concurrency {args.pull_concurrency}" if args.pull_concurrency else "") + (" --reference" if args.reference else "") + (
        f" --scenarios {args.scenarios}" if args.scenarios != "cold,warm" else "") + (
        f" --compose {args.compose}" if args.compose != "1.29" else "") + (f" --engine {args.engine}" if args.engine != "20" else "") + (
        " --trace" if args.trace else "")
    print("## Stack boot from a distant registry")
    print()
    print("\n".join(described))
    print(f"- reproduce: `{command}`")
    print()
    print(f"Relay: {args.delay_ms:g} ms per request, {args.rate / 1e6:g} MB/s per connection. "
          f"Images: {', '.join(f'{n} {m} MiB' for n, m in IMAGES)} of random bytes, one layer each. "
          f"{args.runs} runs of each side, the order rotating every round, after one warm-up round.")
    print()
    print("| scenario | launcher: median (min-max) | operator script: median (min-max) | ratio of medians |")
    print("|---|---|---|---|")
    for name, policy, times, _, _ in results:
        ratio = statistics.median(times["launcher"]) / statistics.median(times["script"])
        print(f"| {name}, launcher policy {policy} | {fmt(times['launcher'])} | {fmt(times['script'])} | {ratio:.2f} |")
        if "reference" in times:
            limit = "all images pulled at once, then compose up" if name == "cold boot" else "compose up alone"
            ratio = statistics.median(times["reference"]) / statistics.median(times["script"])
            print(f"| {name}, the limit: {limit} | {fmt(times['reference'])} | {fmt(times['script'])} | {ratio:.2f} |")
            ratio = statistics.median(times["launcher"]) / statistics.median(times["reference"])
            print(f"| {name}, launcher against the limit | {fmt(times['launcher'])} | limit {fmt(times['reference'])} | {ratio:.2f} |")
    for name, _, _, marks, script_phases in results:
        print()
        print(f"### {name}: phases (medians)")
        print()
        print("| script step | duration |")
        print("|---|---|")
        for step in ("docker pull", "docker-compose up -d"):
            print(f"| {step} | {statistics.median(p[step] for p in script_phases):.0f} ms |")
        print()
        print("| launcher log line, from process start | message |")
        print("|---|---|")
        print("\n".join(phase_table(marks)))


if __name__ == "__main__":
    main()
