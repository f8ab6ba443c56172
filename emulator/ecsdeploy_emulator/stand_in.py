"""A stand-in for the deployed services' health endpoints, for trying ecsdeploy locally.

In AWS the rollout gate's HTTP check goes through the ALB (https://stage.api.acme.example/stage/
auth/health). This server answers in the services' place: 200 to every GET, whatever the rules,
targets or images. (The emulator's ALB data plane, `alb_data_plane`, routes through the account's
listener rules to apps a test scripts; this stand-in is the lenient one for trying things out.)
Started by scripts/emulator-account and scripts/try:

    python -m ecsdeploy_emulator.stand_in --port-file FILE

It binds 127.0.0.1 on a free port and writes the port to FILE. With --parent-pid PID it exits
within a second of that process going away (the shell that started it), so none is left behind.
"""

from __future__ import annotations

import argparse
import http.server
import os
import threading
import time


class Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    arguments = parser.parse_args()
    if arguments.parent_pid:
        threading.Thread(target=_exit_without, args=(arguments.parent_pid,), daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    with open(arguments.port_file, "w") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()


def _exit_without(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.5)


if __name__ == "__main__":
    main()
