"""Whole-flow fixtures: a fixture site and a config (the Prefect harness: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

DATA = Path(__file__).parent.parent / "data" / "flows"

CONFIG = """
[warehouse]
path = "wh/schoolwatch.duckdb"

[http]
user_agent = "schoolwatch-test/0.1"
timeout_s = 2
max_bytes = 20000
min_interval_s = 0
retries = 0

[email]
from = "schoolwatch@fernhill.example"
outbox = "outbox"
{smtp}

[[schools]]
id = "fernhill-abbey"
name = "Fernhill Abbey Primary School, Coldbrook"
names = ["Fernhill Abbey Primary", "Fernhill Abbey Primary School"]
ambiguous_names = ["Fernhill Abbey"]
context = ["Coldbrook", "Mill Lane"]
exclude = ["Fernhill Abbey Rovers"]
digest_to = ["head@fernhill.example"]
alert_to = ["dsl@fernhill.example"]
people = [
  {{ name = "Ruth Linden", role = "headteacher", aliases = ["Mrs Linden"] }},
  {{ name = "Owen Ashdown", role = "teacher", aliases = ["Mr Ashdown"] }},
]

  [[schools.sources]]
  id = "gazette"
  kind = "rss"
  url = "{base}/news.rss"

  [[schools.sources]]
  id = "parents-forum"
  kind = "web"
  url = "{base}/forum/t/7"
  item = "article.post"
  text = ".post-body"
  title = "h2"
  author = ".post-author"
  published = "time@datetime"
  link = "a.permalink@href"
  local = true
{extra_sources}
"""


def serve_site(httpserver: HTTPServer, *, forum: str | None = None) -> str:
    """Serve the fixture site (`forum`: another thread page); returns its base URL."""
    base = httpserver.url_for("").rstrip("/")
    host = base.removeprefix("http://")
    news = (DATA / "news.rss").read_text().replace("HOST", host)
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n"
    )
    httpserver.expect_request("/news.rss").respond_with_data(
        news, content_type="application/rss+xml"
    )
    httpserver.expect_request("/forum/t/7").respond_with_data(
        (DATA / "forum.html").read_text() if forum is None else forum, content_type="text/html"
    )
    return base


def write_config(tmp_path: Path, base: str, *, smtp: str = "", extra_sources: str = "") -> Path:
    path = tmp_path / "schoolwatch.toml"
    path.write_text(CONFIG.format(base=base, smtp=smtp, extra_sources=extra_sources))
    return path


@pytest.fixture
def wh(tmp_path: Path):
    from warehouse import Warehouse

    return Warehouse(tmp_path / "wh.duckdb")
