"""Case board fixtures: a warehouse with a few cases, and the board serving it as a real
process, shared by the tests of this folder (starting one costs a few seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.warehouse.builders import flagged, make_post, store
from tests.web.support import board_process, write_config
from warehouse import Warehouse

# what each seeded case is about; the safeguarding one must never reach an slt user's screen
HARASSMENT = "St Aldric's Brackenford: Mrs Quill is a pathetic useless liar."
SAFEGUARDING = "St Aldric's Brackenford: Toby Fenwick in Year 3 has ADHD and wets himself."
HOSTILE_TITLE = '<script>document.title="owned"</script>Trip money'
HOSTILE_TEXT = (
    "St Aldric's Brackenford: Mr Haddon steals trip money "
    '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">proof</a>'
)


@dataclass
class Seeded:
    folder: Path
    config: Path
    outbox: Path
    warehouse: Warehouse
    url: str = ""


def seed(folder: Path, *, email: str = "", web: str = "") -> Seeded:
    """A config and a warehouse holding three open cases: C-000001 harassment, C-000002 a
    pupil's personal data (safeguarding), C-000003 a post full of markup."""
    config = write_config(folder, email=email, web=web)
    wh = Warehouse(folder / "wh.duckdb")
    posts = [
        make_post(1, author="quill_watch", text=HARASSMENT),
        make_post(2, author="nosy_neighbour", text=SAFEGUARDING),
        make_post(3, author='<b>evil</b>"author', title=HOSTILE_TITLE, text=HOSTILE_TEXT),
    ]
    labels = [
        flagged(posts[0], categories=("harassment",), severity="medium", rung=2),
        flagged(posts[1], categories=("personal_data",), severity="medium", rung=2),
        flagged(posts[2], categories=("defamation",), severity="high", rung=2),
    ]
    store(wh, list(zip(posts, labels, strict=True)))
    return Seeded(folder, config, folder / "outbox", wh)


@pytest.fixture(scope="package")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    # many sign-ins from one address here; the limits are tested on a board of their own
    limits = "sign_in_per_address = 100\nsign_in_per_client = 1000"
    seeded = seed(tmp_path_factory.mktemp("board"), web=limits)
    with board_process(seeded.config) as process:
        seeded.url = process.wait()
        yield seeded
