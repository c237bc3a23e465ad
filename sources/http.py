"""The one place schoolwatch talks HTTP: a small, polite, synchronous client.

`HttpClient(config).get(url, etag=..., last_modified=...)` returns an `HttpResponse` or raises
`FetchError`. What it does on every request:

- sends the configured User-Agent, and If-None-Match / If-Modified-Since when given;
- keeps to one deadline per `get` (`deadline_s`): connect, headers and body of every attempt,
  the robots.txt check, redirects and every wait between attempts all count, and a server that
  trickles its headers or body is cut off when it passes (see `sources.deadline`);
- waits so that two requests to the same host start at least `min_interval_s` apart
  (thread-safe: sources fetched concurrently share one client);
- asks robots.txt first when `respect_robots` (RFC 9309 through protego: `*` and `$`
  wildcards, the most specific rule wins; fetched once per host per client, i.e. per run);
- reads the body streamed and stops at `max_bytes`;
- follows redirects itself, so each hop gets the same robots check and spacing;
- retries with exponential backoff timeouts, connection errors, 5xx and 429 (honouring a
  Retry-After in seconds or as an HTTP date), never other 4xx, and never past the deadline:
  this is the only place a fetch is retried.

Exceptions (all `FetchError`; `retryable` marks the transient kinds; messages name the URL and
give the real time taken):

    FetchError
     ├── retryable=True
     │    ├── "timed out after 20.0s fetching <url>"          (no data for `timeout_s`)
     │    ├── "timed out after 60.0s fetching <url>: deadline_s=60 reached after 2 attempts"
     │    ├── "connection failed fetching <url>: <reason>"   (refused, DNS, reset, ...)
     │    ├── "HTTP 503 Service Unavailable from <url>"      (any 5xx; `status` set)
     │    └── "HTTP 429 Too Many Requests from <url>"        (`status`, `retry_after` set)
     │        ... each with " (gave up after N attempts in 7.0s)" once the retries are spent,
     │        and the reason when the next try would have passed the deadline
     └── retryable=False
          ├── "HTTP 404 Not Found from <url>"                (any other 4xx; `status` set)
          ├── "refused by robots.txt: <url>"
          ├── "response from <url> is larger than max_bytes=N"
          ├── "too many redirects fetching <url>"  (and a 3xx without a usable Location)
          └── "not an http(s) URL: <url>"

A 304 is not an error: it returns an `HttpResponse` with `not_modified=True` and an empty body.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from schoolwatch.config import HttpConfig
from schoolwatch.errors import FetchError
from sources.deadline import Deadline, Watchdog

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A finished GET: `url` is the address after redirects; `headers` have lower-case names."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @property
    def charset(self) -> str | None:
        """The `charset` parameter of the Content-Type header, if any."""
        return content_type_charset(self.headers.get("content-type"))


@dataclass
class _Host:
    """Per-host state. `lock` serialises requests to the host so the spacing holds across threads;
    `robots_lock` makes concurrent first requests wait for one robots.txt fetch, not make two."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    last_request: float | None = None
    robots: Protego | None = None
    robots_error: FetchError | None = None


class HttpClient:
    """A polite HTTP client built from `HttpConfig`. Share one per run; close it (or use `with`).

    `sleep` and `clock` are injectable so tests can check spacing and backoff without waiting.
    """

    def __init__(
        self,
        config: HttpConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._clock = clock
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": config.user_agent},
            # no keep-alive: each request opens its own connection, which the watchdog can see
            # (requests to one host are spaced by min_interval_s anyway)
            limits=httpx.Limits(max_keepalive_connections=0),
            follow_redirects=False,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> HttpResponse:
        """GET `url`, conditionally when `etag` / `last_modified` are given, within
        `deadline_s`. Raises `FetchError`."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = Deadline(self.config.deadline_s, self._clock)
        return self._get(url, headers, deadline, check_robots=self.config.respect_robots)

    def _get(
        self, url: str, headers: dict[str, str], deadline: Deadline, *, check_robots: bool
    ) -> HttpResponse:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            _require_http(current, requested=url)
            if check_robots:
                self._check_robots(current, deadline)
            response = self._with_retries(current, headers, deadline)
            if response.status < 300 or response.not_modified:
                return response
            location = response.headers.get("location")
            if response.status not in _REDIRECT_STATUSES or not location:
                reason = httpx.codes.get_reason_phrase(response.status)
                raise FetchError(
                    f"HTTP {response.status} {reason} from {current} without a usable redirect",
                    status=response.status,
                )
            current = urljoin(current, location)
        raise FetchError(f"too many redirects fetching {url}")

    def _with_retries(self, url: str, headers: dict[str, str], deadline: Deadline) -> HttpResponse:
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._once(url, headers, deadline)
            except FetchError as e:
                if not e.retryable or deadline.reached:
                    raise
                if attempt == attempts:
                    raise _gave_up(e, deadline) from e
                delay, why = self._delay(attempt - 1, e.retry_after, deadline)
                if why:
                    raise _gave_up(e, deadline, why) from e
                self._sleep(delay)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _delay(
        self, attempt: int, retry_after: float | None, deadline: Deadline
    ) -> tuple[float, str]:
        """Seconds to wait before the next try, and why not to try when it would pass the
        deadline (a Retry-After is honoured, never beyond it)."""
        if retry_after is not None:
            delay = max(retry_after, 0.0)
            if delay >= deadline.remaining():
                return delay, f"Retry-After {delay:g}s is past deadline_s={deadline.seconds:g}"
            return delay, ""
        delay = min(self._backoff_s * 2**attempt, self._max_backoff_s)
        if delay >= deadline.remaining():
            return delay, f"the next try would pass deadline_s={deadline.seconds:g}"
        return delay, ""

    def _once(self, url: str, headers: dict[str, str], deadline: Deadline) -> HttpResponse:
        host = self._host(url)
        if not host.lock.acquire(timeout=deadline.remaining()):
            raise _deadline_error(url, deadline, "waiting for another request to the same host")
        try:
            self._wait_turn(host, url, deadline)
            try:
                return self._request(url, headers, deadline)
            finally:
                host.last_request = self._clock()
        finally:
            host.lock.release()

    def _wait_turn(self, host: _Host, url: str, deadline: Deadline) -> None:
        if host.last_request is None:
            return
        wait = host.last_request + self.config.min_interval_s - self._clock()
        if wait <= 0:
            return
        if wait >= deadline.remaining():
            raise _deadline_error(url, deadline, "waiting min_interval_s for the same host")
        self._sleep(wait)

    def _request(self, url: str, headers: dict[str, str], deadline: Deadline) -> HttpResponse:
        if deadline.expired():
            raise _deadline_error(url, deadline)
        deadline.attempts += 1
        started = self._clock()
        remaining = deadline.remaining()
        timeout = httpx.Timeout(min(self.config.timeout_s, remaining))
        try:
            with (
                Watchdog(remaining) as watchdog,
                self._client.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=timeout,
                    extensions={"trace": watchdog.trace},
                ) as r,
            ):
                _raise_for_status(r, url)
                body = b"" if r.status_code == 304 else self._read_capped(r, url, deadline)
        except httpx.TimeoutException:
            if deadline.expired():
                raise _deadline_error(url, deadline) from None
            message = f"timed out after {self._clock() - started:.1f}s fetching {url}"
            raise FetchError(message, retryable=True) from None
        except httpx.TransportError as e:
            if watchdog.fired or deadline.expired():
                raise _deadline_error(url, deadline) from None
            reason = str(e) or type(e).__name__
            message = f"connection failed fetching {url}: {reason}"
            raise FetchError(message, retryable=True) from None
        except httpx.InvalidURL as e:
            raise FetchError(f"not a valid URL: {url}: {e}") from None
        return _response(r, url, body)

    def _read_capped(self, r: httpx.Response, url: str, deadline: Deadline) -> bytes:
        limit = self.config.max_bytes
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(url, limit)
        chunks: list[bytes] = []
        size = 0
        for chunk in r.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(url, limit)
            if deadline.expired():
                raise _deadline_error(url, deadline)
            chunks.append(chunk)
        return b"".join(chunks)

    def _host(self, url: str) -> _Host:
        key = _origin(url)
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host())

    def _check_robots(self, url: str, deadline: Deadline) -> None:
        host = self._host(url)
        if not host.robots_lock.acquire(timeout=deadline.remaining()):
            raise _deadline_error(url, deadline, "waiting for robots.txt")
        try:
            if host.robots is None and host.robots_error is None:
                try:
                    host.robots = self._fetch_robots(url, deadline)
                except FetchError as e:
                    host.robots_error = e
        finally:
            host.robots_lock.release()
        if host.robots_error is not None:
            raise FetchError(
                f"could not read robots.txt before fetching {url}: {host.robots_error}",
                retryable=host.robots_error.retryable,
            )
        assert host.robots is not None
        if not host.robots.can_fetch(url, _product_token(self.config.user_agent)):
            raise FetchError(f"refused by robots.txt: {url}")

    def _fetch_robots(self, url: str, deadline: Deadline) -> Protego:
        robots_url = _origin(url) + "/robots.txt"
        try:
            response = self._get(robots_url, {}, deadline.sharing(), check_robots=False)
        except FetchError as e:
            # RFC 9309 §2.3.1.3: a robots.txt that is "unavailable" (4xx) allows everything.
            if e.status is not None and 400 <= e.status < 500:
                return Protego.parse("")
            raise
        return Protego.parse(response.body.decode("utf-8", errors="replace"))


def _product_token(user_agent: str) -> str:
    """ "schoolwatch/0.1 (+mailto:...)" -> "schoolwatch": what robots.txt groups name."""
    token = user_agent.strip().split("/", 1)[0].split()
    return token[0] if token else user_agent


def _require_http(url: str, *, requested: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        via = "" if url == requested else f" (redirected to from {requested})"
        raise FetchError(f"not an http(s) URL: {url}{via}")


def _gave_up(error: FetchError, deadline: Deadline, why: str = "") -> FetchError:
    if deadline.attempts == 1 and not why:
        return error
    tries = f"{deadline.attempts} attempt{'s' if deadline.attempts != 1 else ''}"
    reason = f": {why}" if why else ""
    return FetchError(
        f"{error} (gave up after {tries} in {deadline.elapsed():.1f}s{reason})",
        retryable=True,
        retry_after=error.retry_after,
        status=error.status,
    )


def _deadline_error(url: str, deadline: Deadline, waiting: str = "") -> FetchError:
    deadline.reached = True
    tries = f"{deadline.attempts} attempt{'s' if deadline.attempts != 1 else ''}"
    doing = f" {waiting}" if waiting else ""
    return FetchError(
        f"timed out after {deadline.elapsed():.1f}s fetching {url}: "
        f"deadline_s={deadline.seconds:g} reached after {tries}{doing}",
        retryable=True,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _too_large(url: str, limit: int) -> FetchError:
    return FetchError(f"response from {url} is larger than max_bytes={limit}")


def _raise_for_status(r: httpx.Response, url: str) -> None:
    status = r.status_code
    if status < 400:
        return
    # the standard phrase, not the server's spelling of it ("INTERNAL SERVER ERROR")
    reason = httpx.codes.get_reason_phrase(status)
    message = f"HTTP {status} {reason} from {url}" if reason else f"HTTP {status} from {url}"
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(r.headers.get("retry-after"))
        raise FetchError(message, retryable=True, retry_after=retry_after, status=status)
    raise FetchError(message, status=status)


def _response(r: httpx.Response, url: str, body: bytes) -> HttpResponse:
    headers = {k.lower(): v for k, v in r.headers.items()}
    return HttpResponse(
        url=url,
        status=r.status_code,
        body=body,
        headers=headers,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        not_modified=r.status_code == 304,
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def content_type_charset(content_type: str | None) -> str | None:
    """`text/html; charset="ISO-8859-1"` -> "iso-8859-1"; None when absent or empty."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip().lower()
            return value or None
    return None


def page_check(client: HttpClient) -> Callable[[str], tuple[bool, str]]:
    """Ask a page before a screen print: (the server answered, "HTTP 200" or why not).

    An HTTP error status is an answer (the print shows the error page); no connection, a
    timeout or a robots.txt refusal is not.
    """

    def check(url: str) -> tuple[bool, str]:
        try:
            response = client.get(url)
        except FetchError as e:
            return e.status is not None, str(e)
        return True, f"HTTP {response.status}"

    return check
