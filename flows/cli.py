"""`schoolwatch`: the command line. It parses arguments and calls library functions; nothing else.

Every `SchoolwatchError` becomes one line on stderr and a non-zero exit (2 for configuration and
usage problems, 1 for everything else); no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from schoolwatch import __version__
from schoolwatch.errors import ConfigError, SchoolwatchError
from schoolwatch.files import private_files

DEFAULT_CONFIG = "schoolwatch.toml"
EXIT_USAGE = 2

EPILOG = """\
examples:
  schoolwatch demo                                   see it work on a bundled sample site
  schoolwatch run --config schoolwatch.toml          one full cycle now
  schoolwatch sql "SELECT * FROM flagged LIMIT 5"    query the warehouse (read-only)
  schoolwatch cases list                             open cases needing action
"""


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        "-c",
        default=DEFAULT_CONFIG,
        metavar="F",
        help=f"configuration file (default: {DEFAULT_CONFIG})",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand (also used by the docs test)."""
    parser = argparse.ArgumentParser(
        prog="schoolwatch",
        description="Watch the public web for posts about a school, flag the ones SLT must act "
        "on, keep everything in DuckDB and email a daily digest.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"schoolwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "run",
        help="one full cycle now: collect, analyse, store, alert, digest",
        description="Run one full cycle now (the daily-monitor flow, in-process). "
        "It also re-checks the posts SLT reported (an action at rung 2 or higher) and "
        "records whether each is still online. Exits 0 when the cycle completed, even if "
        "some sources failed: they are reported in source_health and in the digest. "
        "Exits 1, with one line, when an alert or the digest was not delivered: nothing "
        "undelivered is marked sent, and the next run sends it.",
    )
    _add_config(p)
    p.add_argument(
        "--no-send",
        action="store_true",
        help="collect, analyse, store and re-check reported posts only; send no alert or digest",
    )
    p.add_argument(
        "--task-runner",
        choices=("threads", "dask"),
        default="threads",
        help="threads (default): fetch in a thread pool of this process; dask: spread fetching "
        "and analysis over a Dask cluster (a LocalCluster of one worker process per core, or "
        "--dask-address); this process alone writes the warehouse",
    )
    p.add_argument(
        "--dask-address",
        metavar="ADDR",
        help="with --task-runner dask: the scheduler of an existing Dask cluster "
        "(tcp://host:8786) instead of a LocalCluster; its workers need PREFECT_API_URL",
    )
    p.add_argument(
        "--dask-workers",
        type=int,
        metavar="N",
        help="with --task-runner dask and no address: worker processes (default: one per core)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "classify",
        help="classify JSON lines from stdin (no network, no database)",
        description='Read JSON lines {"id", "text", "title"?, "school"?, "local"?} '
        'on stdin; write one JSON line per input: {"id", "mentions", '
        '"categories", "severity", "rung", "sentiment", "confidence", "evidence"}. '
        "With --explain, print instead each step that decided each category.",
    )
    _add_config(p)
    p.add_argument(
        "--explain",
        action="store_true",
        help="for each post, print the names matched, threat frames and counter-evidence, "
        "rules fired, the model's probabilities and heaviest words, the decision and its "
        "confidence (text, not JSON)",
    )
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser(
        "rescore",
        help="re-assess stored posts after the classifier changed",
        description="Re-assess every stored post whose current assessment was "
        "made by another classifier version. Earlier assessments are kept.",
    )
    _add_config(p)
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser(
        "digest",
        help="send (or print) the digest of what has not been sent yet",
        description="Send (or print) each school's digest of what has not been sent yet. "
        "A digest over [email] max_message_bytes goes as several messages (Digest 1 of N). "
        "Exits 1, with one line, when it was not delivered; the next run sends it.",
    )
    _add_config(p)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the digest instead of sending it; nothing is marked sent",
    )
    p.add_argument("--school", metavar="ID", help="only this school (default: all)")
    p.set_defaults(func=cmd_digest)

    _add_cases(sub)

    p = sub.add_parser(
        "sql",
        help="run a read-only SQL query and print a table",
        description="Run one read-only query against the warehouse. Stable "
        "views: mentions, flagged, daily_sentiment, source_health, post_versions.",
    )
    _add_config(p)
    p.add_argument("query", help='e.g. "SELECT severity, count(*) FROM flagged GROUP BY 1"')
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="output format (default: table)",
    )
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser(
        "forget",
        help="erase an author's posts (UK GDPR erasure), except those an open case holds",
        description="Erase every stored post by this author (exact name as stored; on one "
        "site with --site): its versions, raw bytes, assessments and delivery records, and "
        "closed cases left empty. Posts an open case holds are kept and listed: close the "
        "case, then run forget again. The Parquet snapshots are rewritten. The same posts "
        "are not stored again by later runs.",
    )
    _add_config(p)
    p.add_argument("--author", required=True, metavar="NAME", help="the author name as stored")
    p.add_argument("--site", metavar="S", help="only posts on this site (host, e.g. forum.example)")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser(
        "serve",
        help="run the schedules from the config, with a local Prefect server that fires them",
        description="Serve the daily-monitor and digest schedules of the config's [schedule] "
        "(default 06:00 daily and 07:30 Monday to Friday, Europe/London) from this process. "
        "With PREFECT_API_URL set, on that Prefect server; otherwise it starts a local "
        "Prefect server on 127.0.0.1 ([schedule] server_port, default 4200) with its "
        "database in prefect/ beside the warehouse, and stops it when it stops. Stop with "
        "Ctrl-C or SIGTERM.",
    )
    _add_config(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "web",
        help="the case board: SLT and the DSL work cases in a browser",
        description="Serve the case board: sign-in by a one-time emailed link (for the "
        "addresses in each school's digest_to, role slt, and alert_to, role dsl), the open "
        "cases by respond-by, each case's posts, versions, evidence and ladder, forms to "
        "record an action or close a case, and the evidence bundle. Safeguarding cases are "
        "for the DSL only; every view of one and every action is in the audit log. Links in "
        "sign-in emails point at [web] base_url (default: this server's address). Put it "
        "behind the school's HTTPS reverse proxy to reach it from outside (docs/board.md).",
    )
    _add_config(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    p.set_defaults(func=cmd_web)

    p = sub.add_parser(
        "demo",
        help="the whole pipeline against a bundled sample site, offline",
        description="Serve a bundled sample site for a fictional school on "
        "127.0.0.1, run the full pipeline into a fresh directory, write the "
        "digest to its outbox and print a summary.",
    )
    p.add_argument(
        "--dir",
        default="demo-data",
        metavar="DIR",
        help="where to put the demo's warehouse and outbox (default: ./demo-data)",
    )
    p.set_defaults(func=cmd_demo)
    return parser


def _add_cases(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser(
        "cases",
        help="list, show, act on, close and export cases; verify evidence bundles",
        description="Cases group the flagged posts of one author on one site.",
    )
    csub = cases.add_subparsers(dest="cases_command", metavar="ACTION", required=True)

    p = csub.add_parser(
        "list",
        help="list cases (default: open ones), most urgent first",
        description="List cases by respond-by, most urgent first. --format json prints a JSON "
        "array of objects with case_id, school_id, site, author, status, recommended_rung "
        "(the ladder's next rung), last_action_rung, respond_by, post_ids, and severity, "
        "opened_at, closed_at, last_action_at.",
    )
    _add_config(p)
    p.add_argument("--status", choices=["open", "closed", "all"], default="open")
    p.add_argument("--school", metavar="ID", help="only this school")
    p.add_argument("--format", choices=["table", "json"], default="table", help="(default: table)")
    p.set_defaults(func=cmd_cases_list)

    p = csub.add_parser(
        "show",
        help="one case: its posts, categories, actions, whether reported posts are online",
        description="Show one case. --format json prints one object with the fields of "
        "'cases list --format json' plus posts (each with its text, categories, confidence "
        "and evidence), actions, closed_by and close_note.",
    )
    _add_config(p)
    p.add_argument("case_id")
    p.add_argument("--format", choices=["text", "json"], default="text", help="(default: text)")
    p.set_defaults(func=cmd_cases_show)

    p = csub.add_parser("action", help="record an action SLT took on a case")
    _add_config(p)
    p.add_argument("case_id")
    p.add_argument(
        "--rung",
        type=int,
        required=True,
        choices=range(7),
        metavar="0-6",
        help="the ladder rung the action was at (0 monitor ... 6 police)",
    )
    p.add_argument("--note", required=True, help="what was done")
    p.add_argument("--by", required=True, help="who did it")
    p.set_defaults(func=cmd_cases_action)

    p = csub.add_parser("close", help="close a case")
    _add_config(p)
    p.add_argument("case_id")
    p.add_argument("--note", default="", help="why it is closed")
    p.add_argument("--by", required=True, help="who closed it")
    p.set_defaults(func=cmd_cases_close)

    p = csub.add_parser(
        "export",
        help="write a case's evidence bundle: a zip of every version, screen prints, hashes",
        description="Write DIR/<case id>.zip: every stored version of every post (raw bytes as "
        "fetched and text), metadata.json per post (URL, fetch times, HTTP status and Date, "
        "sha256, hash chain), the action log, summary.html, a time-stamped screen print of "
        "each post's page taken with headless Chromium ([evidence] in the config; without "
        "Chromium the summary says none was taken and why), a pre-filled notice of complaint "
        "for defamation cases, and MANIFEST.sha256. Check it later with 'cases verify'.",
    )
    _add_config(p)
    p.add_argument("case_id")
    p.add_argument("--out", default=".", metavar="DIR", help="where to write it (default: .)")
    p.add_argument(
        "--no-screen-prints", action="store_true", help="take no screen prints (offline)"
    )
    p.set_defaults(func=cmd_cases_export)

    p = csub.add_parser(
        "verify",
        help="check an evidence bundle against its MANIFEST.sha256, or the warehouse's hash chain",
        description="With BUNDLE (the zip, or the folder it unzips to): recompute the sha256 of "
        "every file and compare with MANIFEST.sha256. With --warehouse: recompute every stored "
        "version's sha256 and hash chain, so an edited, deleted or unsealed row is found. "
        "Prints 'all N files match' (or 'all N versions match') and exits 0; otherwise one "
        "line per problem, naming the file or row, and exits 1.",
    )
    p.add_argument("bundle", nargs="?", metavar="BUNDLE", help="an exported C-000011.zip")
    p.add_argument(
        "--warehouse", action="store_true", help="check the configured warehouse's hash chain"
    )
    _add_config(p)
    p.set_defaults(func=cmd_cases_verify)


# -- commands ---------------------------------------------------------------------------------


def _config(args: argparse.Namespace):
    from schoolwatch.config import load_config

    return load_config(args.config)


def _warehouse(args: argparse.Namespace, *, migrate: bool = True):
    """The configured warehouse; while another process holds the file, says so on stderr."""
    from warehouse import Warehouse

    return Warehouse.from_config(_config(args).warehouse, migrate=migrate, on_wait=_say)


def _say(line: str) -> None:
    print(f"schoolwatch: {line}", file=sys.stderr, flush=True)


def _prefect() -> None:
    from flows.prefect_env import apply_defaults, quiet_known_errors

    apply_defaults()
    quiet_known_errors()


def cmd_run(args: argparse.Namespace) -> int:
    # a bad file or an unwritable warehouse path fails here, before Prefect starts (without
    # opening the file: the run does not wait for an analyst before fetching)
    _warehouse(args, migrate=False)
    if args.task_runner != "dask" and (args.dask_address or args.dask_workers):
        raise ConfigError("--dask-address and --dask-workers need --task-runner dask")
    if args.dask_workers is not None and args.dask_workers < 1:
        raise ConfigError(f"--dask-workers must be 1 or more, not {args.dask_workers}")
    _prefect()
    from flows.daily import daily_monitor
    from flows.report import print_run_summary

    run, parts = daily_monitor, 1
    if args.task_runner == "dask":
        from flows.scale_out import dask_task_runner, parts_for

        runner = dask_task_runner(args.dask_address, workers=args.dask_workers)
        # Prefect types its task runner parameter more narrowly than its own runners satisfy
        run = daily_monitor.with_options(task_runner=runner)  # type: ignore[arg-type]
        parts = parts_for(args.dask_workers)
    summary = run(config_path=str(args.config), send=not args.no_send, parts=parts)
    print_run_summary(summary)
    return _delivery_failed(summary["delivery_failed"])


def cmd_classify(args: argparse.Namespace) -> int:
    if args.explain:
        from analysis.explain import explain_stream

        bad = explain_stream(_config(args), sys.stdin, sys.stdout)
        return 1 if bad else 0
    from analysis.assess import classify_stream

    bad = classify_stream(_config(args), sys.stdin, sys.stdout)
    return 1 if bad else 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from flows.rescore import rescore

    done = rescore(_config(args))
    print(f"re-assessed {done} stored posts")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.school:
        cfg.school(args.school)
    _prefect()
    from flows.delivery import send_digest

    result = send_digest(config_path=str(args.config), dry_run=args.dry_run, school_id=args.school)
    if not args.dry_run:
        for w in result["delivered"]:
            print(f"digest sent: {w}")
    return _delivery_failed(result["failed"])


def _delivery_failed(failures: Sequence[str]) -> int:
    """One stderr line for what was not delivered, and exit 1; 0 when everything went."""
    if not failures:
        return 0
    _say(
        f"delivery failed: {'; '.join(failures)}; nothing undelivered was marked sent, "
        "it will be retried on the next run"
    )
    return 1


def cmd_cases_list(args: argparse.Namespace) -> int:
    from flows.report import print_json, print_table

    status = None if args.status == "all" else args.status
    rows = _warehouse(args).list_cases(school_id=args.school, status=status)
    if args.format == "json":
        print_json([r.as_json() for r in rows])
        return 0
    cols = ["case_id", "school_id", "author", "site", "status", "rung", "posts", "respond_by"]
    print_table(cols, [tuple(getattr(r, c, None) for c in cols) for r in rows])
    return 0


def cmd_cases_show(args: argparse.Namespace) -> int:
    from flows.report import print_case, print_json, print_removal

    warehouse = _warehouse(args)
    detail = warehouse.case_detail(args.case_id)
    if args.format == "json":
        print_json(detail.as_json())
    else:
        print_case(detail)
        print_removal(warehouse.case_removal(args.case_id))
    return 0


def cmd_cases_action(args: argparse.Namespace) -> int:
    _warehouse(args).record_action(args.case_id, args.rung, args.note, args.by)
    print(f"recorded rung {args.rung} action on {args.case_id}")
    return 0


def cmd_cases_close(args: argparse.Namespace) -> int:
    _warehouse(args).close_case(args.case_id, args.note, args.by)
    print(f"closed {args.case_id}")
    return 0


def cmd_cases_export(args: argparse.Namespace) -> int:
    from flows.evidence import export_case

    path = export_case(
        _config(args),
        _warehouse(args),
        args.case_id,
        Path(args.out),
        screen_prints=not args.no_screen_prints,
    )
    print(f"evidence bundle written to {path}")
    return 0


def cmd_cases_verify(args: argparse.Namespace) -> int:
    if (args.bundle is None) == (not args.warehouse):
        _say("cases verify: give a BUNDLE to check, or --warehouse (one of the two)")
        return EXIT_USAGE
    if args.warehouse:
        checked, problems = _warehouse(args).verify_chain()
        what = "versions"
    else:
        from warehouse.bundle import verify_bundle

        checked, problems = verify_bundle(args.bundle)
        what = "files"
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"all {checked} {what} match")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from flows.report import print_rows
    from schoolwatch.errors import WarehouseError

    warehouse = _warehouse(args, migrate=False)
    if not warehouse.path.exists():
        raise WarehouseError(f"no warehouse at {warehouse.path} yet; run `schoolwatch run` first")
    columns, rows = warehouse.query(args.query)
    print_rows(columns, rows, args.format)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from flows.report import print_erasure

    cfg = _config(args)
    warehouse = _warehouse(args)
    result = warehouse.forget_author(args.author, args.site)
    print_erasure(result)
    if result.erased and cfg.warehouse.snapshots.exists():
        warehouse.snapshot(cfg.warehouse.snapshots, cfg.warehouse.snapshot_permissions)
        print(f"Parquet snapshots in {cfg.warehouse.snapshots} rewritten without them")
    return 0 if result.erased or result.held else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve

    serve(_config(args), Path(args.config).resolve())
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from web.server import serve

    serve(_config(args), args.host, args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _prefect()
    from flows.demo import run_demo

    run_demo(Path(args.dir))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `schoolwatch` console script."""
    private_files()
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ConfigError as e:
        for line in e.problems:
            print(f"schoolwatch: {line}", file=sys.stderr)
        return EXIT_USAGE
    except SchoolwatchError as e:
        print(f"schoolwatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("schoolwatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
