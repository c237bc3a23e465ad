"""The board's locks, tried from outside against a real `schoolwatch web` process: no session
no page, links that work once and expire, CSRF tokens, roles, and markup from posts inert."""

from __future__ import annotations

import io
import re
import zipfile

import httpx
import pytest

from tests.web.conftest import HARASSMENT, Seeded
from tests.web.support import (
    DSL,
    HEAD,
    csrf,
    new_link,
    outbox_messages,
    request_link,
    signed_in,
    use_link,
)
from web.app import ROUTES

# the only routes a stranger may reach: asking for a link and using it
PUBLIC = {
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/sign-in/{token}"),
    ("POST", "/sign-in/confirm"),
}
SAMPLE_PARAMS = {"case_id": "C-000001", "token": "x" * 43}


def _routes() -> list[tuple[str, str]]:
    out = []
    for route in ROUTES:
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, route.path))
    return out


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def _case_of(board: Seeded, author: str) -> str:
    (case,) = [c for c in board.warehouse.list_cases(status=None) if c.author == author]
    return case.case_id


def test_without_a_session_every_route_but_sign_in_redirects_to_sign_in(board: Seeded):
    routes = _routes()
    assert set(routes) >= PUBLIC, "the sign-in routes moved: update PUBLIC"
    private = [r for r in routes if r not in PUBLIC]
    assert len(private) >= 7  # list, case, action, close, evidence, sign-out, home
    with httpx.Client(base_url=board.url) as client:
        for method, path in [*private, ("GET", "/no-such-page"), ("GET", "/cases/C-000002")]:
            answer = client.request(method, _fill(path), data={"note": "x", "rung": "2"})
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"] == "/sign-in", (method, path)
            assert HARASSMENT not in answer.text
        for method, path in PUBLIC:
            answer = client.request(method, _fill(path))
            assert answer.status_code != 303 or answer.headers["location"] != "/sign-in"
    # a made-up session cookie is no session either
    with httpx.Client(base_url=board.url, cookies={"schoolwatch_session": "x" * 43}) as client:
        assert client.get("/cases").headers["location"] == "/sign-in"


def test_a_sign_in_link_works_once(board: Seeded):
    with httpx.Client(base_url=board.url) as client:
        link = new_link(client, board.url, HEAD, board.outbox)
        assert link.startswith(f"{board.url}/sign-in/")  # no [web] base_url: its own address
        first = use_link(client, board.url, link)
        assert first.status_code == 303 and first.headers["location"] == "/cases"
        cookie = first.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    with httpx.Client(base_url=board.url) as other:
        again = use_link(other, board.url, link)
        assert again.status_code == 400 and "does not work" in again.text
        assert other.get("/cases").headers["location"] == "/sign-in"


def test_an_expired_link_fails(board: Seeded):
    with httpx.Client(base_url=board.url) as client:
        link = new_link(client, board.url, DSL, board.outbox)
        # the board holds the file only during a request, so this write goes straight in
        board.warehouse.query("SELECT 1")
        from warehouse.connection import transaction

        with transaction(board.warehouse.path, lock_timeout_s=5) as con:
            con.execute(
                "UPDATE board_sign_in_links SET expires_at = now() - INTERVAL 1 MINUTE "
                "WHERE used_at IS NULL"
            )
        answer = use_link(client, board.url, link)
        assert answer.status_code == 400 and "expired" in answer.text
        assert client.get("/cases").status_code == 303


def test_an_unknown_address_gets_the_same_answer_and_no_mail(board: Seeded):
    stranger = "someone@elsewhere.example"
    with httpx.Client(base_url=board.url) as client:
        known = request_link(client, board.url, HEAD)
        unknown = request_link(client, board.url, stranger)
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(HEAD, stranger) == unknown.text
    assert outbox_messages(board.outbox, stranger) == []


def test_links_are_stored_hashed(board: Seeded):
    with httpx.Client(base_url=board.url) as client:
        link = new_link(client, board.url, DSL, board.outbox)
    token = link.rsplit("/", 1)[1]
    rows = board.warehouse.query("SELECT token_sha256 FROM board_sign_in_links")[1]
    assert rows and all(token not in r[0] for r in rows)
    assert token.encode() not in board.warehouse.path.read_bytes()


def test_a_post_without_the_csrf_token_fails_on_every_form(board: Seeded):
    case_id = _case_of(board, "quill_watch")
    with signed_in(board.url, HEAD, board.outbox) as other:
        stolen = csrf(other.get(f"/cases/{case_id}").text)  # another session's token
    with signed_in(board.url, HEAD, board.outbox) as client:
        posts = [(m, _fill(p).replace("C-000001", case_id)) for m, p in _routes() if m == "POST"]
        for _, path in posts:
            for fields in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": stolen}):
                data = {"note": "done", "close_note": "done", "rung": "2", "email": HEAD, **fields}
                answer = client.post(path, data=data)
                assert answer.status_code == 403, (path, fields)
        assert board.warehouse.case_detail(case_id).actions == ()
        assert client.get("/cases").status_code == 200  # still signed in: nothing was done


def test_html_in_posts_renders_inert(board: Seeded):
    case_id = _case_of(board, '<b>evil</b>"author')
    with signed_in(board.url, HEAD, board.outbox) as client:
        page = client.get(f"/cases/{case_id}").text
        listing = client.get("/cases").text
    for html in (page, listing):
        assert "<script" not in html and "<b>evil" not in html and "<img" not in html
    assert "&lt;script&gt;document.title=" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert 'href="javascript:' not in page and "&lt;b&gt;evil&lt;/b&gt;" in page


def test_slt_gets_403_on_a_safeguarding_case_and_never_its_text(board: Seeded):
    case_id = _case_of(board, "nosy_neighbour")
    with signed_in(board.url, HEAD, board.outbox) as client:
        listing = client.get("/cases").text
        assert case_id in listing and "details for the DSL only" in listing
        token = csrf(listing)
        answers = [
            client.get(f"/cases/{case_id}"),
            client.get(f"/cases/{case_id}/evidence.zip"),
            client.post(
                f"/cases/{case_id}/actions", data={"csrf": token, "rung": "2", "note": "x"}
            ),
            client.post(f"/cases/{case_id}/close", data={"csrf": token, "close_note": "x"}),
        ]
    for answer in answers:
        assert answer.status_code == 403
        assert "safeguarding" in answer.text
    for html in [listing, *(a.text for a in answers)]:
        assert "Toby" not in html and "ADHD" not in html and "nosy_neighbour" not in html
    assert board.warehouse.case_detail(case_id).actions == ()
    refused = [e for e in board.warehouse.audit_log(case_id) if e.event == "refused"]
    assert len(refused) == 4 and {e.email for e in refused} == {HEAD}


def test_the_dsl_sees_a_safeguarding_case_and_each_view_is_audited(board: Seeded):
    case_id = _case_of(board, "nosy_neighbour")
    with signed_in(board.url, DSL, board.outbox) as client:
        for _ in range(2):
            page = client.get(f"/cases/{case_id}")
            assert page.status_code == 200 and "Toby Fenwick" in page.text
    views = [e for e in board.warehouse.audit_log(case_id) if e.event == "viewed_safeguarding"]
    assert len(views) == 2 and {(e.email, e.role) for e in views} == {(DSL, "dsl")}


def test_recording_an_action_and_bad_input(board: Seeded):
    case_id = _case_of(board, "quill_watch")
    with signed_in(board.url, HEAD, board.outbox) as client:
        token = csrf(client.get(f"/cases/{case_id}").text)
        empty = client.post(f"/cases/{case_id}/actions", data={"csrf": token, "rung": "4"})
        assert empty.status_code == 400 and "Say what was done" in empty.text
        assert '<option value="4" selected>' in empty.text  # what was typed is kept
        wrong = client.post(
            f"/cases/{case_id}/actions", data={"csrf": token, "rung": "9", "note": "kept"}
        )
        assert (
            wrong.status_code == 400 and "rung from 0 to 6" in wrong.text and "kept" in wrong.text
        )
        done = client.post(
            f"/cases/{case_id}/actions",
            data={"csrf": token, "rung": "2", "note": "Reported to the forum's moderators"},
        )
        assert done.status_code == 303
        page = client.get(f"/cases/{case_id}").text
    (action,) = board.warehouse.case_detail(case_id).actions
    assert (action.rung, action.by) == (2, HEAD)
    assert "Reported to the forum&#39;s moderators" in page


def test_the_evidence_bundle_downloads_as_a_zip(board: Seeded):
    case_id = _case_of(board, "quill_watch")
    raw = board.warehouse.query(
        "SELECT raw FROM post_contents WHERE post_id = 'p1' ORDER BY version LIMIT 1"
    )[1][0][0]
    with signed_in(board.url, HEAD, board.outbox) as client:
        answer = client.get(f"/cases/{case_id}/evidence.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert f'filename="{case_id}-evidence.zip"' in answer.headers["content-disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(answer.content))
    assert any(bundle.read(name) == raw for name in bundle.namelist())
    (entry,) = [e for e in board.warehouse.audit_log(case_id) if e.event == "downloaded_evidence"]
    assert entry.email == HEAD


def test_signing_out_ends_the_session(board: Seeded):
    with signed_in(board.url, HEAD, board.outbox) as client:
        cookie = client.cookies["schoolwatch_session"]
        token = csrf(client.get("/cases").text)
        assert client.post("/sign-out", data={"csrf": token}).headers["location"] == "/sign-in"
    with httpx.Client(base_url=board.url, cookies={"schoolwatch_session": cookie}) as replay:
        assert replay.get("/cases").headers["location"] == "/sign-in"


@pytest.mark.parametrize("header", ["content-security-policy", "x-frame-options"])
def test_pages_carry_security_headers(board: Seeded, header: str):
    with httpx.Client(base_url=board.url) as client:
        assert header in client.get("/sign-in").headers
        assert header in client.get("/cases").headers


def test_a_defamation_case_offers_the_pre_filled_notice_and_others_do_not(board: Seeded):
    defamation = _case_of(board, '<b>evil</b>"author')
    harassment = _case_of(board, "quill_watch")
    with signed_in(board.url, HEAD, board.outbox) as client:
        assert f"/cases/{defamation}/notice.html" in client.get(f"/cases/{defamation}").text
        assert "/notice.html" not in client.get(f"/cases/{harassment}").text
        answer = client.get(f"/cases/{defamation}/notice.html")
        assert client.get(f"/cases/{harassment}/notice.html").status_code == 404
    assert answer.status_code == 200
    assert f'filename="{defamation}-notice.html"' in answer.headers["content-disposition"]
    assert "48 hours" in answer.text and "<b>evil</b>" not in answer.text  # escaped, pre-filled
    events = [e.event for e in board.warehouse.audit_log(defamation)]
    assert "downloaded_notice" in events
