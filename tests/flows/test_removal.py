"""Whole daily runs re-checking a reported post on a real local forum until it is removed."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from pytest_httpserver import HTTPServer

from tests.flows.conftest import DATA, serve_site, write_config
from warehouse import Warehouse

if TYPE_CHECKING:
    from prefect.states import State

STILL_ONLINE = "Still online 48 hours after you reported them"


def _db(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "schoolwatch.duckdb"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _three_days_ago(db: Path) -> None:
    """As if the first run and SLT's report happened three days before the next run."""
    con = duckdb.connect(str(db))
    try:
        for table, column in [
            ("posts", "first_seen_at"),
            ("post_contents", "fetched_at"),
            ("cases", "opened_at"),
            ("cases", "respond_by"),
            ("case_posts", "added_at"),
            ("case_actions", "recorded_at"),
        ]:
            con.execute(f"UPDATE {table} SET {column} = {column} - INTERVAL 3 DAY")
    finally:
        con.close()


def _digest_text(outbox: Path) -> str:
    texts = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if "CRITICAL" in str(msg["Subject"]) or "SAFEGUARDING" in str(msg["Subject"]):
            continue
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        texts.append(body.get_content())
    return "\n".join(texts)


def _task_names(state: State, until: str) -> list[str]:
    """The names of a flow run's task runs, once Prefect's API has recorded one named `until`
    (it records them a moment after the run; 30 s at most)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            names = [r.name.rsplit("-", 1)[0] for r in runs]
            if until in names or time.monotonic() > deadline:
                return names
            time.sleep(0.2)


def test_daily_runs_recheck_a_reported_post_until_the_forum_removes_it(
    prefect_harness, httpserver: HTTPServer, tmp_path: Path
):
    from flows.daily import daily_monitor

    base = serve_site(httpserver)
    config = str(write_config(tmp_path, base))
    state = daily_monitor(config_path=config, send=False, return_state=True)
    first = state.result()
    assert first["removal_checks"] == {}  # nothing reported yet
    # with nothing to re-check, the run starts no task for it (Prefect's API is spared one)
    names = _task_names(state, until="store")
    assert "store" in names and "recheck-reported" not in names

    wh = Warehouse(_db(tmp_path))
    (case,) = [c for c in wh.list_cases() if c.author == "angrydad77"]
    wh.record_action(case.case_id, 6, "Police told; reported to the forum's moderators", "Head")
    _three_days_ago(_db(tmp_path))

    # the post is still on the thread three days later: the digest says so
    state = daily_monitor(config_path=config, return_state=True)
    second = state.result()
    assert second["removal_checks"] == {"still_online": 1}
    assert "recheck-reported" in _task_names(state, until="recheck-reported")
    digest = _digest_text(tmp_path / "outbox")
    assert f"{STILL_ONLINE.upper()} (1)" in digest
    section = digest[digest.index(STILL_ONLINE.upper()) :]
    assert f"* {case.case_id} · angrydad77 on parents-forum" in section
    assert "(rung 6, Police)" in section

    # the moderators delete it: the thread still answers 200, without the post
    httpserver.clear_all_handlers()
    thread = (DATA / "forum.html").read_text()
    without = re.sub(r'<article class="post" id="p2">.*?</article>\s*', "", thread, flags=re.S)
    assert "angrydad77" not in without and without.count("<article") == 2
    serve_site(httpserver, forum=without)
    third = daily_monitor(config_path=config, send=False)
    assert third["removal_checks"] == {"removed": 1}

    # removed: no more checks, and no longer listed
    fourth = daily_monitor(config_path=config, send=False)
    assert fourth["removal_checks"] == {}
    forum = f"{base}/forum/t/7"
    rows = _rows(
        _db(tmp_path),
        "SELECT status, http_status, reason, url FROM removal_checks ORDER BY checked_at",
    )
    assert rows == [
        ("still_online", 200, "still on the page", forum),
        ("removed", 200, "no longer on the page, which still shows 2 other posts", forum),
    ]
    later = _rows(_db(tmp_path), "SELECT max(checked_at) FROM removal_checks")[0][0]
    assert wh.still_online(case.school_id, later + timedelta(days=1)) == []


CASES_CONFIG = """
[warehouse]
path = "wh.duckdb"

[[schools]]
id = "st-aldrics-brackenford"
name = "St Aldric's C of E Primary School, Brackenford"
names = ["St Aldric's Brackenford"]
"""


def test_cases_show_says_whether_each_reported_post_is_still_online(tmp_path, capsys):
    from flows.cli import main
    from schoolwatch.models import RemovalCheck
    from tests.warehouse.builders import SCHOOL, flagged, make_post, store

    config = tmp_path / "schoolwatch.toml"
    config.write_text(CASES_CONFIG)
    wh = Warehouse(tmp_path / "wh.duckdb")
    text = "St Aldric's Brackenford fiddles."
    posts = [make_post(n, author="Gaz1985", text=text) for n in (1, 2)]
    store(wh, [(p, flagged(p)) for p in posts])
    (case,) = wh.list_cases(SCHOOL)
    assert main(["cases", "show", case.case_id, "--config", str(config)]) == 0
    assert "still online?" not in capsys.readouterr().out  # not reported yet

    action = wh.record_action(case.case_id, 2, "reported to the forum", "Head")
    checked = action.recorded_at + timedelta(days=1)
    wh.record_removal_checks(
        [
            RemovalCheck(SCHOOL, "p1", case.case_id, posts[0].url, checked, "removed",
                         f"HTTP 410 Gone from {posts[0].url}", 410),
        ]
    )  # fmt: skip
    assert main(["cases", "show", case.case_id, "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    section = shown[shown.index("still online? (2 posts re-checked after the report):") :]
    assert f"{posts[0].url}  removed (HTTP 410, " in section
    assert f": HTTP 410 Gone from {posts[0].url}" in section
    assert f"{posts[1].url}  not checked yet (the next run checks it)" in section
