"""Prefect flows that wire the stages together, and the `schoolwatch` command line.

Only this package imports Prefect. `flows.cli` imports it lazily, so commands that need no
orchestration (`classify`, `sql`, `cases`) start quickly.
"""
