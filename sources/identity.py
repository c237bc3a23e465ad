"""A post's identity: the same post fetched twice, or shared with tracking parameters, is one post.

`canonical_url` normalises a URL (case, default port, fragment, tracking parameters, parameter
order); `post_id` hashes the canonical URL with the feed's guid into a short stable id.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify the click or campaign, never the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """True for campaign/click parameters (utm_*, fbclid, gclid, mc_cid, ref, ...)."""
    lower = name.lower()
    return lower in TRACKING_PARAMS or lower.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """`url` normalised for identity: lower-case scheme and host, no default port, no fragment,
    no tracking parameters, remaining parameters sorted. A string that does not parse as a URL
    is returned stripped, unchanged otherwise (identity must never fail)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        host = f"{userinfo}@{host}"
    path = parts.path or ("/" if host else "")
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = urlencode(sorted(p for p in params if not is_tracking_param(p[0])))
    return urlunsplit((scheme, host, path, query, "")).strip()


def clean_url(url: str) -> str:
    """`url` without tracking parameters, otherwise as published (fragment and order kept).

    This is the link stored and shown to SLT: it still opens the post, minus the campaign tags.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept = [p for p in params if not is_tracking_param(p[0])]
    if len(kept) == len(params):
        return url.strip()
    return urlunsplit(parts._replace(query=urlencode(kept)))


def post_id(url: str, guid: str) -> str:
    """A short stable id (16 hex digits) from the post's canonical URL and its guid.

    A guid that is itself an http(s) URL (RSS permalinks) is canonicalised too, so tracking
    parameters in it do not split one post into two; its fragment is kept, because web items
    without a permalink are told apart by an anchor on the page URL."""
    guid = guid.strip()
    if guid.lower().startswith(("http://", "https://")):
        address, hash_, fragment = guid.partition("#")
        guid = canonical_url(address) + hash_ + fragment
    key = f"{canonical_url(url)}\n{guid}"
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
