"""The digest at a phone's width in headless Chromium: nothing wider than the screen.

Skipped where Chromium is not installed (Debian: `apt-get install chromium`). The README's
picture is the demo's digest (tests/flows/test_demo_digest.py).
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from digest.render import html_for_browser, render_digest
from tests.digest.conftest import item

PHONE_WIDTH = 390
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"
)

# Headless Chromium will not make a window narrower than 500 px for --dump-dom, so the digest
# is laid out in a phone-wide iframe; once loaded, its scroll width is written into the DOM.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="phone" width="{width}" height="900" style="border:0" srcdoc="{page}"></iframe>
<script>
window.addEventListener("load", () => {{
  const frame = document.getElementById("phone");
  const root = frame.contentDocument.documentElement;
  document.body.setAttribute("data-measure",
    root.scrollWidth + "x" + frame.contentWindow.innerWidth + "x" + root.scrollHeight);
}});
</script></body></html>"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90, check=True
    )


@pytest.fixture
def page(tmp_path: Path, data, school) -> Path:
    # the worst a phone meets: a long unbroken URL, a long word, hostile markup
    long_one = item(
        "p-long",
        "Supercalifragilistic" * 8 + " <table width=2000><tr><td>wide</td></tr></table>",
        ("harassment",),
        "medium",
        2,
        url="https://forum.example/t/" + "very-long-path-" * 20,
        author="someone_with_an_extremely_long_username_that_never_breaks_at_all_anywhere",
    )
    rendered = render_digest(replace(data, items=(*data.items, long_one)), school)
    page = html.escape(html_for_browser(rendered), quote=True)
    path = tmp_path / "harness.html"
    path.write_text(HARNESS.format(width=PHONE_WIDTH, page=page), encoding="utf-8")
    return path


def test_no_horizontal_overflow_at_phone_width(tmp_path: Path, page: Path):
    dom = chromium(tmp_path, "--window-size=800,1000", "--dump-dom", page.as_uri()).stdout
    found = re.search(r'data-measure="(\d+)x(\d+)x\d+"', dom)
    assert found, "the measuring script did not run"
    scroll_width, inner_width = map(int, found.groups())
    assert inner_width == PHONE_WIDTH
    assert scroll_width <= PHONE_WIDTH, f"page is {scroll_width}px wide on a {PHONE_WIDTH}px phone"
    assert "&amp;lt;table width=2000&amp;gt;" in dom  # the hostile markup stayed text


def test_screenshot_at_phone_width(tmp_path: Path, data, school):
    rendered = render_digest(data, school)
    path = tmp_path / "shot.html"
    path.write_text(html_for_browser(rendered), encoding="utf-8")
    shot = tmp_path / "digest.png"
    chromium(tmp_path, f"--window-size={PHONE_WIDTH},3560", f"--screenshot={shot}", path.as_uri())
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (PHONE_WIDTH, 3560)
