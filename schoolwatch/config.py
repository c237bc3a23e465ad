"""`schoolwatch.toml`: loaded once, validated with pydantic, every problem on its own line.

`load_config(path)` returns a `Config` or raises `ConfigError` whose `problems` name each
key as `schools[0].sources[2].url: <what is wrong>`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import soupsieve
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schoolwatch.cron import check_cron
from schoolwatch.errors import ConfigError

SOURCE_KINDS = ("rss", "web")
SELECTOR_FIELDS = ("item", "text", "title", "author", "published", "link")
_ATTRIBUTE = re.compile(r"^[A-Za-z_:][\w:.-]*$")


def split_selector(spec: str) -> tuple[str, str | None]:
    """`"selector@attribute"` -> (selector, attribute); plain `"selector"` -> (selector, None).

    `"@href"` reads an attribute of the item itself (empty selector).
    """
    selector, at, attribute = spec.strip().rpartition("@")
    if at and _ATTRIBUTE.match(attribute):
        return selector.strip(), attribute
    return spec.strip(), None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseConfig(_Model):
    path: Path = Path("data/schoolwatch.duckdb")
    retention_days: Annotated[int, Field(ge=1)] = 90
    # Parquet copies of the views, rewritten after each run, for analysts: a read-only session
    # on the DuckDB file itself blocks the pipeline's writes while it is open
    snapshot_dir: Path | None = None  # default: "snapshots" beside the warehouse file
    # octal permissions of the snapshots; they get the warehouse file's group, so a second
    # analyst account in that group can read them
    snapshot_mode: str = "0640"
    lock_timeout_s: Annotated[float, Field(ge=0)] = 60

    @field_validator("snapshot_mode")
    @classmethod
    def _octal_mode(cls, v: str) -> str:
        if not re.fullmatch(r"0?[0-7]{3}", v):
            raise ValueError(f'{v!r} is not an octal file mode like "0640"')
        if int(v, 8) & 0o002:
            raise ValueError(f"{v!r} lets every account on the machine change the snapshots")
        return v

    @property
    def snapshots(self) -> Path:
        """Where the Parquet snapshots go."""
        return self.snapshot_dir or self.path.parent / "snapshots"

    @property
    def snapshot_permissions(self) -> int:
        """`snapshot_mode` as a number for `os.chmod`."""
        return int(self.snapshot_mode, 8)


class ScheduleConfig(_Model):
    """When the two flows run (`schoolwatch serve`; `prefect.yaml` carries the defaults)."""

    run_cron: str = "0 6 * * *"  # daily-monitor: collect, analyse, store, alert, digest
    digest_cron: str = "30 7 * * 1-5"  # the digest of what is not sent yet
    timezone: str = "Europe/London"
    # the local Prefect server `schoolwatch serve` starts on 127.0.0.1 (its UI and API)
    server_port: Annotated[int, Field(ge=1024, le=65535)] = 4200

    @field_validator("run_cron", "digest_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        return check_cron(v)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone {v!r}; e.g. "Europe/London"') from None
        return v


class HttpConfig(_Model):
    user_agent: str = "schoolwatch/0.1 (+https://github.com/schoolwatch/schoolwatch)"
    timeout_s: Annotated[float, Field(gt=0)] = 20  # no connection or no data for this long
    # one source's whole fetch: connect, headers, body, robots.txt, redirects, retries and the
    # waits between them; a server that trickles its answer is cut off here
    deadline_s: Annotated[float, Field(gt=0)] = 60
    max_bytes: Annotated[int, Field(gt=0)] = 5_000_000
    min_interval_s: Annotated[float, Field(ge=0)] = 1.0
    respect_robots: bool = True
    retries: Annotated[int, Field(ge=0, le=10)] = 2


class EmailConfig(_Model):
    from_: str = Field(default="schoolwatch@localhost", alias="from")
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username_env: str = "SCHOOLWATCH_SMTP_USER"
    password_env: str = "SCHOOLWATCH_SMTP_PASSWORD"
    timeout_s: Annotated[float, Field(gt=0)] = 30
    outbox: Path = Path("data/outbox")
    # A digest bigger than this goes as several messages ("Digest 1 of 3"); servers commonly
    # refuse messages over 10 MB or 25 MB, and base64 makes the MIME message a third bigger.
    max_message_bytes: Annotated[int, Field(ge=20_000, le=100_000_000)] = 5_000_000

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


DEFAULT_MIN_CONFIDENCE = 0.5


class AlertsConfig(_Model):
    # A threat goes out as an immediate alert only when the classifier's calibrated confidence
    # in it is at least this; a less certain one is listed in the digest as "Possible threat:
    # please check", never dropped.
    min_confidence: Annotated[float, Field(ge=0, le=1)] = DEFAULT_MIN_CONFIDENCE


class WebConfig(_Model):
    # The case board (`schoolwatch web`). With base_url set, digests and alerts link to
    # "{base_url}/cases/C-000011" instead of printing a CLI command; it is also the address
    # sign-in links point at, so behind a reverse proxy it is the public https:// address.
    base_url: str | None = None
    session_days: Annotated[int, Field(ge=1, le=90)] = 7
    # Sign-in requests in any quarter hour: past the first limit an address gets the same
    # answer and no mail; past the second, a client (its IP address) is told to wait.
    sign_in_per_address: Annotated[int, Field(ge=1, le=100)] = 3
    sign_in_per_client: Annotated[int, Field(ge=1, le=1000)] = 10

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"{v!r} must start with http:// or https://")
        return v.rstrip("/")


class EvidenceConfig(_Model):
    # Screen prints in evidence bundles: headless Chromium at `chromium` (empty: the first of
    # chromium, chromium-browser, google-chrome on PATH), killed after `screenprint_timeout_s`
    # per page so a dead site cannot hang an export; `screen_prints = false` takes none.
    chromium: str = ""
    screenprint_timeout_s: Annotated[float, Field(ge=1, le=300)] = 30.0
    screen_prints: bool = True


class Person(_Model):
    name: str
    role: str = ""
    aliases: list[str] = []


class SourceConfig(_Model):
    id: Annotated[str, Field(min_length=1)]
    kind: str
    url: str
    local: bool = False
    # web sources: CSS selectors; "selector@attribute" reads an attribute
    item: str | None = None
    text: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    link: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {v!r}; valid kinds: {', '.join(SOURCE_KINDS)}")
        return v

    @field_validator(*SELECTOR_FIELDS)
    @classmethod
    def _css_selector(cls, v: str | None) -> str | None:
        selector = split_selector(v)[0] if v else ""
        if selector:
            try:
                soupsieve.compile(selector)
            except (soupsieve.SelectorSyntaxError, ValueError, NotImplementedError) as e:
                first = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise ValueError(f"invalid CSS selector {selector!r}: {first}") from None
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v

    @model_validator(mode="after")
    def _web_needs_selectors(self) -> SourceConfig:
        if self.kind == "web":
            missing = [k for k in ("item", "text") if not getattr(self, k)]
            if missing:
                raise ValueError(f"a web source needs CSS selectors for: {', '.join(missing)}")
        return self


class SchoolConfig(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: str
    names: list[str] = []
    ambiguous_names: list[str] = []
    context: list[str] = []
    exclude: list[str] = []
    digest_to: list[str] = []
    alert_to: list[str] = []
    send_empty: bool = True
    people: list[Person] = []
    sources: list[SourceConfig] = []

    @field_validator("digest_to", "alert_to")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for addr in v:
            if "@" not in addr or any(c in addr for c in "\r\n<>, "):
                raise ValueError(f"{addr!r} is not an email address")
        return v

    @model_validator(mode="after")
    def _unique_source_ids(self) -> SchoolConfig:
        ids = [s.id for s in self.sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source ids must be unique within a school: {', '.join(dupes)}")
        return self

    @property
    def all_names(self) -> list[str]:
        """The school's full name plus its unambiguous `names`."""
        return [self.name, *self.names]


class Config(_Model):
    warehouse: WarehouseConfig = WarehouseConfig()
    http: HttpConfig = HttpConfig()
    email: EmailConfig = EmailConfig()
    alerts: AlertsConfig = AlertsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    web: WebConfig = WebConfig()
    evidence: EvidenceConfig = EvidenceConfig()
    schools: list[SchoolConfig] = []

    @model_validator(mode="after")
    def _unique_school_ids(self) -> Config:
        ids = [s.id for s in self.schools]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"school ids must be unique: {', '.join(dupes)}")
        return self

    def school(self, school_id: str) -> SchoolConfig:
        """The school with this id; `ConfigError` naming the known ids otherwise."""
        for s in self.schools:
            if s.id == school_id:
                return s
        known = ", ".join(s.id for s in self.schools) or "none"
        raise ConfigError(f"unknown school {school_id!r}; configured schools: {known}")


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _problems(err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"{_loc(e['loc'])}: {msg}")
    return lines


def parse_config(text: str, *, base_dir: Path | None = None, origin: str = "config") -> Config:
    """Parse and validate TOML text. Relative paths are resolved against `base_dir`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{origin}: not valid TOML: {e}") from None
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        raise ConfigError([f"{origin}: {p}" for p in _problems(e)]) from None
    if base_dir is not None:
        cfg = _resolve_paths(cfg, base_dir)
    return cfg


def _resolve_paths(cfg: Config, base: Path) -> Config:
    snapshots = cfg.warehouse.snapshot_dir
    wh = cfg.warehouse.model_copy(
        update={
            "path": base / cfg.warehouse.path,
            "snapshot_dir": base / snapshots if snapshots is not None else None,
        }
    )
    em = cfg.email.model_copy(update={"outbox": base / cfg.email.outbox})
    return cfg.model_copy(update={"warehouse": wh, "email": em})


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; relative paths in it are relative to the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read config file: {e}") from None
    return parse_config(text, base_dir=p.resolve().parent, origin=str(p))
