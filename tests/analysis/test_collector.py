"""The garbage collector's pause around the classifier's start-up restores what it found."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from analysis import collector
from analysis.lazy_regex import LazyRegex


@pytest.fixture(autouse=True)
def _collector_on_after() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    if was_on:
        gc.enable()
    else:
        gc.disable()


def test_paused_switches_the_collector_off_inside_and_on_after() -> None:
    gc.enable()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_collector_that_was_off_switched_off() -> None:
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_paused_switches_the_collector_on_again_when_the_block_raises() -> None:
    gc.enable()
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_two_threads_in_paused_blocks_leave_the_collector_on() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused():
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=other)
    with collector.paused():
        t.start()
        assert inside.wait(5)
    leave.set()
    t.join(5)
    assert gc.isenabled()


def test_compiling_a_lazy_expression_leaves_the_collector_as_it_was() -> None:
    gc.enable()
    pattern = LazyRegex(r"\b(?:" + "|".join(f"word{i}" for i in range(500)) + r")\b")
    assert pattern.search("a word321 here") is not None
    assert pattern.scanner is not None
    assert gc.isenabled()
