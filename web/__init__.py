"""The case board (`schoolwatch web`): SLT and the DSL work the escalation ladder in a browser.

Server-rendered pages (Starlette, Jinja2 with autoescape, no JavaScript) over the same DuckDB
warehouse as the pipeline, opened only for the length of each request. Sign-in is by a one-time
emailed link; see docs/board.md.
"""

from web.app import create_app

__all__ = ["create_app"]
