"""Evidence bundles: the zip, its files, screen prints from a real local page, and `verify`."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from schoolwatch.config import HttpConfig
from sources.http import HttpClient, page_check
from tests.warehouse.builders import T0, flagged, make_assessment, make_post, store
from warehouse import Warehouse
from warehouse.bundle import MANIFEST, verify_bundle
from warehouse.screenprint import HEIGHT, ScreenPrinter

CHROMIUM = ScreenPrinter.find().browser
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"
)
NO_CHROMIUM = ScreenPrinter(None)
PAGE = "<html><body><h1>Brackenford parents</h1><p>Mr Pemberton took the money</p></body></html>"


def _case(wh: Warehouse, url: str = "https://forum.example/t/brackenford/1"):
    """A defamation case with two versions of one post and an action, at `url`."""
    text = "Mr Pemberton at St Aldric's took the money <script>alert(1)</script>"
    v1 = replace(make_post(1, author="Concerned", text=text), url=url, guid=url)
    store(wh, [(v1, flagged(v1))])
    v2 = replace(v1, text=text + " Everyone knows.", raw=v1.raw + b" Everyone knows.",
                 fetched_at=T0 + timedelta(hours=2))  # fmt: skip
    store(wh, [(v2, flagged(v2))], run_id="run-2", fetched_at=T0 + timedelta(hours=2))
    wh.record_action("C-000001", 2, "reported to the forum", "DSL")
    return v1, v2


def _files(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {n.removeprefix("C-000001/"): zf.read(n) for n in zf.namelist()}


def _rezip(bundle: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(bundle, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"C-000001/{name}", data)


def test_bundle_holds_every_version_metadata_log_summary_and_manifest(wh, tmp_path):
    v1, v2 = _case(wh)
    before = datetime.now(UTC)
    bundle = wh.export_evidence("C-000001", tmp_path / "out", printer=NO_CHROMIUM)
    assert bundle == tmp_path / "out" / "C-000001.zip"
    files = _files(bundle)
    assert sorted(files) == [
        MANIFEST, "action_log.csv", "case.json", "notice_of_complaint.html",
        "notice_of_complaint.txt", "posts/01/metadata.json", "posts/01/v1.raw",
        "posts/01/v1.txt", "posts/01/v2.raw", "posts/01/v2.txt", "summary.html",
    ]  # fmt: skip
    assert files["posts/01/v1.raw"] == v1.raw and files["posts/01/v2.raw"] == v2.raw
    assert files["posts/01/v2.txt"].decode() == f"{v2.title}\n\n{v2.text}\n"

    meta = json.loads(files["posts/01/metadata.json"])
    chain = dict(wh.query("SELECT version, chain_hash FROM post_contents")[1])
    assert [(v["version"], v["fetched_at"], v["url"], v["http_status"], v["sha256"],
             v["sha256_verified"], v["prev_hash"], v["chain_hash"]) for v in meta["versions"]] == [
        (1, T0.isoformat(), v1.url, 200, hashlib.sha256(v1.raw).hexdigest(), True, None,
         chain[1]),
        (2, (T0 + timedelta(hours=2)).isoformat(), v1.url, 200,
         hashlib.sha256(v2.raw).hexdigest(), True, chain[1], chain[2]),
    ]  # fmt: skip
    assert meta["screenprint"]["taken"] is False
    assert meta["screenprint"]["reason"] == "Chromium is not installed on this computer"
    assert before <= datetime.fromisoformat(meta["screenprint"]["tried_at"]) <= datetime.now(UTC)

    case = json.loads(files["case.json"])
    assert (case["case_id"], case["recommended_rung"], case["last_action_rung"]) == (
        "C-000001", 2, 2
    )  # fmt: skip
    assert case["posts"] == [meta]
    log = files["action_log.csv"].decode().splitlines()
    assert log[0] == "recorded_at_utc,rung,rung_name,by,note"
    assert log[1].endswith(",2,report_and_hide,DSL,reported to the forum")

    summary = files["summary.html"].decode()
    assert "No screen print was taken: Chromium is not installed on this computer" in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary and "<script>" not in summary
    assert "Wed 5 Mar 2025 10:00:00 UK time" in summary  # first seen, in UK time
    assert "reported to the forum" in summary and hashlib.sha256(v1.raw).hexdigest() in summary

    manifest = files[MANIFEST].decode().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in manifest) == sorted(set(files) - {MANIFEST})
    for line in manifest:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest

    # exported again: replaced whole, nothing else left in the folder
    wh.export_evidence("C-000001", tmp_path / "out", printer=NO_CHROMIUM)
    assert [f.name for f in (tmp_path / "out").iterdir()] == ["C-000001.zip"]


def test_no_notice_for_a_case_without_defamation(wh, tmp_path):
    post = make_post(3, author="Shouty", text="St Aldric's Brackenford staff are idiots")
    store(wh, [(post, make_assessment(post, categories=("harassment",), severity="medium",
                                      rung=2))])  # fmt: skip
    files = _files(wh.export_evidence("C-000001", tmp_path, screen_prints=False))
    assert not any(name.startswith("notice_of_complaint") for name in files)
    meta = json.loads(files["posts/01/metadata.json"])
    assert meta["screenprint"]["reason"] == "screen prints were turned off for this export"


@needs_chromium
def test_screen_print_of_a_local_page_is_stamped_with_the_time(wh, tmp_path, httpserver):
    httpserver.expect_request("/t/brackenford/1").respond_with_data(PAGE, content_type="text/html")
    url = httpserver.url_for("/t/brackenford/1")
    _case(wh, url)
    before = datetime.now(UTC)
    bundle = wh.export_evidence("C-000001", tmp_path, printer=ScreenPrinter.find(timeout_s=60))
    files = _files(bundle)
    meta = json.loads(files["posts/01/metadata.json"])["screenprint"]
    assert (
        meta["taken"] is True and meta["url"] == url and meta["file"] == "posts/01/screenprint.png"
    )
    taken_at = datetime.fromisoformat(meta["taken_at"])
    assert before <= taken_at <= datetime.now(UTC)

    png = Image.open(io.BytesIO(files["posts/01/screenprint.png"]))
    assert png.format == "PNG" and png.width == 1100 and png.height > HEIGHT
    shot, band = png.convert("RGB"), png.height - HEIGHT
    assert shot.getpixel((shot.width - 5, 5)) == (255, 255, 255)  # the stamp's band
    assert shot.getpixel((shot.width // 2, band - 2)) == (176, 0, 32)  # its rule
    # the stamp is drawn: dark text pixels in the band
    stamp = shot.crop((0, 0, 600, band - 4)).convert("L")
    assert sum(stamp.histogram()[:70]) > 200
    assert 'src="posts/01/screenprint.png"' in files["summary.html"].decode()
    assert verify_bundle(bundle) == (len(files) - 1, [])


def test_a_one_byte_change_in_any_file_of_a_bundle_is_named(wh, tmp_path, httpserver):
    """Every file, the screen print (when Chromium is installed) and the manifest included."""
    httpserver.expect_request("/t/brackenford/1").respond_with_data(PAGE, content_type="text/html")
    _case(wh, httpserver.url_for("/t/brackenford/1"))
    bundle = wh.export_evidence("C-000001", tmp_path, printer=ScreenPrinter.find(timeout_s=60))
    files = _files(bundle)
    assert ("posts/01/screenprint.png" in files) == (CHROMIUM is not None)
    assert verify_bundle(bundle) == (len(files) - 1, [])
    tampered = tmp_path / "tampered.zip"
    for name, data in files.items():
        for where in (0, len(data) // 2, len(data) - 1):
            changed = bytearray(data)
            changed[where] ^= 0x01
            _rezip(tampered, {**files, name: bytes(changed)})
            _, problems = verify_bundle(tampered)
            assert problems, f"a change at byte {where} of {name} went unnoticed"
            if name != MANIFEST:
                assert problems == [f"changed: {name} (its sha256 differs from {MANIFEST})"]


def test_verify_names_missing_and_extra_files_and_checks_an_unzipped_folder(wh, tmp_path):
    _case(wh)
    bundle = wh.export_evidence("C-000001", tmp_path, printer=NO_CHROMIUM)
    files = _files(bundle)
    assert verify_bundle(bundle) == (len(files) - 1, [])

    _rezip(bundle, {**{k: v for k, v in files.items() if k != "posts/01/v1.raw"},
                    "posts/01/v3.raw": b"added later"})  # fmt: skip
    assert verify_bundle(bundle)[1] == [
        "missing: posts/01/v1.raw",
        f"extra: posts/01/v3.raw (not in {MANIFEST})",
    ]

    folder = tmp_path / "unzipped"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    assert verify_bundle(folder) == (len(files) - 1, [])
    (folder / "case.json").write_bytes(files["case.json"].replace(b"C-000001", b"C-000002", 1))
    assert verify_bundle(folder)[1] == [f"changed: case.json (its sha256 differs from {MANIFEST})"]


def test_verify_reports_a_damaged_zip_and_a_non_bundle(tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"this is not a zip")
    [problem] = verify_bundle(not_zip)[1]
    assert problem.startswith(f"{not_zip}: not a readable zip file")
    assert verify_bundle(tmp_path / "nowhere.zip")[1] == [
        f"{tmp_path / 'nowhere.zip'}: no such file or folder"
    ]
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("a/readme.txt", "hello")
    assert verify_bundle(plain)[1] == [f"missing: {MANIFEST} (is this an evidence bundle?)"]


def test_bytes_damaged_inside_the_zip_file_are_reported(wh, tmp_path):
    _case(wh)
    bundle = wh.export_evidence("C-000001", tmp_path, printer=NO_CHROMIUM)
    data = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("C-000001/case.json")
    # the member's compressed data starts after its 30-byte local header, name and extra field
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10] ^= 0xFF
    bundle.write_bytes(bytes(data))
    problems = verify_bundle(bundle)[1]
    assert len(problems) == 1 and problems[0].startswith("changed: case.json (damaged inside")


def _silent_server() -> tuple[socket.socket, str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/t/1"


@needs_chromium
def test_a_page_that_never_answers_cannot_hang_the_export(wh, tmp_path):
    sock, url = _silent_server()
    try:
        _case(wh, url)
        started = time.monotonic()
        bundle = wh.export_evidence("C-000001", tmp_path, printer=ScreenPrinter.find(timeout_s=3))
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    meta = json.loads(_files(bundle)["posts/01/metadata.json"])["screenprint"]
    assert meta["taken"] is False
    assert meta["reason"] == "the page did not finish loading within 3 s"
    assert elapsed < 20


@needs_chromium
def test_the_page_check_records_the_status_and_skips_a_dead_site(wh, tmp_path, httpserver):
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    config = HttpConfig(timeout_s=2, deadline_s=5, retries=0, min_interval_s=0,
                        respect_robots=False)  # fmt: skip
    with HttpClient(config) as client:
        check = page_check(client)
        _case(wh, httpserver.url_for("/gone"))
        printer = ScreenPrinter.find(timeout_s=60, check=check)
        meta = json.loads(_files(wh.export_evidence("C-000001", tmp_path, printer=printer))[
            "posts/01/metadata.json"])["screenprint"]  # fmt: skip
        assert meta["taken"] is True and meta["page_status"].startswith("HTTP 404 Not Found")

        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}/x"
        answered, status = check(closed)
        assert not answered and status.startswith("connection failed")
        shot = ScreenPrinter.find(check=check).take(closed)
        assert shot.png is None and shot.reason == f"the page did not answer: {status}"


def test_a_non_web_address_is_never_opened(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    shot = ScreenPrinter("/bin/false").take(secret.as_uri())
    assert shot.png is None and shot.reason == "the post's address is not an http(s) page"


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_verify_never_raises_on_any_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("any") / "x.zip"
    path.write_bytes(data)
    checked, problems = verify_bundle(path)
    assert checked == 0 and len(problems) == 1


def test_verify_reads_a_flat_zip_and_an_empty_manifest(tmp_path):
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("a.txt", "hello")
        zf.writestr(MANIFEST, f"{hashlib.sha256(b'hello').hexdigest()}  a.txt\n")
    assert verify_bundle(flat) == (1, [])
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr(MANIFEST, "")
    assert verify_bundle(flat)[1] == [f"changed: {MANIFEST} is empty"]
