"""Rendering: Jinja2 templates in web/templates, HTML autoescaped, every value from the web
shown as text. The style sheet is inline and allowed by its hash in the Content-Security-Policy
(no other style, no script, no image from elsewhere)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
CSS = (TEMPLATES / "board.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode()

CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@cache
def _env(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, values: dict[str, Any], *, html: bool = True) -> str:
    """The template `name` filled with `values` (plus the style sheet for pages)."""
    return _env(html).get_template(name).render(css=CSS, **values)
