"""The reviewed threat frames (analysis/data/threat_frames.toml): every example a frame gives
must be found by it, every not_example must not be a threat, and every counter-evidence entry
must recognise its own examples. The file is data a safeguarding lead edits; these tests are
what keeps its examples honest."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import harm_normalize, phrases, threat
from analysis.harm_text import fold

BOOK = threat.load_frames()


def _cases(kind: str) -> list[tuple[str, str]]:
    frames = BOOK.frames if kind != "counter" else BOOK.counters
    attr = "not_examples" if kind == "not" else "examples"
    return [(f.name, text) for f in frames for text in getattr(f, attr)]


@pytest.mark.parametrize(("name", "text"), _cases("example"))
def test_frame_finds_its_examples(name: str, text: str) -> None:
    hits = threat.find(fold(text), counters=False)
    assert any(h.frame.name == name for h in hits), f"frame {name} misses its example {text!r}"


@pytest.mark.parametrize(("name", "text"), _cases("not"))
def test_not_examples_are_no_threat(name: str, text: str) -> None:
    # a weak frame is a signal for the model, never a threat on its own
    hits = [h for h in threat.find(fold(text)) if h.countered_by is None and not h.frame.weak]
    assert not hits, f"{text!r} is a not_example of {name} but {hits[0].frame.name} matched"


@pytest.mark.parametrize(("name", "text"), _cases("counter"))
def test_counter_evidence_recognises_its_examples(name: str, text: str) -> None:
    counter = next(c for c in BOOK.counters if c.name == name)
    assert counter.pattern.first(harm_normalize.for_rules(fold(text)))


@pytest.mark.parametrize(
    ("text", "counter"),
    [
        # why: sport talk uses the words of violence
        ("we're gonna kill them at netball on saturday", "sport"),
        # why: a quotation is not the writer's own threat
        ("'I will kill you all' is the best bit of the whole thing", "quote"),
        # why: reported speech is judged by its context, here a game of tag
        ("he told his mate 'I'll kill you' during a game of tag", "sport"),
        # why: the writer talking about themself
        ("my mum is gonna kill me", "self"),
        # why: a witness reporting last night's fire is not hinting at arson
        ("somebody set the big bins alight last night, fire engines everywhere", "incident"),
    ],
)
def test_counter_evidence_sets_a_frame_aside(text: str, counter: str) -> None:
    hits = threat.find(fold(text))
    assert hits and all(h.countered_by is not None for h in hits)
    assert any(h.countered_by and h.countered_by.name == counter for h in hits)


_INCIDENT = next(c for c in BOOK.counters if c.name == "incident")


@pytest.mark.parametrize("text", _INCIDENT.not_examples)
def test_a_past_incident_asking_for_more_is_no_report(text: str) -> None:
    # "next time do the staffroom", "if someone set it alight": a wish, not a witness's report
    assert not threat._counts(_INCIDENT, harm_normalize.for_rules(fold(text))), text


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("im gonna st@b him", "intent"),  # leetspeak
        ("i will k i l l you", "intent"),  # spaced letters
        ("just diiiie already", "death_wish"),  # stretched letters
        ("ppl saying kai has got a 🔪 in his bag", "weapon_report"),  # emoji as a weapon
        ("Mr Pemberton better watch his back", "menace"),  # a named person (masked as xp)
        ("bro said hes gonna sh*nk him", "intent"),  # letters hidden by an asterisk
    ],
)
def test_disguised_threats_are_found(text: str, frame: str) -> None:
    folded = fold(text)
    hits = threat.find(folded)
    assert any(h.frame.name == frame and h.countered_by is None for h in hits)
    for h in hits:  # offsets are offsets of the original text
        assert 0 <= h.start < h.end <= len(text)


def test_a_single_common_word_is_no_threat_cue() -> None:
    for word in ("will", "people", "get", "end", "have", "watch", "fire"):
        assert not threat.cues(word), word
    assert threat.cues("i will stab")


@given(st.text(max_size=300))
def test_normalising_keeps_every_position(text: str) -> None:
    folded = fold(text)
    assert len(harm_normalize.for_rules(folded)) == len(folded)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k1ll", "kill"),
        ("5t4b", "stab"),
        ("sh00t", "shoot"),
        ("y10 at 3pm", "y10 at 3pm"),  # a year group and a time are not leetspeak
        ("k i l l", "kill   "),
        ("diiiie", "die   "),
        ("killlll", "kill   "),
        ("u k i l l", "u kill   "),  # a lone "u" beside a spaced word stays a word
        ("k i l l u", "kill    u"),
        ("a s a p", "asap   "),
        # words spaced out and kept apart by two spaces: every word, however short
        ("d e a t h  t o  xs", "death      to   xs"),
        ("k i l l  u r s e l f  miss", "kill     urself       miss"),
        ("grade a  b or c", "grade a  b or c"),  # no spaced-out word: nothing to undo
        # short leetspeak words with the digit at an end, from a fixed list
        ("k1ll th3 n3w g1rl 1n 4b", "kill the new girl in 4b"),
        ("w3 g0t gunz", "we got gunz"),
        ("d3@th t0 xs", "death to xs"),
        ("y10 in 3b at 3pm", "y10 in 3b at 3pm"),
    ],
)
def test_disguises_undone(text: str, expected: str) -> None:
    assert harm_normalize.for_rules(text) == expected


def test_phrase_notation() -> None:
    slots = phrases.compile_slots({"weapon": ["knife", "blade"]})
    import re

    pat = re.compile(phrases.bounded(phrases.alternation(["bring* ... {weapon}"], slots)))
    assert pat.search("he's bringing a big knife in")
    assert not pat.search("he's bringing cake")
    with pytest.raises(ValueError, match="unknown slot"):
        phrases.alternation(["{nope}"], slots)


def test_slang_lines_say_what_each_word_means() -> None:
    table = harm_normalize.slang()
    assert table["shank"] == "stab" and table["skeng"] == "knife"
    assert table["chibbed"] == "stab"
    from analysis.harm_text import features

    assert "stab" in features("he got chibbed")  # the model reads the plain word


def _reported_examples() -> list[str]:
    raw = tomllib.loads(threat.FRAMES_PATH.read_text(encoding="utf-8"))
    quote = next(c for c in raw["counter"] if c["name"] == "quote")
    return list(quote["reported_examples"])


@pytest.mark.parametrize("text", _reported_examples())
def test_a_reported_threat_in_quotation_marks_is_still_a_threat(text: str) -> None:
    # why: "a pupil saying 'I'm gonna kill Mrs X'" reports a threat; it is not a film quote
    hits = threat.find(fold(text))
    assert any(h.countered_by is None for h in hits), f"{text!r}: {hits}"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # why: writers put the threatening word in quotation marks to dodge a filter
        ("he's going to 'stab' her after school", True),
        ('he says he will "stab" her', True),
        ("they're gonna \u201cstab\u201d him on friday", True),
        # why: after "a", "the", "his" ... the marks mean a so-called thing, not the word
        ("he brought a 'knife' in, it was a plastic one from the panto", False),
        # why: a whole sentence in quotation marks is a quotation, judged as one
        ("'I will stab you' is the best line in the play", False),
    ],
)
def test_scare_quotes_do_not_break_a_phrase(text: str, found: bool) -> None:
    intent = ["going to stab {target}", "gonna stab {target}", "will stab {target}"]
    book = threat.parse_frames(
        {
            "slots": {"harm_strong": ["stab"], "weapon": ["knife"], "target": ["him", "her"]},
            "frames": [
                {"name": "intent", "means": "intent", "phrases": intent},
                {"name": "bring", "means": "brings a weapon", "phrases": ["brought a {weapon}"]},
            ],
            "counter": [{"name": "quote", "means": "a quotation", "phrases": ["play"]}],
        }
    )
    hits = [h for h in threat.find(fold(text), book) if h.countered_by is None]
    assert bool(hits) is found, (text, hits)


@pytest.mark.parametrize(
    ("text", "blanked"),
    [
        ("going to 'deal with' her", "going to  deal with  her"),
        ("a 'weapon' in", "a 'weapon' in"),
        ("rock 'n' roll", "rock  n  roll"),
        ("give 'em a slap", "give 'em a slap"),
        ("don't, won't", "don't, won't"),
    ],
)
def test_unquoted_blanks_only_scare_quotes_and_keeps_every_position(
    text: str, blanked: str
) -> None:
    assert threat.unquoted(text) == blanked
    assert len(threat.unquoted(text)) == len(text)


def _small_book(extra: dict) -> threat.FrameBook:
    slots = {"harm_strong": ["stab"], "weapon": ["knife"]}
    frame = {"name": "keep_off", "means": "warns parents off", "phrases": ["keep the kids off"]}
    return threat.parse_frames({"slots": slots, "frames": [frame | extra]})


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("keep the kids off friday", True),
        # why: the frame's own exception, near it in the same sentence, sets the hit aside
        ("keep the kids off friday, the school is closed for snow", False),
        # why: an exception in another sentence says nothing about this one
        ("keep the kids off friday. snow is forecast next week though", True),
    ],
)
def test_a_frames_own_exception_sets_its_hit_aside(text: str, found: bool) -> None:
    book = _small_book({"unless": ["snow"]})
    assert bool(threat.find(fold(text), book)) is found
    # without `unless` the frame finds every one of them
    assert threat.find(fold(text), _small_book({}))


def test_a_weak_frame_is_a_signal_not_a_threat() -> None:
    book = _small_book({"strength": "weak"})
    (hit,) = threat.find(fold("keep the kids off friday"), book)
    assert hit.frame.weak and hit.countered_by is None
    assert not _small_book({}).frames[0].weak


@pytest.mark.parametrize(
    ("text", "countered"),
    [
        # why: the "match" that lights a fire is inside the counter's own `unless` phrase
        ("someone should put a match to that school", False),
        # why: a sports match is still counter-evidence
        ("we're gonna kill them in the match on saturday", True),
    ],
)
def test_a_counter_word_inside_its_unless_phrase_is_no_counter(text: str, countered: bool) -> None:
    hits = [h for h in threat.find(fold(text)) if not h.frame.weak]
    assert hits
    assert all((h.countered_by is not None) is countered for h in hits)


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        ("gonna sh*nk him", "gonna shank him"),
        ("i will k*ll u", "i will kill u"),
        ("sh*t school", "sh*t school"),  # fits "shit" and "shot": left as written
        ("f*ck off", "f*ck off"),  # not a word of violence: the rules read it as written
    ],
)
def test_letters_hidden_by_asterisks(text: str, read_as: str) -> None:
    assert harm_normalize.for_rules(text) == read_as


def _post_wide_cases(key: str) -> list[tuple[str, str]]:
    raw = tomllib.loads(threat.FRAMES_PATH.read_text(encoding="utf-8"))
    return [(c["name"], text) for c in raw.get("counter", ()) for text in c.get(key, ())]


@pytest.mark.parametrize(("name", "text"), _post_wide_cases("post_wide_examples"))
def test_a_post_wide_counter_sets_aside_harm_aimed_at_a_group(name: str, text: str) -> None:
    # why: "Sallowfield v Grange tonight, we'll batter them": the fixture is in another sentence
    hits = [h for h in threat.find(fold(text)) if not h.frame.weak]
    assert hits and all(h.countered_by is not None for h in hits)
    assert any(h.countered_by and h.countered_by.name == name for h in hits)


@pytest.mark.parametrize(("name", "text"), _post_wide_cases("post_wide_not_examples"))
def test_a_post_wide_counter_leaves_harm_aimed_at_a_person(name: str, text: str) -> None:
    # why: "batter him" is aimed at a person: a match named elsewhere does not excuse it
    hits = [h for h in threat.find(fold(text)) if not h.frame.weak]
    assert any(h.countered_by is None for h in hits), f"{name} set aside {text!r}"
