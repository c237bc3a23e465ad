"""`schoolwatch web`: serve the board with uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import socket

import uvicorn

from schoolwatch.config import Config
from schoolwatch.errors import SchoolwatchError
from web.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def base_url_for(cfg: Config, host: str, port: int) -> str:
    """Where sign-in links point: `[web] base_url`, else this server's own address."""
    return cfg.web.base_url or f"http://{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or one line saying why not."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        raise SchoolwatchError(
            f"cannot listen on {host}:{port}: {e.strerror or e}; is the board already running? "
            "choose another with --port"
        ) from None
    return sock


def serve(cfg: Config, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the board. Behind a reverse proxy on the same machine, the client's address comes
    from its X-Forwarded-For (for the sign-in rate limit)."""
    sock = listen(host, port)
    base_url = base_url_for(cfg, host, port)
    app = create_app(cfg, base_url=base_url)
    print(f"schoolwatch case board on http://{host}:{port}/ (sign-in links: {base_url}/sign-in)")
    print("stop with Ctrl-C", flush=True)
    config = uvicorn.Config(
        app,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
        access_log=False,  # a sign-in link is in a URL
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
