"""`schoolwatch web`: serve the board with uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import uvicorn

from schoolwatch.config import Config
from web.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def base_url_for(cfg: Config, host: str, port: int) -> str:
    """Where sign-in links point: `[web] base_url`, else this server's own address."""
    return cfg.web.base_url or f"http://{host}:{port}"


def serve(cfg: Config, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the board. Behind a reverse proxy on the same machine, the client's address comes
    from its X-Forwarded-For (for the sign-in rate limit), and https from X-Forwarded-Proto."""
    base_url = base_url_for(cfg, host, port)
    app = create_app(cfg, base_url=base_url)
    print(f"schoolwatch case board on http://{host}:{port}/ (sign-in links: {base_url}/sign-in)")
    print("stop with Ctrl-C", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
        access_log=False,
        server_header=False,
    )
