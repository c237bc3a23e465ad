"""The digest's 30-day chart (PNG) and its spike warning.

The chart uses matplotlib's object API with the Agg canvas, never pyplot: no global figure
state, so it is safe in the flow's worker threads.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Sequence
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from schoolwatch.models import DaySentiment

SPIKE_RATIO = 3.0  # today above 3× the recent median ...
SPIKE_SIGMAS = 3.0  # ... or more than 3 standard deviations above the recent mean
SPIKE_WINDOW = 14  # days before today that make the "recent norm"
SPIKE_MIN_MENTIONS = 5  # a quiet school going from 0 to 2 mentions is not a spike
_MIN_BASELINE_DAYS = 5


def spike(history: Sequence[DaySentiment]) -> str | None:
    """A one-line warning when the last day's mentions exceed the recent norm, else None.

    The last entry of `history` (oldest first) is "today"; the norm is the `SPIKE_WINDOW` days
    before it. Too little history gives no warning rather than a noisy one.
    """
    if len(history) < _MIN_BASELINE_DAYS + 1:
        return None
    today = history[-1].mentions
    base = [d.mentions for d in history[-SPIKE_WINDOW - 1 : -1]]
    if today < SPIKE_MIN_MENTIONS:
        return None
    median = statistics.median(base)
    mean = statistics.fmean(base)
    sd = statistics.pstdev(base)
    # A median of 0 would make any mention "infinitely" above it: compare against at least 1.
    ratio = today / max(median, 1.0)
    if ratio > SPIKE_RATIO:
        return (
            f"Spike: {today} mentions today, {ratio:.0f}× the {len(base)}-day median of {median:g}."
        )
    if sd > 0 and today > mean + SPIKE_SIGMAS * sd:
        sigmas = (today - mean) / sd
        return (
            f"Spike: {today} mentions today, {sigmas:.1f} standard deviations above the "
            f"{len(base)}-day mean of {mean:.1f}."
        )
    return None


def _label(day: str) -> str:
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{d.day} {d:%b}"


def sentiment_chart(history: Sequence[DaySentiment]) -> bytes:
    """A small PNG: daily mentions as bars, mean sentiment (-1..1) as a line, oldest on the left."""
    fig = Figure(figsize=(5.0, 2.5), dpi=120)  # 600 x 300 px, legible when a phone halves it
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(history)))
    ax.bar(xs, [d.mentions for d in history], color="#c9d6e8", width=0.8, label="mentions")
    ax.set_ylabel("mentions", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_ylim(bottom=0, top=max([d.mentions for d in history] + [1]) * 1.15)
    senti = ax.twinx()
    senti.axhline(0, color="#999999", linewidth=0.6)
    points = [(x, d.mean_sentiment) for x, d in zip(xs, history, strict=True)]
    known = [(x, s) for x, s in points if s is not None]
    if known:
        senti.plot(
            *zip(*known, strict=True),
            color="#b03a2e",
            marker="o",
            markersize=2.5,
            linewidth=1.4,
            label="mean sentiment",
        )
    senti.set_ylim(-1, 1)
    senti.set_yticks([-1, -0.5, 0, 0.5, 1])
    senti.set_ylabel("mean sentiment", fontsize=8, color="#b03a2e")
    senti.tick_params(labelsize=7, colors="#b03a2e")
    if history:
        step = max(1, len(history) // 6)
        ticks = xs[::step]
        ax.set_xticks(ticks, [_label(history[i].day) for i in ticks])
        ax.set_xlim(-0.6, len(history) - 0.4)
    ax.set_title("Last 30 days: mentions (bars) and mean sentiment (line)", fontsize=9)
    fig.tight_layout(pad=0.4)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
