"""Decides a post's harm categories and the evidence for each (DESIGN.md §4).

STUB: replaced by the harm-classifier work. The signature is the contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolwatch.config import SchoolConfig
from schoolwatch.models import Evidence, Span


@dataclass(frozen=True, slots=True)
class HarmResult:
    categories: tuple[str, ...]
    evidence: tuple[Evidence, ...]


def assess_harm(
    title: str, text: str, school: SchoolConfig, matched: tuple[Span, ...], *, local: bool = False
) -> HarmResult:
    """Categories (in `schoolwatch.models.CATEGORIES` order) and one or more evidence spans each."""
    return HarmResult(categories=(), evidence=())
