"""Secrets for sign-in links, sessions and forms. Only their sha256 is ever stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """A fresh unguessable token (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the warehouse keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def form_token(secret: str) -> str:
    """The CSRF token for forms of the browser holding `secret` (its session or pre-session
    cookie). The cookie is HttpOnly, so another site can neither read it nor compute this."""
    return hashlib.sha256(f"form:{secret}".encode()).hexdigest()


def form_token_ok(secret: str | None, sent: str | None) -> bool:
    """Whether a form carried the right CSRF token for this browser."""
    if not secret or not sent:
        return False
    return hmac.compare_digest(form_token(secret), sent)
