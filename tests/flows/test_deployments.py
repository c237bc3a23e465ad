"""prefect.yaml and `schoolwatch serve` declare the same two deployments; the schedules come
from the config's [schedule], whose defaults prefect.yaml carries."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows import serve
from schoolwatch.config import ScheduleConfig, parse_config

ROOT = Path(__file__).resolve().parents[2]


def _deployments() -> dict[str, dict]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert spec["pull"], "an explicit pull step, or prefect deploy records this machine's path"
    return {d["name"]: d for d in spec["deployments"]}


def test_entrypoints_load_as_flows():
    from prefect.flows import load_flow_from_entrypoint

    names = {
        dep["name"]: load_flow_from_entrypoint(str(ROOT / dep["entrypoint"])).name
        for dep in _deployments().values()
    }
    assert names == {"daily-monitor": "daily-monitor", "digest": "send-digest"}


def test_prefect_yaml_carries_the_config_defaults():
    deps = _deployments()
    defaults = ScheduleConfig()
    assert deps["daily-monitor"]["schedules"] == [
        {"cron": defaults.run_cron, "timezone": defaults.timezone}
    ]
    assert deps["digest"]["schedules"] == [
        {"cron": defaults.digest_cron, "timezone": defaults.timezone}
    ]
    assert (defaults.run_cron, defaults.digest_cron, defaults.timezone) == (
        "0 6 * * *",
        "30 7 * * 1-5",
        "Europe/London",
    )
    assert all(d["work_pool"]["name"] == "schoolwatch" for d in deps.values())


def test_serve_takes_the_schedules_from_the_config(tmp_path):
    cfg = parse_config('[schedule]\nrun_cron = "30 5 * * *"\ntimezone = "Europe/Dublin"')
    config_path = tmp_path / "schoolwatch.toml"
    served = {d.name: d for d in serve.deployments(cfg.schedule, config_path)}
    assert set(served) == set(_deployments())
    crons = {
        n: [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] for n, d in served.items()
    }
    assert crons == {
        "daily-monitor": [("30 5 * * *", "Europe/Dublin")],
        "digest": [("30 7 * * 1-5", "Europe/Dublin")],
    }
    assert all(d.parameters == {"config_path": str(config_path)} for d in served.values())


def test_schedule_problems_are_one_line_each():
    from schoolwatch.errors import ConfigError

    bad = '[schedule]\nrun_cron = "30 25 * * *"\ndigest_cron = "daily"\ntimezone = "London"'
    with pytest.raises(ConfigError) as e:
        parse_config(bad)
    problems = e.value.problems
    assert problems == [
        "config: schedule.run_cron: '30 25 * * *': hour '25' is not valid (0-23, '*', ranges "
        "a-b, lists a,b and steps */n)",
        "config: schedule.digest_cron: 'daily' is not a cron expression: it needs 5 fields "
        '(minute hour day-of-month month day-of-week), e.g. "30 5 * * *"',
        "config: schedule.timezone: unknown time zone 'London'; e.g. \"Europe/London\"",
    ]
