"""Who may sign in, and the in-memory limits and session cache."""

from __future__ import annotations

from flows.demo import DEMO_DSL, DEMO_SLT, SITE_DIR
from schoolwatch.config import parse_config
from web.memory import SessionCache, SlidingWindow
from web.people import members

TWO_SCHOOLS = """
[[schools]]
id = "alpha"
name = "Alpha Primary"
digest_to = ["Head@Alpha.example", "dsl@trust.example"]
alert_to = ["dsl@trust.example"]

[[schools]]
id = "beta"
name = "Beta Primary"
digest_to = ["dsl@trust.example"]
"""


def test_digest_to_is_slt_alert_to_is_dsl_per_school():
    people = members(parse_config(TWO_SCHOOLS))
    assert set(people) == {"head@alpha.example", "dsl@trust.example"}
    assert people["head@alpha.example"].roles == {"alpha": "slt"}
    # the trust's DSL is the DSL at one school and only SLT at the other
    assert people["dsl@trust.example"].roles == {"alpha": "dsl", "beta": "slt"}
    assert people["dsl@trust.example"].role_at("gamma") is None


def test_the_demo_prints_addresses_that_may_sign_in():
    template = (SITE_DIR / "schoolwatch.toml.template").read_text()
    people = members(parse_config(template.replace("DEMO_HOST", "127.0.0.1:1")))
    assert people[DEMO_SLT].roles == {"st-osrics-marrowby": "slt"}
    assert people[DEMO_DSL].roles == {"st-osrics-marrowby": "dsl"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_sliding_window_forgets_old_hits():
    clock = Clock()
    limit = SlidingWindow(2, 60, clock)
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a"), limit.allow("b")] == [
        True,
        True,
        False,
        True,
    ]
    clock.now = 61
    assert limit.allow("a")


def test_the_session_cache_rechecks_after_a_while_and_forgets_on_sign_out():
    clock = Clock()
    cache = SessionCache(30, clock)
    cache.put("k", "head@alpha.example")
    assert cache.get("k") == "head@alpha.example"
    clock.now = 31
    assert cache.get("k") is None
    cache.put("k", "head@alpha.example")
    cache.drop("k")
    assert cache.get("k") is None
