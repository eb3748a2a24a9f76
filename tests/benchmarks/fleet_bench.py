#!/usr/bin/env python3
"""Fleet boot benchmark of issue 22: N launchers boot at once through one pull-through cache.

Each launcher has a dockerd of its own (vfs, no bridge, as in the test environment), so nothing is shared but
the cache. The origin is a docker-registry of the benchmark's own (access log on, so every request it serves is
counted) behind slow_relay.py (30 ms per request, 4 MB/s per connection); the cache is Debian's docker-registry
in proxy mode (`proxy: remoteurl:` the relay), configured in each launcher as the origin's mirror. The image is
the busybox root of the test environment plus --megabytes of random bytes, one layer.

Scenarios, each --runs times:
- single cold: an empty cache, one launcher;
- single warm: the cache filled by that boot, the image removed from the daemon, one launcher;
- fleet cold: an empty cache, N launchers started at once;
- fleet warm: the cache filled by the cold storm, the images removed from every daemon, N launchers at once.

Reported per scenario: median and slowest boot (wall time of `tee-launcher run`, supervise off) and the
requests the origin served per blob (GET of the layer and of the config) and for the manifest, as the origin's
access log counts them. Needs the test environment (tests/env/testenv.sh env exported) and a NativeAOT launcher.
Prints markdown on stdout; progress goes to stderr.
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack_bench import image_tar  # noqa: E402  the same image recipe as the stack benchmark

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = "bench/fleet-app"
PROJECT = "bench_fleet"
ACCESS = re.compile(r'"(GET|HEAD) /v2/([^ ]+)/(blobs|manifests)/(sha256:[0-9a-f]{64}) HTTP')


def log(message):
    print(f"fleet-bench: {message}", file=sys.stderr, flush=True)


def sh(*args, check=True, env=None):
    return subprocess.run(args, check=check, capture_output=True, text=True, env=env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, process, what):
    import urllib.request
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer at {url}")


def start_registry(folder, port, proxy=None):
    os.makedirs(folder, exist_ok=True)
    config = os.path.join(folder, "config.yml")
    with open(config, "w") as f:
        f.write(f"""version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {folder}/data
http:
  addr: 127.0.0.1:{port}
""" + (f"proxy:\n  remoteurl: http://{proxy}\n" if proxy else ""))
    logfile = open(os.path.join(folder, "registry.log"), "w")
    process = subprocess.Popen(["docker-registry", "serve", config], stdout=logfile, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/v2/", process, "docker-registry")
    return process, os.path.join(folder, "registry.log")


def start_relay(upstream):
    relay = subprocess.Popen([sys.executable, os.path.join(HERE, "slow_relay.py"), "--upstream", upstream],
                             stdout=subprocess.PIPE, text=True)
    line = relay.stdout.readline().split()
    if line[:1] != ["listening"]:
        relay.kill()
        raise SystemExit("slow_relay.py did not start")
    return relay, line[1]


def start_dockerd(work, i):
    data, execroot = os.path.join(work, f"d{i}"), f"/tmp/tfb{os.getpid()}e{i}"
    os.makedirs(data, exist_ok=True)
    host = f"unix://{work}/d{i}.sock"
    process = subprocess.Popen(
        ["dockerd", "--storage-driver=vfs", "--iptables=false", "--ip-masq=false", "--bridge=none",
         "--data-root", data, "--exec-root", execroot, "--pidfile", os.path.join(work, f"d{i}.pid"), "--host", host],
        stdout=open(os.path.join(work, f"d{i}.log"), "w"), stderr=subprocess.STDOUT, start_new_session=True)
    env = dict(os.environ, DOCKER_HOST=host)
    for _ in range(300):
        if sh("docker", "version", check=False, env=env).returncode == 0:
            return process, env, execroot
        if process.poll() is not None:
            raise SystemExit(f"dockerd {i} exited; see {work}/d{i}.log")
        time.sleep(0.2)
    raise SystemExit(f"dockerd {i} did not answer")


def push_image(work, origin, megabytes):
    """Imports the image on the test environment's dockerd and pushes it straight to the origin; returns its digest."""
    tar = os.path.join(work, "image.tar")
    with open(tar, "wb") as f:
        f.write(image_tar(megabytes))
    local = f"{origin}/{REPOSITORY}:bench"
    sh("docker", "import", "--change", 'CMD ["/bin/sleep", "3600"]', tar, local)
    sh("docker", "push", local)
    digests = sh("docker", "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", local).stdout
    sh("docker", "rmi", "-f", local)
    os.remove(tar)
    return next(line.split("@")[1] for line in digests.splitlines() if line.startswith(f"{origin}/{REPOSITORY}@"))


def write_deployment(work, i, relay, cache, digest):
    folder = os.path.join(work, f"launcher{i}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "compose.yml"), "w") as f:
        f.write('version: "2.4"\nservices:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    network_mode: none\n'
                '    command: ["/bin/sleep", "3600"]\n')
    state = f"/dev/shm/tfb{os.getpid()}-{i}"
    config = os.path.join(folder, "launcher.toml")
    with open(config, "w") as f:
        f.write(f"""[launcher]
platform = "dev"
state_dir = "{state}"

[image]
reference = "{relay}/{REPOSITORY}"
default_digest = "{digest}"

[pull]
attempt_timeout = "5m"

[[registry]]
host = "{relay}"
mirrors = ["{cache}"]

[measurement]
backend = "none"

[compose]
file = "compose.yml"
project = "{PROJECT}"
supervise = false
""")
    return config, state


def reset_daemon(env):
    ids = sh("docker", "ps", "-aq", check=False, env=env).stdout.split()
    if ids:
        sh("docker", "rm", "-f", *ids, env=env)
    images = sh("docker", "images", "-q", check=False, env=env).stdout.split()
    if images:
        sh("docker", "rmi", "-f", *sorted(set(images)), env=env)


def boot_all(launcher, fleet):
    """Starts every launcher at once; returns each one's wall time in seconds."""
    started = []
    for config, state, env in fleet:
        shutil.rmtree(state, ignore_errors=True)
        started.append((time.perf_counter(), subprocess.Popen([launcher, "run", "--config", config], env=env,
                                                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    times = []
    for clock, process in started:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"tee-launcher run failed ({process.returncode}): {err.strip()[-2000:]}")
        times.append(time.perf_counter() - clock)
    return times


def origin_counts(logfile, offset, digest_of_layer, digest_of_config, manifest):
    """GETs the origin served for the layer, the config and the manifest, other blobs, and HEADs of anything."""
    with open(logfile) as f:
        f.seek(offset)
        text = f.read()
    counts = {"layer": 0, "config": 0, "manifest": 0, "other": 0, "head": 0}
    roles = {digest_of_layer: "layer", digest_of_config: "config", manifest: "manifest"}
    for method, _, _, digest in ACCESS.findall(text):
        counts["head" if method == "HEAD" else roles.get(digest, "other")] += 1
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--aot", required=True, help="the NativeAOT tee-launcher")
    parser.add_argument("--fleet", type=int, default=4, help="launchers booted at once, each with its own dockerd")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--megabytes", type=int, default=8, help="random bytes in the image's one layer")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="tfb-", dir="/tmp")
    processes, execroots, states = [], [], []
    try:
        origin_port = free_port()
        origin, origin_log = start_registry(os.path.join(work, "origin"), origin_port)
        processes.append(origin)
        digest = push_image(work, f"127.0.0.1:{origin_port}", args.megabytes)
        manifest = json.loads(sh("curl", "-fsS", "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
                                 f"http://127.0.0.1:{origin_port}/v2/{REPOSITORY}/manifests/{digest}").stdout)
        layer, config_blob = manifest["layers"][0]["digest"], manifest["config"]["digest"]
        log(f"pushed {REPOSITORY}@{digest} ({args.megabytes} MiB random + busybox, layer {manifest['layers'][0]['size']} bytes)")
        relay, relay_address = start_relay(f"127.0.0.1:{origin_port}")
        processes.append(relay)
        daemons = []
        for i in range(args.fleet):
            process, env, execroot = start_dockerd(work, i)
            processes.append(process)
            execroots.append(execroot)
            daemons.append(env)
        log(f"{args.fleet} dockerds up; relay {relay_address} in front of the origin 127.0.0.1:{origin_port}")

        results = {}
        for run in range(args.runs):
            for name, size in (("single", 1), ("fleet", args.fleet)):
                cache_port = free_port()
                cache, _ = start_registry(os.path.join(work, f"cache-{name}-{run}"), cache_port, proxy=relay_address)
                try:
                    fleet = []
                    for i in range(size):
                        reset_daemon(daemons[i])
                        config, state = write_deployment(work, i, relay_address, f"127.0.0.1:{cache_port}", digest)
                        states.append(state)
                        fleet.append((config, state, daemons[i]))
                    for temperature in ("cold", "warm"):
                        for env in daemons[:size]:
                            reset_daemon(env)
                        offset = os.path.getsize(origin_log)
                        times = boot_all(args.aot, fleet)
                        time.sleep(1)
                        counts = origin_counts(origin_log, offset, layer, config_blob, digest)
                        results.setdefault(f"{name} {temperature}", []).append((times, counts))
                        log(f"run {run + 1}: {name} {temperature}: boots {', '.join(f'{t:.2f}' for t in times)} s; origin {counts}")
                finally:
                    cache.terminate()
                    cache.wait()
                    for env in daemons[:size]:
                        reset_daemon(env)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in execroots + states:
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    def median(key):
        return statistics.median(t for times, _ in results[key] for t in times)

    print("## Fleet boot through a pull-through cache")
    print()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    print(f"- {os.cpu_count()} cores, {cpu}; dockerd {sh('docker', 'version', '--format', '{{.Server.Version}}').stdout.strip()} (vfs) per launcher")
    print(f"- reproduce: `bash tests/benchmarks/fleet-bench.sh --fleet {args.fleet} --runs {args.runs} --megabytes {args.megabytes}`")
    print()
    print(f"Origin behind slow_relay.py (30 ms per request, 4 MB/s per connection); cache: docker-registry in proxy mode, "
          f"the launchers' mirror. {args.runs} runs of each scenario; a boot is `tee-launcher run` to exit (supervise off).")
    print()
    print("| scenario | boots | median boot | slowest boot | median / single boot of the same cache state | origin GETs per run: layer, config, manifest (HEADs) |")
    print("|---|---|---|---|---|---|")
    for key in ("single cold", "single warm", "fleet cold", "fleet warm"):
        runs = results[key]
        times = [t for ts, _ in runs for t in ts]
        counts = " / ".join(f"{c['layer']}, {c['config']}, {c['manifest']} ({c['head']})" for _, c in runs)
        print(f"| {key} | {len(runs[0][0])} at once | {statistics.median(times):.2f} s | {max(times):.2f} s | "
              f"{statistics.median(times) / median('single ' + key.split()[1]):.2f} | {counts} |")


if __name__ == "__main__":
    main()
