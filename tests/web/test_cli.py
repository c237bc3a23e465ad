"""`schoolwatch web` at the command line: bad input is one line."""

from __future__ import annotations

import socket

from flows.cli import main
from tests.web.support import write_config


def test_a_port_in_use_is_one_line(tmp_path, capsys):
    config = write_config(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["web", "--config", str(config), "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"schoolwatch: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "is the board already running? choose another with --port"
    )


def test_a_bad_web_setting_is_named(tmp_path, capsys):
    config = write_config(tmp_path, web="sign_in_per_address = 0")
    assert main(["web", "--config", str(config)]) == 2
    assert (
        "web.sign_in_per_address: Input should be greater than or equal to 1"
        in capsys.readouterr().err
    )
