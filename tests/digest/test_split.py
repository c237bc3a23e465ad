"""A digest too big for the server's size limit: split into messages that fit, every item once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from digest.dispatch import send_school_digest
from digest.split import size
from tests.digest.conftest import (
    COMPLAINT_1,
    Recorder,
    Server,
    _run,
    body_text,
    item,
    make_data,
    make_items,
)

LIMIT = 80_000  # the server's limit; a one-item digest with its chart is about 39 kB


@pytest.fixture
def small_smtp() -> Iterator[Server]:
    """A server that refuses (552) any message over LIMIT bytes, as a 10 MB server does 11 MB."""
    yield from _run(Recorder(), data_size_limit=LIMIT)


def _many(n: int):
    return tuple(
        item(f"p-{i}", f"{COMPLAINT_1} Day {i}. " * 20, ("complaint",), "low", 1, ("chaos",))
        for i in range(n)
    )


def _carried(server: Server, post_ids) -> dict[str, int]:
    """How many accepted messages carry each post (by its case id in the text part)."""
    bodies = [body_text(m) for m in server.handler.messages()]
    return {
        p: sum(bool(re.search(rf"\bcase-{re.escape(p)}\b", b)) for b in bodies) for p in post_ids
    }


def test_oversized_digest_is_refused_whole_and_marks_nothing(small_smtp, school):
    data = make_data(_many(200))
    outcome = send_school_digest(data, school, small_smtp.config(), min_confidence=0.5)
    assert outcome.status == "failed" and "552" in (outcome.error or "")
    assert outcome.post_ids == ()
    assert small_smtp.handler.received == []


def test_digest_over_the_limit_is_split_and_every_item_arrives_exactly_once(small_smtp, school):
    items = _many(200)
    data = make_data(items)
    cfg = small_smtp.config(max_message_bytes=LIMIT)
    outcome = send_school_digest(data, school, cfg, min_confidence=0.5)

    assert outcome.status == "sent", outcome.error
    msgs = small_smtp.handler.messages()
    n = len(msgs)
    assert n >= 3
    subjects = [" ".join(str(m["Subject"]).split()) for m in msgs]
    assert [s.rsplit("— ", 1)[1] for s in subjects] == [
        f"Digest {i} of {n}" for i in range(1, n + 1)
    ]
    assert all(len(e.original_content or b"") <= LIMIT for e in small_smtp.handler.received)
    ids = [i.post_id for i in items]
    assert _carried(small_smtp, ids) == dict.fromkeys(ids, 1)
    assert sorted(outcome.post_ids) == sorted(ids)
    assert len({m["Message-ID"] for m in msgs}) == n
    # the overdue list goes once, in the first message
    overdue = [bool(re.search(r"\bcase-p-old\b", body_text(m))) for m in msgs]
    assert overdue == [True] + [False] * (n - 1)


def test_an_item_too_big_for_any_message_is_summarised_with_where_to_read_it(small_smtp, school):
    text = " ".join(f"liar{i} cheat{i}" for i in range(5000))
    spans = tuple(f"liar{i} cheat{i}" for i in range(3000))
    big = item("p-big", text, ("defamation",), "high", 2, spans)
    items = (big, *make_items()[:3])
    data = make_data(items)
    cfg = small_smtp.config(max_message_bytes=LIMIT)
    assert size(_whole(data, school, cfg)) > 4 * LIMIT, "the item alone must not fit"

    outcome = send_school_digest(data, school, cfg, min_confidence=0.5)

    assert outcome.status == "sent", outcome.error
    ids = [i.post_id for i in items]
    assert _carried(small_smtp, ids) == dict.fromkeys(ids, 1)
    texts = [body_text(m) for m in small_smtp.handler.messages()]
    assert sum("schoolwatch cases show case-p-big" in t for t in texts) == 1
    assert sorted(outcome.post_ids) == sorted(ids)


def test_a_digest_under_the_limit_stays_one_message(small_smtp, data, school):
    outcome = send_school_digest(
        data, school, small_smtp.config(max_message_bytes=LIMIT), min_confidence=0.5
    )
    assert outcome.status == "sent"
    [msg] = small_smtp.handler.messages()
    assert "Digest 1 of" not in str(msg["Subject"])


def _whole(data, school, cfg):
    from digest.render import render_digest
    from digest.send import build_message

    return build_message(render_digest(data, school), cfg.from_, school.digest_to)
