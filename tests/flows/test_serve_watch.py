"""`schoolwatch serve` ends, with one line and status 1, when its local Prefect server dies,
even if Prefect's own shutdown never finishes (it may retry the dead API for minutes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a server process that has exited, and a main thread whose shutdown swallows the interrupt
SCRIPT = textwrap.dedent(
    """
    import subprocess, sys, threading, time
    from pathlib import Path
    from flows import serve
    from flows.local_server import LocalServer

    serve.WATCH_EVERY_S, serve.SHUTDOWN_GRACE_S = 0.1, 1.0
    server = LocalServer(Path(sys.argv[1]), 4299)
    server.process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server.process.wait()
    threading.Thread(target=serve._watch, args=(server, threading.Event()), daemon=True).start()
    while True:
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass  # a shutdown that never ends
    """
)


def test_serve_stops_when_the_server_is_dead_and_shutdown_hangs(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("schoolwatch: the local Prefect server stopped (status 3)")
    assert lines[0].endswith("then start schoolwatch serve again")
    assert time.monotonic() - started < 30
