"""The one exception tree of schoolwatch.

    SchoolwatchError
     ├── ConfigError      the configuration file is missing or invalid (one line per problem)
     ├── FetchError       a source could not be fetched or parsed (recorded in source_health)
     ├── WarehouseError   the DuckDB file cannot be opened, locked or written
     ├── DeliveryError    an email could not be delivered (nothing is marked sent)
     └── ClassifierError  the classifier's shipped model cannot be read (damaged or missing)

The command line turns each into one clear line and a non-zero exit.
"""

from __future__ import annotations


class SchoolwatchError(Exception):
    """Base class: every failure schoolwatch explains to a user."""


class ConfigError(SchoolwatchError):
    """The configuration is invalid. `problems` holds one line per problem, naming the key."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class FetchError(SchoolwatchError):
    """A source failed. `retryable` is true for timeouts, connection errors, 5xx and 429.

    `status` is the HTTP status when the server answered with an error (for `http_status`).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        super().__init__(message)


class WarehouseError(SchoolwatchError):
    """The warehouse could not be opened or written."""


class DeliveryError(SchoolwatchError):
    """An email could not be handed to the SMTP server (or written to the outbox)."""


class ClassifierError(SchoolwatchError):
    """A file the classifier ships with (its trained model) is damaged or missing."""
