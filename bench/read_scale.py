"""The read benchmark of issue 15: how the cost of a no-op plan grows with the number of services.

Run through `scripts/bench` (it builds the binary, starts the emulator and the latency proxy):

    scripts/bench                          # N = 4, 10, 20, 40; 0 and 50 ms per call; fabfuel comparison
    scripts/bench --services 4,40 --delay-ms 50 --repeat 3 --no-fabfuel

For each N, a fresh emulator account gets the standard world, N generated services
(`svc01`..`svcNN`, each with its repository, image, secret and ALB path, the shipped manifest's
defaults) deployed to `stage` with one `up`, then a no-op `plan --stats` is timed through the
fault proxy twice: with no delay, and with every AWS call delayed (`--delay-ms`, as AWS's own
latency might). Printed per N: calls, sequential rounds (the latency proxy `--stats` reports),
median wall time at each delay; then every service is rolled out at once (a changed environment
variable) and gated, and what the gates' polls cost is printed per poll (issue 15, goal 4).

The fabfuel comparison (issue 15, goal 2): in another account the shipped manifest (4 services) is
deployed, then at 0 ms and under the same delay a no-op `ecsdeploy up` of the 4 is timed against fabfuel's
`ecs deploy acme stage-auth --timeout -1` (PyPI ecs-deploy, installed by scripts/bench into
.bench/venv) of one service.

The tagging index of each account is set to answer at once (lag 0): the benchmark measures the
steady state, where AWS's Resource Groups Tagging API has long caught up with the deploy.
Wall times are figures for a report, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".emulator" / "venv" / "bin" / "python"


def post(url: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body or {}).encode(), method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


class Account:
    """A fresh emulated account with the standard world."""

    def __init__(self, emulator: str) -> None:
        created = post(f"{emulator}/_ecsdeploy/accounts")
        self.emulator = emulator
        self.id = created["account_id"]
        self.key = created["access_key_id"]
        self.secret = created["secret_access_key"]
        post(f"{emulator}/_ecsdeploy/accounts/{self.id}/world")
        try:
            post(f"{emulator}/_ecsdeploy/accounts/{self.id}/tagging-index", {"lag_seconds": 0}, method="PUT")
        except urllib.error.HTTPError as error:  # an emulator without a tagging index lag
            if error.code != 404:
                raise

    def env(self, endpoint: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID=self.key,
            AWS_SECRET_ACCESS_KEY=self.secret,
            ECSDEPLOY_ACCOUNT=self.id,
            ECSDEPLOY_HEALTH_CHECK_BASE_URL=f"{self.emulator}/_ecsdeploy/accounts/{self.id}/alb/acme/stage.api.acme.example",
            ECSDEPLOY_POLL_INTERVAL="500ms",
        )
        env.pop("AWS_PROFILE", None)
        return env

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.emulator,
            region_name="us-east-1",
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
        )


def generated_manifest(directory: Path, services: int) -> list[str]:
    """The shipped manifest's project and defaults with `services` generated services, stage only."""
    shipped = (REPO / "services.toml").read_text()
    head = shipped[: shipped.index("[services.")]
    names = [f"svc{i:02d}" for i in range(1, services + 1)]
    body = [head]
    for number, name in enumerate(names, start=1):
        # Explicit priorities: the default (a hash of the names) may collide at 40 services.
        body.append(
            f'[services.{name}]\nrepository = "acme/{name}"\npath = "/{name}/*"\npriority = {100 + number}\n\n'
            f'[services.{name}.env]\nLOG_LEVEL = "info"\n\n'
            f'[services.{name}.secrets]\nDB_PASSWORD = "{name}/db#password"\n\n'
        )
    (directory / "services.toml").write_text("".join(body))
    (directory / "environments").mkdir()
    shutil.copy(REPO / "environments" / "stage.toml", directory / "environments" / "stage.toml")
    return names


def run(binary: Path, args: list[str], env: dict[str, str], manifest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-f", str(manifest), *args], env=env, capture_output=True, text=True, check=False
    )


def must(completed: subprocess.CompletedProcess[str], what: str) -> None:
    if completed.returncode != 0:
        sys.exit(f"bench: {what} failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")


def deploy(binary: Path, account: Account, manifest: Path, names: list[str], secrets: bool) -> None:
    env = account.env(account.emulator)
    if secrets:
        manager = account.client("secretsmanager")
        for name in names:
            manager.create_secret(Name=f"stage/{name}/db", SecretString=json.dumps({"password": "bench"}))
    must(run(binary, ["repositories", "--env", "stage", "--yes"], env, manifest), "repositories")
    for name in names:
        image = subprocess.run(
            [str(REPO / "scripts" / "emulator-push-image"), f"acme/{name}", "latest"],
            env=env, capture_output=True, text=True, check=False,
        )
        must(image, f"pushing acme/{name}:latest")
        app = subprocess.run(
            [str(REPO / "scripts" / "emulator-app"), f"stage-{name}", "/health=200"],
            env=env, capture_output=True, text=True, check=False,
        )
        must(app, f"scripting stage-{name}")
    must(run(binary, ["up", "--env", "stage", "--yes"], env, manifest), "the first up")


def set_delay(proxy: str, account: Account, delay_ms: int) -> None:
    rules = [] if delay_ms == 0 else [{"fault": "delay", "delay_ms": delay_ms}]
    post(f"{proxy}/_fault/rules", {"access_key": account.key, "rules": rules})


def timed(binary: Path, args: list[str], env: dict[str, str], manifest: Path) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    completed = run(binary, args, env, manifest)
    elapsed = time.monotonic() - started
    must(completed, " ".join(args))
    document = json.loads(completed.stdout)
    if document.get("plan", document).get("has_changes"):
        sys.exit(f"bench: {' '.join(args)} was not a no-op: {completed.stdout[:2000]}")
    return elapsed, document["stats"]


def measure_plan(binary: Path, account: Account, manifest: Path, proxy: str, delays: list[int], repeat: int) -> dict:
    env = account.env(proxy)
    row: dict[str, Any] = {}
    for delay in delays:
        set_delay(proxy, account, delay)
        times = []
        for _ in range(repeat):
            elapsed, stats = timed(binary, ["plan", "--env", "stage", "--stats", "--output", "json"], env, manifest)
            times.append(elapsed)
        row["calls"] = stats["total_api_calls"]
        row["rounds"] = stats.get("sequential_rounds")
        row[f"wall_{delay}ms"] = statistics.median(times)
        row["by_operation"] = {f"{c['service']}:{c['operation']}": c["calls"] for c in stats["api_calls"]}
    set_delay(proxy, account, 0)
    return row


def calls_of(stats: dict[str, Any], operation: str) -> int:
    return sum(c["calls"] for c in stats["api_calls"] if c["operation"] == operation)


def measure_gate(binary: Path, account: Account, manifest: Path, names: list[str]) -> dict[str, Any]:
    """Every service rolled out at once (a changed environment variable), gated: what the gates'
    polls cost. The read's own DescribeServices (a no-op plan's, after) are taken off; each poll
    looks at every service still gated and reads one target group's health per service, so
    polls = DescribeTargetHealth / N (fewer when some services finish early)."""
    env = account.env(account.emulator)
    services = manifest / "services.toml"
    services.write_text(services.read_text().replace('LOG_LEVEL = "info"', 'LOG_LEVEL = "debug"'))
    completed = run(binary, ["up", "--env", "stage", "--yes", "--stats", "--output", "json"], env, manifest)
    must(completed, "the gated up")
    up = json.loads(completed.stdout)["stats"]
    completed = run(binary, ["plan", "--env", "stage", "--stats", "--output", "json"], env, manifest)
    must(completed, "the plan after the gated up")
    plan = json.loads(completed.stdout)["stats"]
    looks = calls_of(up, "DescribeServices") - calls_of(plan, "DescribeServices")
    health = calls_of(up, "DescribeTargetHealth")
    polls = health / len(names) if health else 0
    return {
        "gate_describe_services": looks,
        "gate_describe_target_health": health,
        "polls": polls,
        "describe_services_per_poll": looks / polls if polls else None,
        "describe_target_health_per_poll": health / polls if polls else None,
    }


def fabfuel(binary: Path, emulator: str, proxy: str, delay: int, repeat: int) -> dict[str, Any]:
    ecs = REPO / ".bench" / "venv" / "bin" / "ecs"
    account = Account(emulator)
    shipped = Path(tempfile.mkdtemp(prefix="ecsdeploy-bench-shipped-"))
    shutil.copy(REPO / "services.toml", shipped / "services.toml")
    shutil.copytree(REPO / "environments", shipped / "environments")
    deploy(binary, account, shipped, ["auth", "gmail", "calendar", "ai-router"], secrets=False)
    env = account.env(proxy)
    result: dict[str, Any] = {}
    # Ours first, then theirs: fabfuel's deploy registers a new revision and moves the service
    # to it, which would make the next `up` meet a rollout it never saw.
    for delay in (0, delay):
        set_delay(proxy, account, delay)
        ours = []
        for _ in range(repeat):
            up = ["up", "--env", "stage", "--yes", "--stats", "--output", "json"]
            elapsed, stats = timed(binary, up, env, shipped)
            ours.append(elapsed)
        result[f"ecsdeploy_noop_up_4_services_{delay}ms"] = statistics.median(ours)
        result["ecsdeploy_calls"] = stats["total_api_calls"]
        result["ecsdeploy_rounds"] = stats.get("sequential_rounds")
    fabfuel_env = dict(env, AWS_DEFAULT_REGION="us-east-1")
    for delay in (0, delay):
        set_delay(proxy, account, delay)
        theirs = []
        for _ in range(repeat):
            started = time.monotonic()
            completed = subprocess.run(
                [str(ecs), "deploy", "acme", "stage-auth", "--timeout", "-1"],
                env=fabfuel_env, capture_output=True, text=True,
            )
            theirs.append(time.monotonic() - started)
            must(completed, "fabfuel's ecs deploy")
        result[f"fabfuel_ecs_deploy_1_service_{delay}ms"] = statistics.median(theirs)
    set_delay(proxy, account, 0)
    shutil.rmtree(shipped, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--services", default="4,10,20,40")
    parser.add_argument("--delay-ms", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-fabfuel", action="store_true")
    parser.add_argument("--no-gate", action="store_true", help="skip the gated up of every service")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    sizes = [int(n) for n in args.services.split(",")]
    delays = [0, args.delay_ms]
    rows = {}
    for size in sizes:
        account = Account(args.emulator)
        manifest = Path(tempfile.mkdtemp(prefix=f"ecsdeploy-bench-{size}-"))
        names = generated_manifest(manifest, size)
        started = time.monotonic()
        deploy(args.binary, account, manifest, names, secrets=True)
        print(f"N={size}: deployed in {time.monotonic() - started:.1f}s (account {account.id})", file=sys.stderr)
        rows[size] = measure_plan(args.binary, account, manifest, args.proxy, delays, args.repeat)
        if not args.no_gate:
            rows[size]["gate"] = measure_gate(args.binary, account, manifest, names)
        shutil.rmtree(manifest, ignore_errors=True)
    print(f"no-op plan of stage, median of {args.repeat}; delay = every AWS call delayed by the proxy")
    print(f"{'N':>4} {'calls':>6} {'rounds':>7} {'wall 0ms':>9} {f'wall {args.delay_ms}ms':>10}")
    for size, row in rows.items():
        print(
            f"{size:>4} {row['calls']:>6} {row['rounds']!s:>7} {row['wall_0ms']:>8.2f}s"
            f" {row[f'wall_{args.delay_ms}ms']:>9.2f}s"
        )
    if not args.no_gate:
        print("gating every service at once (one up after a changed environment variable), per poll:")
        print(f"{'N':>4} {'polls':>6} {'DescribeServices':>17} {'ceil(N/10)':>11} {'DescribeTargetHealth':>21}")
        for size, row in rows.items():
            gate = row["gate"]
            per_poll = gate["describe_services_per_poll"]
            health = gate["describe_target_health_per_poll"]
            print(
                f"{size:>4} {gate['polls']:>6.1f} {per_poll if per_poll is None else f'{per_poll:.2f}':>17}"
                f" {-(-size // 10):>11} {health if health is None else f'{health:.2f}':>21}"
            )
    if len(rows) >= 2:
        (n1, r1), (n2, r2) = list(rows.items())[0], list(rows.items())[-1]
        slope = (r2["calls"] - r1["calls"]) / (n2 - n1)
        print(f"calls = {r1['calls'] - slope * n1:.1f} + {slope:.2f} N (from N={n1} and N={n2})")
    result: dict[str, Any] = {"delay_ms": args.delay_ms, "plan": rows}
    if not args.no_fabfuel:
        comparison = fabfuel(args.binary, args.emulator, args.proxy, args.delay_ms, args.repeat)
        result["fabfuel"] = comparison
        print(
            f"no-op `ecsdeploy up` of 4 services ({comparison['ecsdeploy_calls']} calls, "
            f"{comparison['ecsdeploy_rounds']} rounds) vs fabfuel `ecs deploy` of 1 service, median of {args.repeat}:"
        )
        for delay in (0, args.delay_ms):
            ours = comparison[f"ecsdeploy_noop_up_4_services_{delay}ms"]
            theirs = comparison[f"fabfuel_ecs_deploy_1_service_{delay}ms"]
            print(f"  at {delay:>3} ms per call: {ours:.2f}s vs {theirs:.2f}s: ratio {ours / theirs:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
