"""Who may sign in to the board, and with which role at which school.

Every address in a school's `digest_to` is `slt`; every address in its `alert_to` is `dsl`
(the designated safeguarding lead, who also sees safeguarding cases). The config is read at
start-up, so removing an address there and restarting the board ends that person's access,
even with a live session.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolwatch.config import Config

SLT = "slt"
DSL = "dsl"


def normalise(email: str) -> str:
    """Addresses compare without case or surrounding spaces."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class Member:
    """A person who may sign in: their address and their role at each of their schools."""

    email: str
    roles: dict[str, str]  # school_id -> "slt" | "dsl"

    def role_at(self, school_id: str) -> str | None:
        return self.roles.get(school_id)

    @property
    def schools(self) -> list[str]:
        return sorted(self.roles)

    def summary(self) -> str:
        """ "dsl at fernhill-abbey" — for the audit log and the page header."""
        return ", ".join(f"{role} at {school}" for school, role in sorted(self.roles.items()))


def members(cfg: Config) -> dict[str, Member]:
    """Everyone who may sign in, by normalised address."""
    roles: dict[str, dict[str, str]] = {}
    for school in cfg.schools:
        for addr in school.digest_to:
            roles.setdefault(normalise(addr), {}).setdefault(school.id, SLT)
        for addr in school.alert_to:
            roles.setdefault(normalise(addr), {})[school.id] = DSL
    return {email: Member(email, r) for email, r in roles.items()}
