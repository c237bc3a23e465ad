"""The board as a real process on 127.0.0.1, and signing in to it the way a person does:
ask for a link, take it from the outbox (or the SMTP server), open it, press Sign in."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx

SCHOOL = "st-aldrics-brackenford"
HEAD = "head@aldrics.example"  # digest_to only: slt
DSL = "dsl@aldrics.example"  # alert_to too: dsl

CONFIG = """
[warehouse]
path = "wh.duckdb"
lock_timeout_s = 10

[email]
from = "schoolwatch@aldrics.example"
outbox = "outbox"
{email}

[web]
session_days = 1
{web}

[evidence]
screen_prints = false  # bundles here are about what the board serves, not the prints

[[schools]]
id = "st-aldrics-brackenford"
name = "St Aldric's C of E Primary School, Brackenford"
names = ["St Aldric's Brackenford"]
digest_to = ["Head@Aldrics.example", "dsl@aldrics.example"]
alert_to = ["dsl@aldrics.example"]
"""

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
LINK = re.compile(r"(https?://\S+/sign-in/[A-Za-z0-9_-]+)")


def write_config(folder: Path, *, email: str = "", web: str = "") -> Path:
    path = folder / "schoolwatch.toml"
    path.write_text(CONFIG.format(email=email, web=web))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BoardProcess:
    """`schoolwatch web` started on a free port; `wait()` until it answers."""

    def __init__(self, config: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = config.parent / "board.log"
        with self.log.open("wb") as out:
            args = ["web", "--config", str(config), "--port", str(port)]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flows.cli", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def wait(self, timeout_s: float = 60) -> str:
        """The base URL, once the board answers."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"board exited: {self.log.read_text()}")
            try:
                httpx.get(f"{self.url}/sign-in", timeout=1)
                return self.url
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"board did not start: {self.log.read_text()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def board_process(config: Path) -> Iterator[BoardProcess]:
    """The board serving `config` until the block ends (not waited for: call `wait()`)."""
    board = BoardProcess(config)
    try:
        yield board
    finally:
        board.stop()


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def outbox_messages(outbox: Path, to: str) -> list[Message]:
    if not outbox.exists():
        return []
    found = []
    for f in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        msg = message_from_bytes(f.read_bytes())
        if to.lower() in str(msg["To"]).lower():
            found.append(msg)
    return found


def link_in(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found = LINK.search(payload.decode())
            assert found, "no sign-in link in the message"
            return found.group(1)
    raise AssertionError("no text part")


def wait_for(check: Callable[[], object], timeout_s: float = 10) -> object:
    """`check()` once it is truthy (mail is sent just after the page answers)."""
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
    return found


def request_link(client: httpx.Client, url: str, email: str) -> httpx.Response:
    page = client.get(f"{url}/sign-in")
    return client.post(f"{url}/sign-in", data={"email": email, "csrf": csrf(page.text)})


def new_link(client: httpx.Client, url: str, email: str, outbox: Path) -> str:
    """Ask for a sign-in link and return it from the outbox."""
    before = len(outbox_messages(outbox, email))
    assert request_link(client, url, email).status_code == 200
    msgs = wait_for(lambda: outbox_messages(outbox, email)[before:])
    assert isinstance(msgs, list)
    return link_in(msgs[-1])


def use_link(client: httpx.Client, url: str, link: str) -> httpx.Response:
    """Open a sign-in link and press Sign in (the link may point at another base URL)."""
    token = link.rsplit("/", 1)[1]
    page = client.get(f"{url}/sign-in/{token}")
    return client.post(f"{url}/sign-in/confirm", data={"token": token, "csrf": csrf(page.text)})


@contextmanager
def signed_in(url: str, email: str, outbox: Path) -> Iterator[httpx.Client]:
    """A client with a live session for `email`."""
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = use_link(client, url, new_link(client, url, email, outbox))
        assert answer.status_code == 303 and answer.headers["location"] == "/cases", answer.text
        yield client
