"""The board's web application: routes, sign-in by emailed link, sessions, CSRF, roles.

Every route but the four sign-in ones needs a live session (anything else is redirected to
/sign-in, unknown paths included); every POST needs the form token of the browser's session
(or, before sign-in, of its pre-session cookie). The warehouse is opened for each request and
closed before the page is sent, one request at a time within this process.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from flows.evidence import export_case
from schoolwatch.config import Config
from schoolwatch.errors import WarehouseError
from warehouse import CaseDetail, Warehouse
from warehouse.board import CaseRecords
from warehouse.notice import defamation_notice, is_defamation_case
from web import tokens
from web.mail import LINK_MINUTES, send_sign_in
from web.memory import SessionCache, SlidingWindow
from web.pages import CONTENT_SECURITY_POLICY, render
from web.people import DSL, Member, members, normalise
from web.views import LinkView, case_page, case_row, online_row, restricted

T = TypeVar("T")
# a case this user may see: its detail, the user's role at its school, all the page shows
Found = tuple[CaseDetail, str, CaseRecords]

SESSION_COOKIE = "schoolwatch_session"
PRE_COOKIE = "schoolwatch_pre"  # before sign-in: what the sign-in forms' tokens are tied to
PUBLIC_PATHS = re.compile(r"^/sign-in(?:/confirm|/[A-Za-z0-9_-]{20,100})?$")
CASE_ID = re.compile(r"^C-\d{6,}$")
MAX_FORM_BYTES = 64_000
MAX_NOTE_CHARS = 4_000
RATE_WINDOW = timedelta(minutes=15)  # for [web] sign_in_per_address and sign_in_per_client
YIELD_FACTOR = 1.0  # the board holds the warehouse file at most half the time
MAX_YIELD_S = 1.0  # after a long hold (an export taking screen prints) a second is enough

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in person, and the session secret their forms' tokens derive from."""

    member: Member
    secret: str

    @property
    def email(self) -> str:
        return self.member.email


class Board:
    """The app's state: config, the warehouse, who may sign in, the sign-in rate limit."""

    def __init__(self, cfg: Config, base_url: str) -> None:
        self.cfg = cfg
        self.base_url = base_url.rstrip("/")
        self.secure = self.base_url.startswith("https://")
        self.warehouse = Warehouse.from_config(cfg.warehouse)
        self.members = members(cfg)
        self.sessions = SessionCache()
        self.limiter = SlidingWindow(cfg.web.sign_in_per_client, RATE_WINDOW.total_seconds())
        # DuckDB refuses a read-only and a read-write connection to one file in one process
        # at the same time: requests take turns
        self._lock = threading.Lock()
        self._free_until = 0.0

    async def db(self, work: Callable[[Warehouse], T]) -> T:
        """Run `work` on the warehouse in a worker thread, one request at a time.

        After each use the file is left free for `YIELD_FACTOR` times as long as it was held,
        so however fast pages are asked for, a pipeline run retrying for the file soon finds
        it free (DuckDB has no queue: whoever opens the file first gets it)."""

        def locked() -> T:
            with self._lock:
                time.sleep(max(0.0, self._free_until - time.monotonic()))
                start = time.monotonic()
                try:
                    return work(self.warehouse)
                finally:
                    end = time.monotonic()
                    pause = min(YIELD_FACTOR * (end - start), MAX_YIELD_S)
                    self._free_until = end + pause

        return await run_in_threadpool(locked)

    async def user(self, request: Request) -> User | None:
        secret = request.cookies.get(SESSION_COOKIE, "")
        if not secret or len(secret) > 100:
            return None
        key = tokens.digest(secret)
        email = self.sessions.get(key)
        if email is None:
            email = await self.db(lambda wh: wh.session_email(key))
            if email:
                self.sessions.put(key, email)
        member = self.members.get(email) if email else None
        return None if member is None else User(member, secret)

    async def end_session(self, user: User) -> None:
        key = tokens.digest(user.secret)
        self.sessions.drop(key)
        await self.db(lambda wh: wh.end_session(key))

    async def audit(
        self, user: User, role: str, event: str, case_id: str | None, detail: str = ""
    ) -> None:
        await self.db(lambda wh: wh.audit(user.email, role, event, case_id, detail))

    def cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )


def _board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


def _user(request: Request) -> User:
    user: User = request.state.user
    return user


def _now() -> datetime:
    return datetime.now(UTC)


def page(name: str, values: dict, status: int = 200) -> HTMLResponse:
    return HTMLResponse(render(name, values), status_code=status)


def error_page(status: int, title: str, message: str, user: User | None = None) -> HTMLResponse:
    token = tokens.form_token(user.secret) if user else ""
    values = {"title": title, "message": message, "user": user, "csrf": token}
    return page("error.html", values, status)


# -- forms ------------------------------------------------------------------------------------


async def form(request: Request, secret: str | None) -> dict[str, str]:
    """The posted form's fields, after checking its CSRF token against `secret`."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(400, "The form was not sent as a web form.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "The form is too large.")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not tokens.form_token_ok(secret, fields.get("csrf")):
        raise HTTPException(
            403,
            "The form's security token did not match (the page was too old, or it came "
            "from another site). Go back, reload the page and try again.",
        )
    return fields


# -- sign-in ----------------------------------------------------------------------------------


def _pre_secret(request: Request) -> tuple[str, bool]:
    """The browser's pre-session secret, and whether it is new (to be set as a cookie)."""
    found = request.cookies.get(PRE_COOKIE, "")
    if 20 <= len(found) <= 100:
        return found, False
    return tokens.new_token(), True


def _pre_page(request: Request, name: str, values: dict, status: int = 200) -> HTMLResponse:
    secret, new = _pre_secret(request)
    response = page(name, {**values, "csrf": tokens.form_token(secret), "user": None}, status)
    if new:
        _board(request).cookie(response, PRE_COOKIE, secret, max_age=3600)
    return response


async def sign_in_form(request: Request) -> Response:
    return _pre_page(request, "sign_in.html", {"error": "", "email": ""})


async def request_link(request: Request) -> Response:
    board = _board(request)
    fields = await form(request, request.cookies.get(PRE_COOKIE))
    email = normalise(fields.get("email", ""))
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        values = {"error": "That is not an email address.", "email": email[:254]}
        return _pre_page(request, "sign_in.html", values, 400)
    client = request.client.host if request.client else "unknown"
    if not board.limiter.allow(client):
        return error_page(
            429,
            "Too many sign-in requests",
            f"Too many sign-in links were asked for from here; try again in "
            f"{int(RATE_WINDOW.total_seconds() // 60)} minutes.",
        )
    task = None
    member = board.members.get(email)
    if member is not None:
        token, now = tokens.new_token(), _now()
        stored = await board.db(
            lambda wh: wh.add_sign_in_link(
                member.email,
                tokens.digest(token),
                now + timedelta(minutes=LINK_MINUTES),
                max_recent=board.cfg.web.sign_in_per_address,
                since=now - RATE_WINDOW,
            )
        )
        if stored:  # sent after the answer, so known and unknown addresses take as long
            link = f"{board.base_url}/sign-in/{token}"
            task = BackgroundTask(send_sign_in, board.cfg.email, member.email, link)
    response = _pre_page(request, "sent.html", {"email": email, "minutes": LINK_MINUTES})
    response.background = task
    return response


async def confirm_form(request: Request) -> Response:
    # a GET only shows a button: mail scanners that open links do not spend the link
    return _pre_page(request, "confirm.html", {"token": request.path_params["token"]})


async def confirm(request: Request) -> Response:
    board = _board(request)
    fields = await form(request, request.cookies.get(PRE_COOKIE))
    token = fields.get("token", "")
    secret = tokens.new_token()
    expires = _now() + timedelta(days=board.cfg.web.session_days)
    email = None
    if 20 <= len(token) <= 100:
        email = await board.db(
            lambda wh: wh.use_sign_in_link(tokens.digest(token), tokens.digest(secret), expires)
        )
    member = board.members.get(email) if email else None
    if member is None:
        return error_page(
            400,
            "This sign-in link does not work",
            "It has expired (links last "
            f"{LINK_MINUTES} minutes) or has been used already. Ask for a new one.",
        )
    user = User(member, secret)
    await board.audit(user, member.summary(), "signed_in", None)
    response = RedirectResponse("/cases", status_code=303)
    board.cookie(response, SESSION_COOKIE, secret, max_age=board.cfg.web.session_days * 86400)
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


async def sign_out(request: Request) -> Response:
    board, user = _board(request), _user(request)
    await form(request, user.secret)
    await board.end_session(user)
    await board.audit(user, user.member.summary(), "signed_out", None)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- cases ------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    return RedirectResponse("/cases", status_code=303)


async def case_list(request: Request) -> Response:
    board, user = _board(request), _user(request)
    status = "closed" if request.query_params.get("status") == "closed" else "open"
    details, online = await board.db(lambda wh: wh.case_list(status, user.member.schools))
    now, role_at = _now(), user.member.role_at
    rows = [case_row(d, role_at(d.case.school_id) or "", now) for d in details]
    values = {
        "user": user,
        "csrf": tokens.form_token(user.secret),
        "rows": rows,
        "online": [online_row(s, role_at(s.item.school_id) or "") for s in online],
    }
    return page("cases.html", {**values, "status": status, "overdue": sum(r.overdue for r in rows)})


async def _case(request: Request, event: str | None = None) -> Found:
    """The case in the path, if this user may see its details; audits safeguarding access.

    404 for an unknown case or another school's; 403 (audited) for a safeguarding case to
    anyone but the DSL."""
    board, user = _board(request), _user(request)
    case_id = request.path_params["case_id"]
    if not CASE_ID.match(case_id):
        raise HTTPException(404, f"There is no case {case_id[:20]}.")
    try:
        records = await board.db(lambda wh: wh.case_records(case_id))
    except WarehouseError as e:
        if str(e).startswith("no case "):
            raise HTTPException(404, f"There is no case {case_id}.") from None
        raise
    detail = records.detail
    role = user.member.role_at(detail.case.school_id)
    if role is None:
        raise HTTPException(404, f"There is no case {case_id}.")
    if restricted(detail):
        if role != DSL:
            await board.audit(
                user, role, "refused", case_id, f"{request.method} {request.url.path}"
            )
            raise HTTPException(
                403,
                f"Case {case_id} holds a safeguarding matter: only the designated "
                "safeguarding lead sees its details. Speak to your DSL.",
            )
        if event is not None:
            await board.audit(user, role, event, case_id, f"{request.method} {request.url.path}")
    return detail, role, records


async def _case_page(
    request: Request, found: Found, error: str = "", values: dict | None = None
) -> HTMLResponse:
    user = _user(request)
    detail, role, records = found
    links = []
    if is_defamation_case(detail):
        links.append(
            LinkView(
                f"/cases/{detail.case.case_id}/notice.html",
                "Notice of complaint to the website operator (defamation), pre-filled: download",
            )
        )
    view = case_page(detail, records.versions, role, _now(), links=links, removals=records.removals)
    form_values = {"rung": str(view.recommended.rung), "note": "", "close_note": ""}
    form_values.update(values or {})
    return page(
        "case.html",
        {
            "user": user,
            "csrf": tokens.form_token(user.secret),
            "v": view,
            "error": error,
            "form": form_values,
        },
        400 if error else 200,
    )


async def case_view(request: Request) -> Response:
    return await _case_page(request, await _case(request, "viewed_safeguarding"))


def _note(fields: dict[str, str], key: str) -> str:
    return fields.get(key, "").strip()[:MAX_NOTE_CHARS]


async def record_action(request: Request) -> Response:
    board, user = _board(request), _user(request)
    fields = await form(request, user.secret)
    found = await _case(request)
    detail, role, _ = found
    case_id, note, rung_text = detail.case.case_id, _note(fields, "note"), fields.get("rung", "")
    values = {"rung": rung_text, "note": note}
    if not rung_text.isdigit() or not 0 <= int(rung_text) <= 6:
        return await _case_page(request, found, "Choose a rung from 0 to 6.", values)
    if not note:
        return await _case_page(request, found, "Say what was done in the note.", values)
    try:
        await board.db(lambda wh: wh.record_action(case_id, int(rung_text), note, user.email))
    except WarehouseError as e:
        return await _case_page(request, found, str(e), values)
    await board.audit(user, role, "action", case_id, f"rung {rung_text}")
    return RedirectResponse(f"/cases/{case_id}#log", status_code=303)


async def close_case(request: Request) -> Response:
    board, user = _board(request), _user(request)
    fields = await form(request, user.secret)
    found = await _case(request)
    detail, role, _ = found
    case_id, note = detail.case.case_id, _note(fields, "close_note")
    if not note:
        error = "Say why the case is closed."
        return await _case_page(request, found, error, {"close_note": note})
    try:
        await board.db(lambda wh: wh.close_case(case_id, note, user.email))
    except WarehouseError as e:
        return await _case_page(request, found, str(e), {"close_note": note})
    await board.audit(user, role, "closed", case_id)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _bundle(cfg: Config, warehouse: Warehouse, case_id: str, folder: Path) -> Path:
    """The case's evidence bundle as one zip file inside `folder`, with the screen prints
    `[evidence]` asks for (as `schoolwatch cases export` makes it)."""
    made = export_case(cfg, warehouse, case_id, folder)
    if made.is_dir():
        return Path(shutil.make_archive(str(folder / f"{case_id}-evidence"), "zip", made))
    return made


async def evidence(request: Request) -> Response:
    board, user = _board(request), _user(request)
    detail, role, _ = await _case(request)
    case_id = detail.case.case_id
    folder = Path(tempfile.mkdtemp(prefix="schoolwatch-evidence-"))
    try:
        bundle = await board.db(lambda wh: _bundle(board.cfg, wh, case_id, folder))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    await board.audit(user, role, "downloaded_evidence", case_id, bundle.name)
    return FileResponse(
        bundle,
        media_type="application/zip",
        filename=f"{case_id}-evidence.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


async def notice(request: Request) -> Response:
    """The pre-filled defamation notice of complaint, as an HTML file to complete and send."""
    board, user = _board(request), _user(request)
    detail, role, _ = await _case(request)
    if not is_defamation_case(detail):
        raise HTTPException(404, f"Case {detail.case.case_id} holds no defamation.")
    school = next((s for s in board.cfg.schools if s.id == detail.case.school_id), None)
    made = defamation_notice(detail, school.name if school else "")
    await board.audit(user, role, "downloaded_notice", detail.case.case_id, "notice.html")
    return HTMLResponse(
        made.html,
        headers={
            "Content-Disposition": f'attachment; filename="{detail.case.case_id}-notice.html"'
        },
    )


# -- errors and the gate ----------------------------------------------------------------------


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    user = getattr(request.state, "user", None)
    titles = {403: "Not for you", 404: "Not found", 405: "Not allowed", 413: "Too large"}
    message = exc.detail if exc.detail and exc.detail != _default_detail(exc.status_code) else ""
    title = titles.get(exc.status_code, "Something is wrong")
    return error_page(exc.status_code, title, message or "There is nothing here.", user)


def _default_detail(status: int) -> str:
    return HTTPException(status).detail


async def warehouse_error(request: Request, exc: Exception) -> Response:
    return error_page(
        503,
        "The warehouse is busy",
        f"{exc} — a run may be writing; try again in a minute.",
        getattr(request.state, "user", None),
    )


class Gate(BaseHTTPMiddleware):
    """No session, no page: everything but the sign-in routes redirects to /sign-in."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response: Response
        if PUBLIC_PATHS.match(request.url.path):
            response = await call_next(request)
        else:
            try:
                user = await _board(request).user(request)
            except WarehouseError as e:
                user, response = None, await warehouse_error(request, e)
            else:
                if user is None:
                    response = RedirectResponse("/sign-in", status_code=303)
                    if SESSION_COOKIE in request.cookies:
                        response.delete_cookie(SESSION_COOKIE, path="/")
                else:
                    request.state.user = user
                    response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


ROUTES = [
    Route("/sign-in", sign_in_form, methods=["GET"]),
    Route("/sign-in", request_link, methods=["POST"]),
    Route("/sign-in/confirm", confirm, methods=["POST"]),
    Route("/sign-in/{token}", confirm_form, methods=["GET"]),
    Route("/sign-out", sign_out, methods=["POST"]),
    Route("/", home, methods=["GET"]),
    Route("/cases", case_list, methods=["GET"]),
    Route("/cases/{case_id}", case_view, methods=["GET"]),
    Route("/cases/{case_id}/actions", record_action, methods=["POST"]),
    Route("/cases/{case_id}/close", close_case, methods=["POST"]),
    Route("/cases/{case_id}/evidence.zip", evidence, methods=["GET"]),
    Route("/cases/{case_id}/notice.html", notice, methods=["GET"]),
]


def create_app(cfg: Config, *, base_url: str | None = None) -> Starlette:
    """The board for this config. Sign-in links point at `base_url` (default: `[web]
    base_url`, else http://127.0.0.1:8765)."""
    board = Board(cfg, base_url or cfg.web.base_url or "http://127.0.0.1:8765")
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(Gate)],
        exception_handlers={HTTPException: http_error, WarehouseError: warehouse_error},
    )
    app.state.board = board
    return app
