"""`schoolwatch rescore`: re-assess stored posts after the classifier changed."""

from __future__ import annotations

from analysis import CLASSIFIER_VERSION
from analysis.assess import assess_posts
from schoolwatch.config import Config
from warehouse import Warehouse


def rescore(cfg: Config) -> int:
    """Assess every stored post whose current assessment is from another classifier version.

    Earlier assessments stay in the warehouse; the new one becomes current. Returns the count.
    """
    warehouse = Warehouse.from_config(cfg.warehouse)
    schools = {s.id: s for s in cfg.schools}
    posts = [p for p in warehouse.stale_posts(CLASSIFIER_VERSION) if p.school_id in schools]
    if not posts:
        return 0
    return warehouse.add_assessments(assess_posts(posts, schools))
