"""`schoolwatch demo`: the whole pipeline against a bundled sample site on 127.0.0.1.

The site (flows/demo_site/) is a fictional school's local news feed, web-alert feed and parents'
forum. It is served from memory on a free port, so the demo needs no network at all.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from schoolwatch.errors import ConfigError

SITE_DIR = Path(__file__).parent / "demo_site"
MARKER = ".schoolwatch-demo"
PLACEHOLDER = "DEMO_HOST"
# who may sign in to the case board on the demo's data (digest_to and alert_to of its config)
DEMO_SLT = "head@st-osrics.example"
DEMO_DSL = "dsl@st-osrics.example"

# path on the sample site -> (file in SITE_DIR, content type)
ROUTES = {
    "/robots.txt": ("robots.txt", "text/plain; charset=utf-8"),
    "/news.rss": ("news.rss", "application/rss+xml; charset=utf-8"),
    "/alerts.atom": ("alerts.atom", "application/atom+xml; charset=utf-8"),
    "/forum/t/42": ("forum.html", "text/html; charset=utf-8"),
}


# timestamps in the sample files: ISO 8601 (Atom, HTML) and RFC 822 (RSS)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_RFC = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")
_ISO_FMT = "%Y-%m-%dT%H:%M:%SZ"
_RFC_FMT = "%a, %d %b %Y %H:%M:%S %z"


def _parse(stamp: str) -> datetime:
    if stamp.endswith("Z"):
        return datetime.strptime(stamp, _ISO_FMT).replace(tzinfo=UTC)
    return datetime.strptime(stamp, _RFC_FMT)


def shift_dates(texts: dict[str, str], now: datetime) -> dict[str, str]:
    """Move every timestamp by whole days so the newest post is from the last 24 hours.

    The sample posts were written for one week; shifting keeps the digest's "today", its
    30-day chart and the cases' deadlines meaningful whenever the demo is run.
    """
    stamps = [_parse(m) for t in texts.values() for m in _ISO.findall(t) + _RFC.findall(t)]
    if not stamps:
        return texts
    shift = timedelta(days=(now - max(stamps)).days)

    def iso(m: re.Match) -> str:
        return (_parse(m.group()) + shift).strftime(_ISO_FMT)

    def rfc(m: re.Match) -> str:
        return (_parse(m.group()) + shift).strftime(_RFC_FMT)

    return {k: _RFC.sub(rfc, _ISO.sub(iso, t)) for k, t in texts.items()}


def site_pages(host: str, now: datetime | None = None) -> dict[str, tuple[bytes, str]]:
    """The sample site's pages: placeholder host replaced, dates moved to the last week."""
    texts = {
        path: (SITE_DIR / name).read_text(encoding="utf-8").replace(PLACEHOLDER, host)
        for path, (name, _) in ROUTES.items()
    }
    texts = shift_dates(texts, now or datetime.now(UTC))
    return {path: (texts[path].encode("utf-8"), ROUTES[path][1]) for path in ROUTES}


@contextmanager
def serve_site() -> Iterator[str]:
    """Serve the sample site on 127.0.0.1 on a free port; yields 'host:port'."""
    pages: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path.split("?", 1)[0])
            if page is None:
                self.send_error(404)
                return
            body, ctype = page
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host = f"127.0.0.1:{server.server_address[1]}"
    pages.update(site_pages(host))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


def prepare_dir(directory: Path) -> None:
    """Start from an empty demo directory; refuse to touch one that is not ours."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise ConfigError(
                f"{directory} exists and is not a schoolwatch demo directory; "
                "choose another with --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("created by `schoolwatch demo`; safe to delete\n")


def write_config(directory: Path, host: str) -> Path:
    template = (SITE_DIR / "schoolwatch.toml.template").read_text(encoding="utf-8")
    path = directory / "schoolwatch.toml"
    path.write_text(template.replace(PLACEHOLDER, host), encoding="utf-8")
    return path


def run_demo(directory: Path) -> dict:
    """Serve the sample site, run one full cycle into `directory`, print what happened."""
    from flows.daily import daily_monitor
    from flows.report import print_run_summary

    prepare_dir(directory)
    with serve_site() as host:
        config = write_config(directory, host)
        print(f"sample site for a fictional school served at http://{host}/")
        summary = daily_monitor(config_path=str(config))
    print()
    print_run_summary(summary)
    print()
    print("Try next:")
    print(f"  uv run schoolwatch sql --config {config} \\")
    query = "SELECT severity, rung, author, left(text, 60) AS text FROM flagged ORDER BY rung DESC"
    print(f'    "{query}"')
    print(f"  uv run schoolwatch cases list --config {config}")
    print()
    print("Work the cases in a browser (the case board):")
    print(f"  uv run schoolwatch web --config {config}")
    print(
        f"  then open http://127.0.0.1:8765/ and sign in as {DEMO_SLT} (SLT) or {DEMO_DSL} (DSL);"
    )
    print(
        f"  the sign-in link is written to {directory / 'outbox'}/ and shown in the board's "
        "console (the demo sends no email)"
    )
    return summary
