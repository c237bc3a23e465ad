"""One measured figure with its target, printed as a line and kept in `.bench/results.json`."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """`value` in `unit`; it holds when it is at least `target` (at most, for `at_most`;
    equal to it, for `exactly`)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    at_most: bool = False
    exactly: bool = False
    note: str = ""

    @property
    def holds(self) -> bool | None:
        if self.target is None or math.isnan(self.value):
            return None
        if self.exactly:
            return self.value == self.target
        return self.value <= self.target if self.at_most else self.value >= self.target

    def line(self) -> str:
        value = f"{self.value:,.2f}" if abs(self.value) < 100 else f"{self.value:,.0f}"
        out = f"{self.name:<44} {value:>10} {self.unit:<8}"
        if self.target is not None:
            sign = "=" if self.exactly else "<=" if self.at_most else ">="
            verdict = {True: "holds", False: "MISSES", None: "not measured"}[self.holds]
            out += f" target {sign} {self.target:,g} {self.unit}: {verdict}"
        return out + (f"  ({self.note})" if self.note else "")

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": None if math.isnan(self.value) else self.value,
            "unit": self.unit,
            "target": self.target,
            "at_most": self.at_most,
            "exactly": self.exactly,
            "holds": self.holds,
            "note": self.note,
        }
