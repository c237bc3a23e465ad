"""Screen prints: a post's page as headless Chromium shows it, stamped with the time and date.

The policies ask for "screen prints of messages or web pages, and the time and date of the
incident". `ScreenPrinter.take(url, label)` runs Chromium once per page (a fresh profile,
no sandbox, no GPU, no background traffic), then draws a band above the picture saying which
address it shows and when it was taken (UTC and UK time). Chromium is killed after
`timeout_s`, so a site that never answers cannot hang an export. Anything that goes wrong
gives a `ScreenPrint` with no image and a one-line `reason`, never an exception.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

LONDON = ZoneInfo("Europe/London")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)
WIDTH, HEIGHT = 1100, 1400


@dataclass(frozen=True, slots=True)
class ScreenPrint:
    """One page's screen print (`png` None when none was taken, and `reason` says why)."""

    url: str
    taken_at: datetime
    png: bytes | None = None
    reason: str = ""
    browser: str = ""
    page_status: str = ""  # what the page answered just before (e.g. "HTTP 200"), if checked


# Asked before a print: (the server answered, one line saying what: "HTTP 404", "connection
# failed ...", "refused by robots.txt ..."). Nothing is printed from a page that did not answer.
PageCheck = Callable[[str], tuple[bool, str]]


def stamp_text(url: str, taken_at: datetime, label: str) -> list[str]:
    """The lines stamped above a screen print."""
    utc = taken_at.astimezone(UTC)
    uk = taken_at.astimezone(LONDON)
    return [
        f"Screen print of {url}",
        f"Taken {utc:%Y-%m-%d %H:%M:%S} UTC ({uk:%a} {uk.day} {uk:%b %Y %H:%M:%S} UK time)"
        f" by schoolwatch{' for ' + label if label else ''}",
    ]


def stamp(png: bytes, lines: list[str]) -> bytes:
    """`png` with a white band on top carrying `lines` in black."""
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    font = ImageFont.load_default(size=20)
    band = 16 + 30 * len(lines)
    out = Image.new("RGB", (shot.width, shot.height + band), "white")
    out.paste(shot, (0, band))
    draw = ImageDraw.Draw(out)
    for n, line in enumerate(lines):
        draw.text((12, 8 + 30 * n), line, fill="black", font=font)
    draw.line([(0, band - 2), (shot.width, band - 2)], fill="#b00020", width=3)
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class ScreenPrinter:
    """Takes screen prints with the Chromium at `browser` (None: none installed)."""

    def __init__(
        self, browser: str | None, *, timeout_s: float = 30.0, check: PageCheck | None = None
    ) -> None:
        self.browser = browser
        self.timeout_s = timeout_s
        self.check = check

    @classmethod
    def find(
        cls, path: str = "", *, timeout_s: float = 30.0, check: PageCheck | None = None
    ) -> ScreenPrinter:
        """The Chromium at `path`, or the first one on PATH; none found: prints say so."""
        if path:
            found = shutil.which(path)
        else:
            found = next((p for c in CANDIDATES if (p := shutil.which(c))), None)
        return cls(found, timeout_s=timeout_s, check=check)

    def take(self, url: str, label: str = "") -> ScreenPrint:
        """A stamped screen print of `url`, or why there is none."""
        now = datetime.now(UTC)
        if self.browser is None:
            return ScreenPrint(url, now, reason="Chromium is not installed on this computer")
        if not _is_web_address(url):
            return ScreenPrint(url, now, reason="the post's address is not an http(s) page")
        answered, status = self.check(url) if self.check else (True, "")
        if not answered:
            reason = f"the page did not answer: {status}"
            return ScreenPrint(url, now, reason=reason, page_status=status)
        with tempfile.TemporaryDirectory(prefix="schoolwatch-print-") as tmp:
            out = Path(tmp) / "page.png"
            failure = self._run(url, Path(tmp), out)
            taken_at = datetime.now(UTC)
            if failure:
                return ScreenPrint(
                    url, taken_at, reason=failure, browser=self.browser, page_status=status
                )
            png = stamp(out.read_bytes(), stamp_text(url, taken_at, label))
        return ScreenPrint(url, taken_at, png=png, browser=self.browser, page_status=status)

    def _run(self, url: str, tmp: Path, out: Path) -> str:
        """Run Chromium; "" when it wrote the picture, else why not."""
        args = [
            str(self.browser),
            *FLAGS,
            f"--user-data-dir={tmp / 'profile'}",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={out}",
            url,
        ]
        try:
            proc = subprocess.Popen(
                args,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its helper processes go with it on a timeout
            )
        except OSError as e:
            return f"Chromium could not be started: {e.strerror or e}"
        try:
            proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            return f"the page did not finish loading within {self.timeout_s:g} s"
        finally:
            _kill_group(proc.pid)
        if not out.exists() or out.stat().st_size == 0:
            return f"Chromium exited with status {proc.returncode} and wrote no picture"
        return ""


def _kill_group(pid: int) -> None:
    """Chromium's helper processes, if any outlived it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
