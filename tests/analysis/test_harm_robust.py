"""Any text gets a valid answer: empty, huge, control characters, mixed scripts. And the
shipped model is exactly what its training script builds from the shipped data."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import ladder, real_comments, train_harm
from analysis.harm import HARM_VERSION, assess_harm
from schoolwatch.config import SchoolConfig
from schoolwatch.models import CATEGORIES, SEVERITIES

SCHOOL = SchoolConfig.model_validate(
    {
        "id": "ashgrove-fenbridge",
        "name": "Ashgrove Primary School, Fenbridge",
        "ambiguous_names": ["Ashgrove"],
        "people": [{"name": "Harriet Quill", "role": "headteacher", "aliases": ["Mrs Quill"]}],
    }
)

# scripts and symbols posters mix: Latin, accented, Welsh, Cyrillic, Arabic, CJK, emoji,
# combining marks, zero-width and control characters
ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("aé ŷ*@4!.\n\t\x00\x1b\u200b\u0301ДЖ中文ع🍆🔥💣'’-07")),
)


def _check(title: str, text: str) -> None:
    res = assess_harm(title, text, SCHOOL, ())
    assert list(res.categories) == [c for c in CATEGORIES if c in res.categories]
    assert "complaint" not in res.categories or res.categories == ("complaint",)
    serious = ladder.is_serious_defamation(res.evidence)
    assert ladder.severity(res.categories, serious_defamation=serious) in SEVERITIES
    for cat in res.categories:
        assert any(e.category == cat for e in res.evidence)
    for e in res.evidence:
        source = title if e.field == "title" else text
        assert e.category in res.categories
        assert 0 <= e.start <= e.end <= len(source)
        assert source[e.start : e.end] == e.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(ALPHABET, max_size=60), text=st.text(ALPHABET, max_size=400))
def test_any_text_gives_a_valid_answer(title: str, text: str) -> None:
    _check(title, text)


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            [
                "Mrs Quill",
                "Ashgrove",
                "kill",
                "p*ki",
                "07700 900123",
                "watch",
                "your",
                "back",
                "lives at 4 Elm Road",
                "bomb",
                "f***ing",
                "not",
                "police said",
                ".",
                "!",
                "🔥",
            ]
        ),
        max_size=40,
    )
)
def test_trigger_words_in_any_order(words: list[str]) -> None:
    _check("", " ".join(words))


def test_empty_and_whitespace() -> None:
    for title, text in [("", ""), (" ", "\n\t"), ("", "..."), ("\x00", "\x00\x01")]:
        _check(title, text)
        assert assess_harm(title, text, SCHOOL, ()).categories in ((), ("complaint",))


def test_one_megabyte_post_is_answered_quickly() -> None:
    text = ("Mrs Quill at Ashgrove is lovely. " * 40_000)[:1_000_000]
    start = time.perf_counter()
    _check("", text)
    assert time.perf_counter() - start < 5


@pytest.mark.skipif(
    not (real_comments.DEFAULT_PATH / "train.jsonl").exists(),
    reason="the real comments the model is trained on are not beside this clone",
)
def test_shipped_model_matches_its_training_code() -> None:
    # retrain from analysis/data/train and the real comments with analysis/train_harm.py
    # (a few minutes), with the BLAS kernels the shipped model was built with: byte-for-byte
    # the same
    env = train_harm.blas_environment()
    if env is None:
        pytest.skip("the shipped model rebuilds byte for byte only with OpenBLAS's AVX2 kernels")
    done = subprocess.run(
        [sys.executable, "-m", "analysis.train_harm", "--check"],
        env=env,
        cwd=Path(train_harm.__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        "analysis/data/harm_model.bin is stale: run `uv run python -m analysis.train_harm`\n"
        + done.stdout
        + done.stderr
    )


def test_version() -> None:
    assert HARM_VERSION.startswith("harm-")
