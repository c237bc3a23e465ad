"""A trust-sized set of fictional sources served on 127.0.0.1, for `make bench` and scaling tests.

`serve_sites(schools=8, sources_per_school=25, posts_per_source=25)` serves, for every school,
RSS feeds, Atom feeds and parents' forum pages (a third of its sources each), every post about
100 words. Every answer carries an ETag and a Last-Modified; a conditional GET of a page that has
not changed gets 304 with no body, as real feeds do. The sources are spread over `hosts` servers
(one port each, so one origin each), which is how the fetch stage sees a trust's many sites.

    with serve_sites() as site:
        config = site.write_config(tmp_dir)          # schoolwatch.toml for all schools
        ...  run `schoolwatch run --config <config> --no-send`  ...
        site.expected_mentions                       # posts that name their school
        site.counts()                                # {200: n, 304: n, ...} answers so far
        site.change(10)                              # 10 sources get one new post each
        site.delay(0, seconds=30)                    # source 0 answers after 30 s
        site.max_in_flight                           # per host: most requests at once

Everything is fictional and generated from a fixed seed: the same arguments give the same
schools, posts and bytes (dates are relative to when the site was started).
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from schoolwatch.config import SchoolConfig
from schoolwatch.models import Post

KINDS = ("rss", "atom", "forum")
MENTION_SHARE = 0.8  # the rest of the posts name no school (off-topic threads, other news)

_PLACES = (
    "Brackenholt", "Cindermoor", "Dovecote Vale", "Elmstead Rise", "Farrowdene", "Gorsley End",
    "Hollin Cross", "Ivybridge Lees", "Juniper Hythe", "Kestlemere", "Larkworth", "Mossbank",
    "Netherwick", "Orchard Combe", "Pellow Heath", "Quarrington", "Rookfield", "Saltmarsh Ley",
    "Thistleby", "Underhill Moor", "Vexford", "Wrenmoor", "Yarrowfield", "Zennor Mills",
)  # fmt: skip
_TYPES = ("Primary School", "Academy", "C of E Junior School", "High School")

_PRAISE = (
    "The teachers have been brilliant with my son this term and his reading has come on hugely.",
    "Really impressed with how the staff handled the transition from Year 2 into Year 3.",
    "The Christmas performance was lovely and every child had a line to say.",
    "My daughter loves the new after-school art club and comes home buzzing every Tuesday.",
    "The head stood at the gate in the rain every morning this week, which says a lot.",
    "Credit where it's due, the office replied to my email within the hour.",
    "Our eldest left last year and still talks about the residential trip to the coast.",
)
_COMPLAINT = (
    "Getting a reply from the office is hopeless and the phone just rings out.",
    "Homework is set on three different apps and nobody seems to know which one counts.",
    "Clubs get cancelled with no warning and we only find out at pick-up.",
    "The car park at drop-off is chaos and someone is going to get hurt one day.",
    "I asked twice about the medication form and heard nothing for two weeks.",
    "Uniform prices have gone up again and the second-hand sale was cancelled.",
    "The new behaviour policy feels very strict for seven year olds, if I'm honest.",
)
_NEUTRAL = (
    "The school will be closed on Friday for staff training, according to the newsletter.",
    "Year 6 have their residential in the spring and the letter went out on Monday.",
    "There is a parents' evening next Thursday, with slots bookable online from tomorrow.",
    "The governors are looking for a new parent governor and nominations close in December.",
    "Applications for reception places for next September close on 15 January.",
    "The summer fair raised money for a new reading shed on the field.",
    "Swimming lessons move to the leisure centre in the new year, the letter said.",
)
_OFF_TOPIC = (
    "Does anyone know if the leisure centre still does crash-course swimming over Christmas?",
    "The number 42 bus has been late every morning this week, has anyone complained?",
    "Lost a blue scooter near the park on Sunday, please message me if you find it.",
    "Recommendations for a reliable plumber who can come out before the weekend please.",
    "The library is running free coding sessions for children on Saturday mornings.",
    "Is the farmers' market still on the first Sunday of the month or has it moved?",
)
_HARSH = (
    "That teacher should be sacked, she is a liar and everyone knows she hits the kids.",
    "If nobody sorts out that PE teacher I will wait for him at the gate and sort him out myself.",
    "The head is a disgrace and I'm going to make sure the whole town knows what she did.",
)
_TAILS = (
    "Anyone else had the same?",
    "Just wanted to share.",
    "Would be good to hear what other parents think.",
    "Thanks in advance.",
    "Fingers crossed it gets sorted.",
)
_AUTHORS = (
    "SwimMum", "Carol P", "DadOfThree", "K. Whitlow", "Muddy Wellies Mum", "RunningLate",
    "Priya L", "Sam H", "GrandadJoe", "TeaAndToast", "Mrs B", "Oak Class Parent",
)  # fmt: skip


@dataclass(frozen=True)
class School:
    id: str
    name: str
    short: str  # an unambiguous short name ("Cindermoor Academy")


@dataclass
class Source:
    """One served page: `path` on `host_index`'s server, `kind` one of KINDS."""

    school: School
    id: str
    kind: str
    host_index: int
    path: str
    posts: list[_FixturePost] = field(default_factory=list)
    delay_s: float = 0.0
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class _FixturePost:
    guid: str
    title: str
    text: str
    author: str
    published: datetime
    mentions: bool


def _schools(n: int) -> list[School]:
    out = []
    for i in range(n):
        place = _PLACES[i % len(_PLACES)]
        kind = _TYPES[(i // len(_PLACES) + i) % len(_TYPES)]
        suffix = "" if i < len(_PLACES) else f" {i // len(_PLACES) + 1}"
        name = f"{place}{suffix} {kind}"
        school_id = f"{place.lower().replace(' ', '-')}{suffix.replace(' ', '-')}"
        out.append(School(id=school_id, name=name, short=f"{place}{suffix} {kind.split()[-1]}"))
    return out


def _post(rng: random.Random, school: School, guid: str, published: datetime) -> _FixturePost:
    mentions = rng.random() < MENTION_SHARE
    if not mentions:
        sentences = rng.sample(_OFF_TOPIC, 4) + rng.sample(_NEUTRAL, 2)
        title = sentences[0][:48]
    else:
        mood = rng.random()
        pool = _PRAISE if mood < 0.45 else _COMPLAINT if mood < 0.85 else _NEUTRAL
        sentences = rng.sample(pool, 4) + rng.sample(_NEUTRAL, 1)
        if rng.random() < 0.04:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(_HARSH))
        name = school.name if rng.random() < 0.7 else school.short
        sentences.insert(rng.randrange(2), f"About {name}.")
        title = f"{name}: {sentences[-1][:40]}"
    text = " ".join([*sentences, rng.choice(_TAILS)])
    return _FixturePost(guid, title, text, rng.choice(_AUTHORS), published, mentions)


def _http_date(when: datetime) -> str:
    return email.utils.format_datetime(when.astimezone(UTC), usegmt=True)


def _render(source: Source, origin: str) -> bytes:
    if source.kind == "forum":
        return _forum(source).encode()
    if source.kind == "atom":
        return _atom(source, origin).encode()
    return _rss(source, origin).encode()


def _rss(source: Source, origin: str) -> str:
    items = "".join(
        f"<item><title>{escape(p.title)}</title><link>{origin}/{source.id}/{p.guid}</link>"
        f'<guid isPermaLink="false">{p.guid}</guid><pubDate>{_http_date(p.published)}</pubDate>'
        f"<author>news@courier.example ({escape(p.author)})</author>"
        f"<description>&lt;p&gt;{escape(escape(p.text))}&lt;/p&gt;</description></item>\n"
        for p in source.posts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Courier search: {escape(source.school.name)}</title><link>{origin}/</link>"
        f"<description>fictional news for the schoolwatch bench</description>\n{items}"
        "</channel></rss>\n"
    )


def _atom(source: Source, origin: str) -> str:
    entries = "".join(
        f"<entry><id>tag:alerts.example,2026:{p.guid}</id><title>{escape(p.title)}</title>"
        f'<link rel="alternate" href="{origin}/{source.id}/{p.guid}"/>'
        f"<published>{p.published:%Y-%m-%dT%H:%M:%SZ}</published>"
        f"<updated>{p.published:%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<author><name>{escape(p.author)}</name></author>"
        f'<summary type="text">{escape(p.text)}</summary></entry>\n'
        for p in source.posts
    )
    updated = max(p.published for p in source.posts)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Web alerts: {escape(source.school.name)}</title>"
        f"<id>tag:alerts.example,2026:{source.id}</id>"
        f"<updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated>\n{entries}</feed>\n"
    )


def _forum(source: Source) -> str:
    articles = "".join(
        f'<article class="post" id="{p.guid}"><h2>{escape(p.title)}</h2>'
        f'<span class="post-author">{escape(p.author)}</span> '
        f'<time datetime="{p.published:%Y-%m-%dT%H:%M:%SZ}">{p.published:%d %b}</time>'
        f'<div class="post-body">{escape(p.text)}</div>'
        f'<a class="permalink" href="/{source.id}/t#{p.guid}">link</a></article>\n'
        for p in source.posts
    )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>Schools board: {escape(source.school.name)}</title></head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/rules'>Rules</a></nav></header>"
        f"<main><h1>Schools board</h1>\n{articles}</main><footer>Parents' forum</footer>"
        "</body></html>\n"
    )


_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "forum": "text/html; charset=utf-8",
}


class FixtureSites:
    """The served sources; build with `serve_sites`. Thread-safe: the servers read, tests change."""

    def __init__(
        self,
        schools: int,
        sources_per_school: int,
        posts_per_source: int,
        hosts: int,
        seed: int,
        now: datetime,
    ) -> None:
        self.schools = _schools(schools)
        self.posts_per_source = posts_per_source
        self.origins: list[str] = [""] * hosts
        self._rng = random.Random(seed)
        self._now = now
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._in_flight: Counter[int] = Counter()
        self.max_in_flight: Counter[int] = Counter()  # per host: most requests answered at once
        self.sources: list[Source] = []
        self._by_route: dict[tuple[int, str], Source] = {}
        for school in self.schools:
            for j in range(sources_per_school):
                index = len(self.sources)
                kind = KINDS[j % len(KINDS)]
                source_id = f"{kind}-{j:02d}"
                path = f"/{school.id}/{source_id}" + ("/t" if kind == "forum" else ".xml")
                source = Source(school, source_id, kind, index % hosts, path)
                source.posts = [self._new_post(source, k) for k in range(posts_per_source)]
                self.sources.append(source)
                self._by_route[(source.host_index, path)] = source

    def _new_post(self, source: Source, k: int) -> _FixturePost:
        guid = f"{source.school.id}-{source.id}-{k:04d}"
        published = self._now - timedelta(hours=k + 1, minutes=self._rng.randrange(60))
        return _post(self._rng, source.school, guid, published)

    @staticmethod
    def default_now() -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    # -- what tests and the bench read ------------------------------------------------------

    @property
    def posts(self) -> int:
        """Posts served in all."""
        return sum(len(s.posts) for s in self.sources)

    @property
    def expected_mentions(self) -> int:
        """Posts that name the school they were collected for (each should be stored once)."""
        return sum(p.mentions for s in self.sources for p in s.posts)

    def analysis_batch(self) -> tuple[list[Post], dict[str, SchoolConfig]]:
        """Every served post as the fetch stage would hand it to analysis, and the schools."""
        fetched = self._now
        posts = [
            Post(
                post_id=p.guid,
                source_id=s.id,
                school_id=s.school.id,
                url=f"https://bench.example/{s.id}/{p.guid}",
                guid=p.guid,
                title=p.title,
                text=p.text,
                author=p.author,
                published_at=p.published,
                fetched_at=fetched,
                raw=p.text.encode(),
                local=s.kind == "forum",
            )
            for s in self.sources
            for p in s.posts
        ]
        schools = {s.id: SchoolConfig(id=s.id, name=s.name, names=[s.short]) for s in self.schools}
        return posts, schools

    def url(self, source: Source) -> str:
        return f"{self.origins[source.host_index]}{source.path}"

    def counts(self) -> dict[int, int]:
        """HTTP statuses answered so far for sources (robots.txt not counted), e.g. {200: 200}."""
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # -- changing the site between runs -----------------------------------------------------

    def change(self, sources: int) -> None:
        """The first `sources` sources each get one new post (newest first): new ETag."""
        for source in self.sources[:sources]:
            with self._lock:
                post = self._new_post(source, len(source.posts))
                source.posts.insert(0, replace(post, published=datetime.now(UTC)))
                self._render_source(source)

    def delay(self, index: int, seconds: float) -> None:
        """Source `index` answers only after `seconds` (a slow site)."""
        with self._lock:
            self.sources[index].delay_s = seconds

    # -- the configuration ------------------------------------------------------------------

    def config_text(
        self,
        warehouse: str = "schoolwatch.duckdb",
        outbox: str = "outbox",
        *,
        schools: int | None = None,
    ) -> str:
        """A schoolwatch.toml for the first `schools` schools (all by default)."""
        lines = [
            "# generated by bench/fixture_sites.py: fictional schools on 127.0.0.1",
            f'[warehouse]\npath = "{warehouse}"\n',
            '[http]\nuser_agent = "schoolwatch-bench/0.1"\nmin_interval_s = 0',
            "timeout_s = 10\ndeadline_s = 30\n",
            f'[email]\nfrom = "schoolwatch@bench.example"\noutbox = "{outbox}"\n',
        ]
        chosen = {s.id for s in self.schools[:schools]}
        for school in self.schools:
            if school.id not in chosen:
                continue
            lines += [
                f'[[schools]]\nid = "{school.id}"\nname = "{school.name}"',
                f'names = ["{school.short}"]',
                f'digest_to = ["head@{school.id}.example"]\nalert_to = ["dsl@{school.id}.example"]',
                "",
            ]
            for source in (s for s in self.sources if s.school is school):
                lines += [
                    f'  [[schools.sources]]\n  id = "{source.id}"',
                    f'  kind = "{"web" if source.kind == "forum" else "rss"}"',
                    f'  url = "{self.url(source)}"',
                ]
                if source.kind == "forum":
                    lines += [
                        '  item = "article.post"\n  text = ".post-body"\n  title = "h2"',
                        '  author = ".post-author"\n  published = "time@datetime"',
                        '  link = "a.permalink@href"\n  local = true',
                    ]
                lines.append("")
        return "\n".join(lines)

    def write_config(self, directory: Path, *, schools: int | None = None) -> Path:
        """Write `schoolwatch.toml` into `directory` (warehouse and outbox beside it)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "schoolwatch.toml"
        path.write_text(self.config_text(schools=schools), encoding="utf-8")
        return path

    # -- serving ----------------------------------------------------------------------------

    def _render_source(self, source: Source) -> None:
        source.body = _render(source, self.origins[source.host_index])
        source.etag = '"' + hashlib.sha1(source.body).hexdigest()[:20] + '"'
        newest = max(p.published for p in source.posts)
        source.last_modified = _http_date(newest)

    def _render_all(self) -> None:
        with self._lock:
            for source in self.sources:
                self._render_source(source)

    def answer(
        self, host_index: int, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a GET of `path` on host `host_index`."""
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        with self._lock:
            source = self._by_route.get((host_index, path))
            if source is None:
                self._counts[404] += 1
                return 404, {}, b""
            body, etag, modified, delay = (
                source.body,
                source.etag,
                source.last_modified,
                source.delay_s,
            )
        with self._lock:
            self._in_flight[host_index] += 1
            self.max_in_flight[host_index] = max(
                self.max_in_flight[host_index], self._in_flight[host_index]
            )
        try:
            if delay:
                time.sleep(delay)
        finally:
            with self._lock:
                self._in_flight[host_index] -= 1
        validators = {"ETag": etag, "Last-Modified": modified}
        status = 304 if _not_modified(headers, etag, modified) else 200
        with self._lock:
            self._counts[status] += 1
        if status == 304:
            return 304, validators, b""
        return 200, {**validators, "Content-Type": _CONTENT_TYPES[source.kind]}, body


def _not_modified(headers: dict[str, str], etag: str, modified: str) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
            modified
        )
    except (TypeError, ValueError):
        return False


def _handler(site: FixtureSites, host_index: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out, body = site.answer(host_index, self.path.split("?", 1)[0], headers)
            self.send_response(status)
            for name, value in out.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def serve_sites(
    schools: int = 8,
    sources_per_school: int = 25,
    posts_per_source: int = 25,
    *,
    hosts: int = 8,
    seed: int = 11,
    now: datetime | None = None,
) -> Iterator[FixtureSites]:
    """Serve the fixture on `hosts` free ports of 127.0.0.1 until the block ends."""
    site = FixtureSites(
        schools,
        sources_per_school,
        posts_per_source,
        hosts,
        seed,
        now or FixtureSites.default_now(),
    )
    with ExitStack() as stack:
        for i in range(hosts):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, i))
            server.daemon_threads = True
            site.origins[i] = f"http://127.0.0.1:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        site._render_all()
        yield site
