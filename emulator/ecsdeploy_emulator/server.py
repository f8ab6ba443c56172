"""The HTTP server: moto's own WSGI app, with the control API in front of `/_ecsdeploy/`.

`/_ecsdeploy/accounts/{id}/alb/` goes to the ALB data plane, the rest of `/_ecsdeploy/` to the
control API; CloudWatch's Smithy RPC v2 CBOR requests
(`/service/GraniteServiceVersion20100801/operation/...`) to the CBOR gateway, which answers them
through moto's app; everything else to moto's `DomainDispatcherApplication` exactly as
`moto_server` serves it (same request handler, threaded), after `patches.install()` has layered
the extension onto moto's classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from . import alb_data_plane, cbor_gateway, clock, iam_enforcement, patches
from .control_api import PREFIX, ControlApi


class EmulatorApp:
    """Routes the ALB data plane, `/_ecsdeploy/` to the control API, rpcv2Cbor to the CBOR gateway, the rest to moto."""

    def __init__(self, endpoint: Callable[[], str]) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.control = ControlApi(endpoint)
        self.alb = alb_data_plane.AlbDataPlane()
        self.cbor = cbor_gateway.CborGateway(self.moto)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if alb_data_plane.handles(path):
            return self.alb(environ, start_response)
        if path.startswith(PREFIX):
            return self.control(environ, start_response)
        if cbor_gateway.handles(path):
            return self.cbor(environ, start_response)
        if iam_enforcement.enabled():
            iam_enforcement.keep_raw_body(environ)  # the signature is over the bytes as sent
        return self.moto(environ, start_response)


def make_emulator_server(
    host: str, port: int, enforce_iam: bool = False, time_factor: float | None = None
) -> BaseWSGIServer:
    """A bound (not yet serving) threaded server; port 0 lets the kernel choose a free port.

    `enforce_iam` authorizes every AWS request against the caller's IAM policies (see
    `iam_enforcement`); off, the server is moto's usual one, where every request is allowed.
    `time_factor`: simulated seconds per real second (see `clock`; None: `clock.DEFAULT_FACTOR`)."""
    if time_factor is not None:
        clock.set_default_factor(time_factor)
    patches.install()
    if enforce_iam:
        iam_enforcement.enable()
        iam_enforcement.install()
    server: BaseWSGIServer | None = None

    def endpoint() -> str:
        assert server is not None
        return f"http://{host}:{server.server_port}"

    server = make_server(host, port, EmulatorApp(endpoint), threaded=True, request_handler=MotoRequestHandler)
    return server
