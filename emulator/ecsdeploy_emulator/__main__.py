"""Runs the emulator: `python -m ecsdeploy_emulator --host 127.0.0.1 --port 0 --port-file FILE`.

--port 0 lets the kernel pick a free port; the chosen port is written to --port-file (atomically)
once the socket is bound, so a caller that waits for the file has no race with other processes.
--parent-pid PID makes the server exit by itself within a second of that process going away, so a
test harness that starts a private emulator cannot leak it.
--enforce-iam authorizes every AWS request against the caller's IAM policies (`iam_enforcement`).
--time-factor F runs every account's simulated clock at F simulated seconds per real second (default
100; see `clock`); an account can have its own through the control API.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

# moto reads these when its modules load: set them before anything imports moto.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AmazonECSTaskExecutionRolePolicy exists
os.environ["MOTO_ACM_VALIDATION_WAIT"] = "0"  # certificates are ISSUED at once
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

PARENT_POLL_SECONDS = 1.0
log = logging.getLogger("ecsdeploy_emulator")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ecsdeploy_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 = a free one (default)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        help="authorize every AWS request against the calling user's IAM policies (default: allow all)",
    )
    parser.add_argument(
        "--time-factor",
        type=_time_factor,
        default=None,
        help="simulated seconds per real second for rollouts, health checks and drains (default 100; 0 freezes)",
    )
    return parser.parse_args(argv)


def _time_factor(text: str) -> float:
    try:
        factor = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
    if not 0 <= factor <= 1_000_000:
        raise argparse.ArgumentTypeError("the time factor must be from 0 to 1000000")
    return factor


def write_port_file(path: Path, port: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n")
    temporary.replace(path)


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(pid: int) -> None:
    """Polls every second; when `pid` is gone, stops this process the way SIGTERM would."""
    while is_alive(pid):
        time.sleep(PARENT_POLL_SECONDS)
    log.info("parent process %s is gone; shutting down", pid)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from moto import __version__ as moto_version

    from .server import make_emulator_server

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server = make_emulator_server(args.host, args.port, enforce_iam=args.enforce_iam, time_factor=args.time_factor)
    port = server.server_port
    if args.port_file:
        write_port_file(args.port_file, port)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    from .clock import default_factor

    log.info(
        "ecsdeploy emulator (moto %s) listening on http://%s:%s%s, time factor %g",
        moto_version,
        args.host,
        port,
        " (IAM enforced)" if args.enforce_iam else "",
        default_factor(),
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        log.info("stopped")
        logging.shutdown()
        # Nothing to persist: skip the interpreter's teardown of moto's large in-memory state
        # (seconds once a few dozen accounts exist).
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
