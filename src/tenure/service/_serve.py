"""Running the service: uvicorn on an address, loopback unless told otherwise."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from tenure.errors import ConfigError
from tenure.workspace import Workspace
from tenure.workspace._serving import claim, release

__all__ = ["is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(workspace: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          say: Callable[[str], None] = print) -> None:
    """Serve ``workspace`` at ``host``:``port`` until interrupted; ``say`` hears where."""
    import uvicorn

    from tenure.service._app import create_app

    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is not a port; use a number from 1 to 65535")
    ws = Workspace(workspace)
    url = f"http://{host}:{port}"
    claim(ws.path, url)
    try:
        app = create_app(ws)
        if is_loopback(host):
            say(f"Serving {ws.path} at {url} (this machine only; --host 0.0.0.0 opens it to "
                "the network)")
        else:
            say(f"Serving {ws.path} at {url}, open to the network: every request needs a "
                "token; put it behind HTTPS")
        say("Log in with a token from `tenure token create --role viewer` (make it before "
            "starting, or through the API as an admin); stop with Ctrl-C")
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        ws.close()
        release(ws.path)
