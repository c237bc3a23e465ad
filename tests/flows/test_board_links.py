"""A whole run with `[web] base_url`: the digest and alerts link each case to the case board,
and the fetches keep the server's Date header that evidence bundles report."""

from __future__ import annotations

import email
import email.policy
import json
import zipfile
from email.utils import parsedate_to_datetime

from pytest_httpserver import HTTPServer

from tests.digest.conftest import body_text
from tests.flows.conftest import serve_site, write_config
from warehouse import Warehouse

BOARD = "https://board.fernhill.example"


def test_a_run_links_cases_to_the_board_and_keeps_the_http_date(
    prefect_harness, httpserver: HTTPServer, tmp_path
):
    from flows.daily import daily_monitor

    config = write_config(tmp_path, serve_site(httpserver))
    config.write_text(config.read_text() + f'\n[web]\nbase_url = "{BOARD}/"\n')
    daily_monitor(config_path=str(config))

    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in sorted((tmp_path / "outbox").glob("*.eml"))
    ]
    assert messages, "the run wrote no digest or alert"
    wh = Warehouse(tmp_path / "wh" / "schoolwatch.duckdb")
    case_ids = [c.case_id for c in wh.list_cases()]
    texts = [body_text(m) for m in messages]
    every = "\n".join(texts)
    for case_id in case_ids:
        assert f"Open case {case_id}: {BOARD}/cases/{case_id}" in every
    assert "schoolwatch cases action" not in every

    # the Date header the server sent is kept with the fetch and reported in the bundle
    bundle = wh.export_evidence(case_ids[0], tmp_path / "ev", screen_prints=False)
    with zipfile.ZipFile(bundle) as zf:
        meta = json.loads(zf.read(f"{case_ids[0]}/posts/01/metadata.json"))
    [version] = meta["versions"]
    assert version["http_status"] == 200
    fetched = parsedate_to_datetime(version["http_date"])
    assert abs((fetched - wh.case_detail(case_ids[0]).items[0].first_seen_at).total_seconds()) < 60
