"""`Warehouse`: the one entry point to the DuckDB file.

Each public method opens its own connection, does its work in one transaction and closes it,
so the pipeline holds the file only while it writes and an analyst's read-only session can
open it in between.

The constructor checks the path and runs `migrate()`, so an unusable path or a file that is
not a warehouse fails at once, before a run starts. When the schema is already current it
only opens the file read-only (it does not wait for, or block, other readers).
`Warehouse(path, migrate=False)` touches nothing; its first use migrates.

Methods that only read open the file read-only: they never block an analyst's read-only
session, and are blocked only while another process writes. While a method waits for the
file it reports who holds it every few seconds (`on_wait`; by default a warning on the
`warehouse` logger), and gives up after `lock_timeout_s` with one line saying why.
Build it with `Warehouse.from_config(cfg.warehouse)` so `lock_timeout_s` is the configured one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import duckdb

from schoolwatch.config import WarehouseConfig
from schoolwatch.errors import WarehouseError
from schoolwatch.models import (
    Assessment,
    CaseAction,
    DigestData,
    FetchResult,
    FlaggedItem,
    Post,
    PostRemoval,
    RemovalCheck,
    RemovalTarget,
    StillOnline,
)
from warehouse import (
    board,
    cases,
    chain,
    digest_queries,
    erasure,
    evidence,
    maintenance,
    outgoing,
    removal,
    rescoring,
    schema,
    store,
)
from warehouse.connection import WaitReporter, check_path, connect, one_line, transaction
from warehouse.records import Case, CaseDetail, StoreSummary
from warehouse.screenprint import ScreenPrinter

T = TypeVar("T")

LOG = logging.getLogger("warehouse")


def _now() -> datetime:
    return datetime.now(UTC)


class Warehouse:
    """The schoolwatch warehouse in the DuckDB file at `path` (created mode 0600).

    `lock_timeout_s`: how long to keep retrying while another process holds the file;
    `on_wait`: told who holds it every few seconds meanwhile.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        migrate: bool = True,
        lock_timeout_s: float = 5.0,
        on_wait: WaitReporter | None = None,
    ) -> None:
        self.path = Path(path)
        check_path(self.path)
        self.lock_timeout_s = lock_timeout_s
        self.on_wait: WaitReporter = on_wait or LOG.warning
        self._migrated = False
        if migrate:
            self.migrate()

    @classmethod
    def from_config(
        cls, cfg: WarehouseConfig, *, migrate: bool = True, on_wait: WaitReporter | None = None
    ) -> Warehouse:
        """The configured warehouse, waiting up to its `lock_timeout_s` for the file."""
        return cls(cfg.path, migrate=migrate, lock_timeout_s=cfg.lock_timeout_s, on_wait=on_wait)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    # -- plumbing -------------------------------------------------------------------------

    def migrate(self, *, wait_s: float | None = None) -> list[str]:
        """Apply pending migrations, each recorded in `schema_migrations`. Idempotent.

        Returns the migrations applied now (e.g. `["0001_tables", "0002_views"]`).
        `wait_s` overrides `lock_timeout_s`.
        """
        if self.path.exists() and not self._read_now(schema.pending, wait_s=wait_s):
            self._migrated = True
            return []
        timeout = self.lock_timeout_s if wait_s is None else wait_s
        con = connect(self.path, lock_timeout_s=timeout, on_wait=self.on_wait)
        try:
            names = schema.migrate(con)
        except duckdb.Error as e:
            msg = f"warehouse {self.path}: migration failed: {one_line(e)}"
            raise WarehouseError(msg) from None
        finally:
            con.close()
        self._migrated = True
        return names

    def _run(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`work` in one read-write transaction."""
        if not self._migrated:
            self.migrate()
        with transaction(
            self.path, lock_timeout_s=self.lock_timeout_s, on_wait=self.on_wait
        ) as con:
            return work(con)

    def _read(
        self, work: Callable[[duckdb.DuckDBPyConnection], T], *, wait_s: float | None = None
    ) -> T:
        """`work` on a read-only connection (migrating first if this object has not yet)."""
        if not self._migrated:
            self.migrate(wait_s=wait_s)
        return self._read_now(work, wait_s=wait_s)

    def _read_now(
        self, work: Callable[[duckdb.DuckDBPyConnection], T], *, wait_s: float | None = None
    ) -> T:
        timeout = self.lock_timeout_s if wait_s is None else wait_s
        with transaction(
            self.path, read_only=True, lock_timeout_s=timeout, on_wait=self.on_wait
        ) as con:
            return work(con)

    # -- the run --------------------------------------------------------------------------

    def validators(
        self, *, wait_s: float | None = None
    ) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """`{(school_id, source_id): (etag, last_modified)}` from each source's last ok fetch.

        `wait_s` overrides `lock_timeout_s`: a run asks with a short wait, and fetches
        without them rather than wait for the file.
        """
        return self._read(store.validators, wait_s=wait_s)

    def store_run(
        self,
        run_id: str,
        started_at: datetime,
        results: list[FetchResult],
        assessments: list[Assessment],
        *,
        posts: list[Post] | None = None,
        retention_days: int | None = None,
    ) -> StoreSummary:
        """Store one run in one short write transaction.

        `posts` defaults to every post in `results`. Only posts whose assessment says
        `mentions` are kept; a post is stored once, a changed raw item becomes a new version,
        and an assessment is added for a new post or version or a new classifier version.
        Newly flagged posts join their poster's open case or open one. Storing the same
        input again adds nothing. With `retention_days`, the same transaction also purges
        (see `purge`), so a run takes the file for writing once.
        """
        batch = [p for r in results for p in r.posts] if posts is None else posts

        return self._run(
            lambda con: store.store_run(
                con, run_id, started_at, results, batch, assessments, _now(),
                retention_days=retention_days,
            )
        )  # fmt: skip

    def last_action_rungs(self, school_id: str) -> dict[tuple[str, str], int]:
        """`{(site, author): highest rung SLT recorded}` for posters with an open case."""
        return self._read(lambda con: cases.last_action_rungs(con, school_id))

    def last_action_rungs_by_school(
        self, school_ids: list[str]
    ) -> dict[str, dict[tuple[str, str], int]]:
        """`last_action_rungs` for each of `school_ids`, from one read of the file."""
        return self._read(lambda con: cases.last_action_rungs_by_school(con, school_ids))

    # -- cases ----------------------------------------------------------------------------

    def list_cases(self, school_id: str | None = None, status: str | None = "open") -> list[Case]:
        """Cases by `respond_by`; `status` "open", "closed" or None for all."""
        return self._read(lambda con: cases.list_cases(con, school_id, status))

    def case_detail(self, case_id: str) -> CaseDetail:
        """A case with its posts and actions; `WarehouseError` for an unknown id."""
        return self._read(lambda con: cases.case_detail(con, case_id))

    def record_action(self, case_id: str, rung: int, note: str, by: str) -> CaseAction:
        """Record an action SLT took on an open case, at rung 0–6 of the ladder."""
        return self._run(lambda con: cases.record_action(con, case_id, rung, note, by, _now()))

    def close_case(self, case_id: str, note: str, by: str) -> Case:
        """Close an open case with a note saying why."""
        return self._run(lambda con: cases.close_case(con, case_id, note, by, _now()))

    def export_evidence(
        self,
        case_id: str,
        dest_dir: str | Path,
        *,
        printer: ScreenPrinter | None = None,
        screen_prints: bool = True,
        school_name: str = "",
    ) -> Path:
        """Write the case's evidence bundle, `dest_dir/<case_id>.zip`, and return its path.

        The warehouse is read first, in one short read; the screen prints (with `printer`,
        by default the Chromium found on PATH; none with `screen_prints=False`) are taken
        after the file is let go, so a slow site never holds it. See `warehouse.evidence`.
        """
        found = self._read(lambda con: evidence.collect(con, case_id))
        if screen_prints and printer is None:
            printer = ScreenPrinter.find()
        use = printer if screen_prints else None
        return evidence.write_bundle(found, Path(dest_dir), _now(), use, school_name)

    def verify_chain(self) -> tuple[int, list[str]]:
        """Recompute every stored version's sha256 and hash chain (see `warehouse.chain`):
        (versions checked, one line per problem; none when nothing was edited)."""
        return self._read(chain.verify)

    # -- the case board -------------------------------------------------------------------

    def add_sign_in_link(
        self,
        email: str,
        token_sha256: str,
        expires_at: datetime,
        *,
        max_recent: int,
        since: datetime,
    ) -> bool:
        """Store a sign-in link (its hash) unless `email` had `max_recent` since `since`."""
        return self._run(
            lambda con: board.add_sign_in_link(
                con, email, token_sha256, _now(), expires_at, max_recent=max_recent, since=since
            )
        )

    def use_sign_in_link(
        self, token_sha256: str, session_sha256: str, session_expires_at: datetime
    ) -> str | None:
        """Spend a live link and start a session in one transaction; its address, or None."""
        return self._run(
            lambda con: board.use_sign_in_link(
                con, token_sha256, session_sha256, _now(), session_expires_at
            )
        )

    def session_email(self, session_sha256: str) -> str | None:
        """The address signed in with this session, while it is live."""
        return self._read(lambda con: board.session_email(con, session_sha256, _now()))

    def end_session(self, session_sha256: str) -> None:
        """Sign a session out."""
        self._run(lambda con: board.end_session(con, session_sha256, _now()))

    def audit(
        self, email: str, role: str, event: str, case_id: str | None, detail: str = ""
    ) -> None:
        """Add a line to the board's audit log."""
        entry = board.AuditEntry(_now(), email, role, event, case_id, detail)
        self._run(lambda con: board.audit(con, entry))

    def audit_log(self, case_id: str | None = None) -> list[board.AuditEntry]:
        """The board's audit log, oldest first (one case's when `case_id` is given)."""
        return self._read(lambda con: board.audit_log(con, case_id))

    def case_list(
        self, status: str | None, school_ids: list[str]
    ) -> tuple[list[CaseDetail], list[StillOnline]]:
        """The board's list in one read: these schools' cases with their posts, and their
        reported posts still online 48 hours after the report."""
        return self._read(lambda con: board.case_list(con, status, school_ids, _now()))

    def case_details(self, status: str | None, school_ids: list[str]) -> list[CaseDetail]:
        """These schools' cases ("open", "closed" or None for all) with their posts, in one
        read: what the board's case list needs to know which ones hold safeguarding items."""
        return self._read(lambda con: board.case_details(con, status, school_ids))

    def case_records(self, case_id: str) -> board.CaseRecords:
        """A case, every stored version of its posts and their removal status, in one read."""
        return self._read(lambda con: board.case_records(con, case_id))

    def post_versions(self, school_id: str, post_id: str) -> list[board.PostVersion]:
        """Every stored version of a post, oldest first."""
        return self._read(lambda con: board.post_versions(con, school_id, post_id))

    # -- removal tracking -----------------------------------------------------------------

    def removal_targets(self) -> list[RemovalTarget]:
        """Posts to re-check: on open cases with an action at rung >= 2, not yet removed."""
        return self._read(removal.removal_targets)

    def record_removal_checks(
        self, checks: Sequence[RemovalCheck], run_id: str | None = None
    ) -> int:
        """Store the results of re-checking reported posts; returns how many."""
        return self._run(lambda con: removal.record_checks(con, run_id, checks))

    def still_online(
        self, school_id: str, now: datetime, after: timedelta = removal.STILL_ONLINE_AFTER
    ) -> list[StillOnline]:
        """The school's reported posts still online `after` (48 h) past the report (see
        `warehouse.removal.posts_still_online`)."""
        return self._read(lambda con: removal.posts_still_online(con, school_id, now, after))

    def case_removal(self, case_id: str) -> list[PostRemoval]:
        """The case's posts with their report and latest re-check (none before a rung >= 2
        action)."""
        return self._read(lambda con: removal.case_removal(con, case_id))

    # -- digest and alerts ----------------------------------------------------------------

    def pending_alerts(self, school_id: str) -> list[FlaggedItem]:
        """Flagged items neither alerted nor digested yet, oldest first (alert candidates)."""
        return self._read(lambda con: digest_queries.pending_alerts(con, school_id))

    def mark_alerted(
        self, school_id: str, post_ids: list[str], recipients: list[str], at: datetime
    ) -> int:
        """Record that these posts were alerted to `recipients`; returns how many were new."""
        return self._run(
            lambda con: digest_queries.mark_sent(con, school_id, post_ids, "alert", recipients, at)
        )

    def digest_data(self, school_id: str, school_name: str, now: datetime) -> DigestData:
        """Everything the school's next digest shows: undigested items first."""
        return self._read(lambda con: digest_queries.digest_data(con, school_id, school_name, now))

    def mark_digested(
        self,
        school_id: str,
        post_ids: list[str],
        at: datetime,
        recipients: Sequence[str] = (),
        message_ids: Sequence[str] = (),
    ) -> int:
        """Mark items as sent in a digest (once each); returns how many were new.

        Call it also for a digest with no items: "new mentions" count from the last digest.
        The recorded messages `message_ids` (see `record_outgoing`) are done with, in the same
        transaction.
        """

        def work(con: duckdb.DuckDBPyConnection) -> int:
            outgoing.forget(con, message_ids)
            return digest_queries.mark_digested(con, school_id, post_ids, at, list(recipients))

        return self._run(work)

    def record_outgoing(self, message: outgoing.Outgoing) -> None:
        """Record a message, and the posts it carries, just before it is sent."""
        self._run(lambda con: outgoing.record(con, message, _now()))

    def pending_outgoing(self, school_id: str, kind: str = "digest") -> list[outgoing.Outgoing]:
        """Messages recorded but not marked: a run stopped between sending and marking."""
        return self._read(lambda con: outgoing.pending(con, school_id, kind))

    def forget_outgoing(self, message_ids: Sequence[str]) -> None:
        """Drop recorded messages that were not accepted (their posts go in the next one)."""
        self._run(lambda con: outgoing.forget(con, message_ids))

    # -- rescoring ------------------------------------------------------------------------

    def stale_posts(self, classifier_version: str) -> list[Post]:
        """Latest version of each post last assessed by another classifier version."""
        return self._read(lambda con: rescoring.stale_posts(con, classifier_version))

    def add_assessments(self, assessments: list[Assessment]) -> int:
        """Add assessments of stored posts, keeping earlier ones; returns rows added."""
        return self._run(lambda con: rescoring.add_assessments(con, assessments, _now()))

    # -- erasure --------------------------------------------------------------------------

    def forget_author(self, author: str, site: str | None = None) -> erasure.Erasure:
        """Erase `author`'s posts (on `site` only, when given) except those an open case holds.

        See `warehouse.erasure` for what goes; the result says what was erased and kept.
        """
        return self._run(lambda con: erasure.forget_author(con, author, site, _now()))

    # -- maintenance and analysts ---------------------------------------------------------

    def purge(self, now: datetime, retention_days: int) -> int:
        """Delete unflagged mentions older than `retention_days`; returns posts deleted."""
        return self._run(lambda con: maintenance.purge(con, now, retention_days))

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run one statement on a read-only connection: (column names, rows)."""
        return self._read_now(lambda con: maintenance.query(con, sql))

    def snapshot(self, dest_dir: str | Path, mode: int = 0o640) -> list[Path]:
        """Copy each stable view that changed to `dest_dir/<view>.parquet` for analysts;
        returns the files written (a view whose rows are those its file holds is skipped).

        Each file gets permissions `mode` and the warehouse file's group.
        """
        group = self.path.stat().st_gid
        return self._read(lambda con: maintenance.snapshot(con, Path(dest_dir), mode, group))
