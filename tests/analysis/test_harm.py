"""Table-driven tests of the harm classifier (docs/contract.md §4). Every case says why it exists.

The school and people are fictional and not those of the training or dev sets, so these
cases also check that what was learnt carries over to another school.
"""

from __future__ import annotations

import math

import pytest

from analysis import harm, harm_model, ladder
from analysis.harm import assess_harm
from schoolwatch.config import SchoolConfig
from schoolwatch.models import CATEGORIES

SCHOOL = SchoolConfig.model_validate(
    {
        "id": "ashgrove-fenbridge",
        "name": "Ashgrove Primary School, Fenbridge",
        "names": ["Ashgrove Primary School", "Ashgrove Primary"],
        "ambiguous_names": ["Ashgrove"],
        "context": ["Fenbridge", "Mill Hollow"],
        "people": [
            {"name": "Harriet Quill", "role": "headteacher", "aliases": ["Mrs Quill"]},
            {"name": "Owen Tarrant", "role": "teacher", "aliases": ["Mr Tarrant"]},
            {"name": "Nadia Brook", "role": "teaching assistant", "aliases": ["Miss Brook"]},
        ],
    }
)

# (text, categories that must be present, categories that must be absent, why)
CASES = [
    # --- threats, including ones without the words kill/hurt/bomb
    (
        "Mr Tarrant had better watch his back at Ashgrove.",
        {"threat"},
        set(),
        "veiled threat with no violent word; neutral to VADER and profanity models",
    ),
    (
        "If Ashgrove exclude my son again I'll stab Mrs Quill.",
        {"threat"},
        set(),
        "conditional explicit threat",
    ),
    (
        "There's a bomb in the Ashgrove Primary School hall, set for 10. Not a joke.",
        {"threat"},
        set(),
        "bomb hoax is a threat",
    ),
    (
        "Somebody should torch Ashgrove Primary with the staff inside.",
        {"threat"},
        set(),
        "incitement to arson",
    ),
    (
        "Mrs Quill lives at 12 Orchard Close. A few of us are paying her a visit tonight.",
        {"threat", "personal_data"},
        set(),
        "home address plus a menacing visit",
    ),
    (
        "Hope the Ashgrove roof caves in on Mr Tarrant during assembly.",
        {"threat"},
        set(),
        "wish of serious harm",
    ),
    # --- arson and demolition wished on the building, with no violent verb
    (
        "Honestly Ashgrove Primary wants bulldozing, the lot of it. Just saying.",
        {"threat"},
        set(),
        "a wish to demolish the school ('wants bulldozing') with a casual hedge",
    ),
    (
        "Not saying anyone should, but one can of petrol would sort Ashgrove out for good lol",
        {"threat"},
        set(),
        "arson incitement dressed as a joke: the hedge and 'lol' do not cancel it",
    ),
    (
        "I would gladly put a lighter to Ashgrove Primary myself.",
        {"threat"},
        set(),
        "first-person wish to set the school on fire",
    ),
    (
        "If Ashgrove went up in smoke tomorrow not a soul in Fenbridge would miss it.",
        {"threat"},
        set(),
        "'nobody would miss it if it burned': a wish for the building's destruction",
    ),
    (
        "Bonfire night on the Ashgrove field was brilliant, the PTA did a great job.",
        set(),
        {"threat"},
        "bonfire night is an event, not arson",
    ),
    (
        "The old Ashgrove Primary hut will be demolished in the summer once planning is approved.",
        set(),
        {"threat"},
        "demolition in planning news is not a wish to destroy the school",
    ),
    (
        "Staff at Ashgrove Primary are totally burnt out, the head needs to share the load.",
        set(),
        {"threat"},
        "'burnt out' is exhaustion",
    ),
    # --- violent words that are not threats
    (
        "I could cheerfully strangle whoever scheduled the Ashgrove harvest festival at 9am on a"
        " Saturday.",
        set(),
        {"threat"},
        "exasperated hyperbole at an anonymous decision-maker, no identifiable target",
    ),
    (
        "Last term Mr Tarrant grabbed my son by the collar and shoved him into the Ashgrove"
        " corridor wall.",
        set(),
        {"threat"},
        "a past-tense allegation of violence by staff is defamation, not a threat: no intent,"
        " wish or warning about the future",
    ),
    (
        "Mrs Quill at Ashgrove is a smug little weasel, a total rat 🐀🤡",
        set(),
        {"threat"},
        "name-calling and contempt emoji are harassment, not a threat",
    ),
    # --- figurative language and sport: hard negatives
    (
        "Killer spelling test at Ashgrove today, the kids were shattered.",
        set(),
        {"threat"},
        "'killer test' is figurative",
    ),
    (
        "Ashgrove netball team shot up the league table this season!",
        set(),
        {"threat"},
        "'shot up the tables' is sport",
    ),
    (
        "Ashgrove Primary choir absolutely murdered it tonight, in a good way.",
        set(),
        {"threat"},
        "'murdered it' is praise",
    ),
    (
        "I would kill for a coffee after the Ashgrove Christmas fair.",
        set(),
        {"threat"},
        "'kill for' is an idiom",
    ),
    (
        "Ashgrove Y6 got bombarded with homework this week.",
        set(),
        {"threat"},
        "'bombarded' is figurative",
    ),
    (
        "F***ing brilliant sports day at Ashgrove Primary, well done everyone!",
        set(),
        {"threat", "obscene", "harassment", "hate"},
        "masked swearing in praise: the top hit of a profanity model, harmless here",
    ),
    # --- negation and attributed speech
    (
        "Police said a man arrested near Ashgrove Primary School had no connection to the school.",
        set(),
        {"threat", "defamation"},
        "attributed reporting that clears the school",
    ),
    (
        "After the bomb threat at another school, what drills does Ashgrove Primary do?",
        set(),
        {"threat"},
        "a question about a threat elsewhere",
    ),
    # --- hate: masked slurs and leetspeak
    ("Ashgrove is full of p*kis now.", {"hate"}, set(), "masked racist slur"),
    ("the new TA at Ashgrove is a total f4g", {"hate"}, set(), "leetspeak homophobic slur"),
    # --- defamation vs opinion
    (
        "Mrs Quill has been stealing from the Ashgrove PTA fund for years.",
        {"defamation"},
        {"complaint"},
        "theft asserted as fact",
    ),
    (
        "In my opinion Mrs Quill is the worst head Ashgrove has ever had.",
        set(),
        {"defamation", "threat"},
        "stated as opinion",
    ),
    # --- personal data
    (
        "Mr Tarrant's mobile is 07700 900123, ring him about Ashgrove.",
        {"personal_data"},
        set(),
        "a private phone number",
    ),
    (
        "Mr Tarrant from Ashgrove drives the blue Corsa AB12 CDE.",
        {"personal_data"},
        set(),
        "a car registration",
    ),
    (
        "Ellie-May Fairclough in Y4 at Ashgrove has ADHD and is on medication.",
        {"personal_data"},
        set(),
        "a named child's health and SEN details",
    ),
    (
        "Harriet Quill has been appointed headteacher of Ashgrove Primary School, Fenbridge.",
        set(),
        {"personal_data"},
        "naming a headteacher in her public role",
    ),
    # --- complaints and neutral posts
    (
        "Ashgrove Primary never answers emails. Three weeks waiting for a reply. Disgraceful.",
        {"complaint"},
        {"threat", "defamation", "harassment"},
        "plain complaint",
    ),
    (
        "Ashgrove Primary School open day is on Saturday, all welcome.",
        set(),
        set(CATEGORIES),
        "neutral notice",
    ),
    (
        "Still no reply from Ashgrove Primary about the trip refund. Six weeks on."
        " Not good enough.",
        {"complaint"},
        {"defamation", "harassment"},
        "an unmet expectation ('still no reply', 'not good enough') is a grievance",
    ),
    (
        "Ashgrove Primary moved the nativity to 2pm on a weekday, because we all work from"
        " home, obviously 🙄",
        {"complaint"},
        set(),
        "sarcasm: the words are mild, the grievance is in the framing",
    ),
    (
        "Miss Brook stayed behind every evening this week to help the Y6s at Ashgrove with their"
        " reading. What a star.",
        set(),
        {"complaint", "defamation"},
        "praise of a named teacher: no grievance, no discreditable act",
    ),
    (
        "The staff at Ashgrove Primary are lovely and our son is really happy there.",
        set(),
        {"complaint"},
        "plain praise is not a complaint",
    ),
    (
        "Does anyone know what time the Ashgrove Primary disco finishes on Friday?",
        set(),
        set(CATEGORIES),
        "a question for information is not a grievance",
    ),
    (
        "Retired vet Alan Hibbert has been elected chair of governors at Ashgrove Primary."
        " Mr Hibbert said his priorities were the new library and making sure parents were heard.",
        set(),
        {"defamation", "complaint"},
        "news naming a person with no discreditable act: defamation needs an accusation",
    ),
    # --- complaints without strong negative words
    (
        "Love how Ashgrove Primary tells us about the trip the evening before it leaves. Super"
        " organised as always 🙃",
        {"complaint"},
        {"threat", "defamation", "harassment"},
        "sarcasm: praise words ('love how', 'super organised', 'as always') made ironic",
    ),
    (
        "Ashgrove's idea of a 'consultation' on the new uniform was a letter telling us it was"
        " already ordered. Found out from another parent first.",
        {"complaint"},
        {"defamation", "harassment"},
        "scare quotes round the school's own word, and learning of a decision second-hand",
    ),
    (
        "Emailed the Ashgrove office four times about my son's reading book and heard nothing."
        " Does anyone there actually read their inbox?",
        {"complaint"},
        {"defamation", "harassment"},
        "unanswered contact and a rhetorical question, no strong negative word",
    ),
    (
        "Ashgrove used to be such a friendly little school. Since the new head arrived the"
        " summer fete has gone and nobody asked us.",
        {"complaint"},
        {"defamation", "harassment"},
        "nostalgia for what was lost under new leadership, decided without parents",
    ),
    (
        "Ashgrove Y5 sports day was sick, Mr Tarrant is an absolute legend 🔥🔥",
        set(),
        {"complaint", "threat"},
        "British slang praise ('sick', 'legend', fire emoji) is not a grievance",
    ),
    (
        "My daughter used to dread school and cry at the gate. Since moving to Ashgrove she"
        " skips in every morning. Thank you Miss Brook.",
        set(),
        {"complaint"},
        "the negative words are the child's past; the post praises the school",
    ),
    # --- mixed reviews, unfairness, demands, lost faith (harm-5) and their hard negatives
    (
        "Ashgrove Primary, 2 out of 5. The reception class is sweet but the after-school club"
        " closes without warning and nobody returns calls.",
        {"complaint"},
        {"defamation", "harassment"},
        "a low star rating whose praise turns, with 'but', to criticism of the school",
    ),
    (
        "Mr Tarrant is a fab teacher, no question. Splitting his class in March was still a"
        " baffling call by Ashgrove and the children are the ones paying for it.",
        {"complaint"},
        {"defamation", "harassment"},
        "praise for one teacher beside criticism of the school's decision is a complaint",
    ),
    (
        "At Ashgrove it's the same few children picked for every assembly part and every trip."
        " The rest might as well not be there.",
        {"complaint"},
        {"defamation"},
        "unfairness as a grievance (the same few picked), no discreditable act asserted",
    ),
    (
        "Ashgrove governors: parents have asked about the staffing cuts for a year. Publish the"
        " figures and explain yourselves.",
        {"complaint"},
        {"threat", "defamation", "harassment"},
        "a demand that the school explain and publish is criticism, not a threat",
    ),
    (
        "We've taken our son out of Ashgrove after two years. Lost all confidence in how they"
        " handle anything that isn't easy.",
        {"complaint"},
        {"defamation", "harassment"},
        "leaving the school with lost confidence, in measured words",
    ),
    (
        "Blowing a gale at Ashgrove pick-up and half the coats went flying. Miss Brook rounded"
        " them all up, bless her, and nobody went home cold.",
        set(),
        {"complaint"},
        "a grumble about the weather while praising the school is not a complaint",
    ),
    (
        "Four stars for Ashgrove Primary. Caring teachers and a good library; the only downside"
        " is the parking on Mill Hollow, which isn't the school's fault.",
        set(),
        {"complaint"},
        "a good rating with a gripe the poster says is not the school's doing",
    ),
    (
        "Ashgrove Primary School closed today after a power cut, the council said. Pupils are"
        " expected back tomorrow.",
        set(),
        set(CATEGORIES),
        "news of a closure with negative words, attributed, and no criticism",
    ),
    # --- the more serious category wins over a complaint
    (
        "Ashgrove staff lock the SEN kids in the quiet room when they kick off. Happens weekly.",
        {"defamation"},
        {"complaint"},
        "asserts as fact that staff lock children up: defamation, not a complaint",
    ),
    (
        "Ashgrove Primary put on a show for the inspectors and sent the difficult kids home for"
        " the week of the Ofsted visit.",
        {"defamation"},
        {"complaint"},
        "deceiving inspectors asserted as fact is defamation",
    ),
    (
        "Two of the Ashgrove teachers were going at it in the staffroom at the Christmas do 😂😂",
        {"obscene"},
        {"complaint"},
        "an explicit sexual act stays obscene even with laughing emoji",
    ),
    (
        "Why are there so many Somalis at Ashgrove now, breeding like rabbits?",
        {"hate"},
        {"complaint"},
        "dehumanising a group inside a question is still hate",
    ),
    (
        "Mr Tarrant only got the deputy job at Ashgrove because the head is his sister-in-law.",
        {"defamation"},
        set(),
        "nepotism asserted as fact: discreditable, no crime word",
    ),
    # --- incidents that already happened, told by a witness or neighbour, are no threat
    (
        "Police were at Ashgrove Primary today after someone sprayed graffiti on the gates.",
        set(),
        {"threat"},
        "a report of last night's graffiti: 'someone' did it, nobody threatens more",
    ),
    (
        "Did anyone see who set the bins alight behind Ashgrove Primary on Sunday? Police are "
        "asking for footage.",
        set(),
        {"threat"},
        "a witness appeal about a fire that happened is no hint of arson",
    ),
    (
        "Whoever set the Ashgrove bins alight, next time do the staffroom with Mrs Quill in it.",
        {"threat"},
        set(),
        "a past fire with a call for the next one is incitement",
    ),
    (
        "Somebody slashed Mr Tarrant's tyres at Ashgrove. Next time it'll be him.",
        {"threat"},
        set(),
        "past damage told to promise harm to the person",
    ),
    (
        "If someone set Ashgrove Primary alight over half term I'd buy them a pint.",
        {"threat"},
        set(),
        "a wish for arson in the past tense of a condition",
    ),
    # --- "someone" + a past-tense verb reports what someone did (harm-20)
    (
        "Someone keyed Mr Tarrant's car at Ashgrove Primary.",
        set(),
        {"threat"},
        "a one-line report of a keyed car: 'someone' did it, nobody threatens more",
    ),
    (
        "Somebody threw eggs at Mr Tarrant's house after the Ashgrove parents evening.",
        set(),
        {"threat"},
        "egging already done, told as news",
    ),
    (
        "Someone should key Mr Tarrant's car at Ashgrove Primary.",
        {"threat"},
        set(),
        "the same words as a call to do it",
    ),
    (
        "Someone keyed Mr Tarrant's car at Ashgrove, he's lucky it was only the car.",
        {"threat"},
        set(),
        "a report that says the person is next",
    ),
]


@pytest.mark.parametrize(("text", "present", "absent", "why"), CASES, ids=[c[3] for c in CASES])
def test_case(text: str, present: set[str], absent: set[str], why: str) -> None:
    res = assess_harm("", text, SCHOOL, (), local=True)
    got = set(res.categories)
    assert present <= got, f"{why}: missing {present - got} in {res.categories}"
    assert not (absent & got), f"{why}: unexpected {absent & got} in {res.categories}"


def test_categories_in_order_with_evidence_spans() -> None:
    title = "Watch your back"
    text = "Mrs Quill lives at 12 Orchard Close. Her number is 07700 900456."
    res = assess_harm(title, text, SCHOOL, (), local=True)
    assert list(res.categories) == [c for c in CATEGORIES if c in res.categories]
    for cat in res.categories:
        assert any(e.category == cat for e in res.evidence), cat
    for e in res.evidence:
        source = title if e.field == "title" else text
        assert source[e.start : e.end] == e.text and e.text and e.reason


def test_complaint_only_alone() -> None:
    res = assess_harm("", "Mrs Quill at Ashgrove is a useless fat cow. Awful school.", SCHOOL, ())
    assert "complaint" not in res.categories or res.categories == ("complaint",)


def test_defamation_crime_reason_drives_severity() -> None:
    crime = assess_harm("", "Mr Tarrant at Ashgrove Primary stole the trip money.", SCHOOL, ())
    minor = assess_harm(
        "", "Mr Tarrant turns up to Ashgrove Primary hungover every Monday.", SCHOOL, ()
    )
    assert "defamation" in crime.categories and _severity(crime) == "high"
    assert any(e.reason.startswith("crime:") for e in crime.evidence)
    if "defamation" in minor.categories:
        assert _severity(minor) == "medium"


def test_model_evidence_shows_content_words_only() -> None:
    # "model: 'his', 'the', 'were'" told a reader nothing: function words are never shown
    from analysis.harm_rules import load_rules

    book = load_rules()
    text = "The Ashgrove Primary School roof has been leaking into the Y3 classroom for weeks."
    res = assess_harm("", text, SCHOOL, (), local=True)
    for e in res.evidence:
        if e.reason.startswith("model: '"):
            shown = [w.strip("'") for w in e.reason.removeprefix("model: ").split(", ")]
            assert all(any(t not in book.not_evidence for t in w.split()) for w in shown), shown


def _severity(res: harm.HarmResult) -> str:
    # severity is the ladder's decision (analysis/ladder.py), read from harm's evidence
    serious = ladder.is_serious_defamation(res.evidence)
    return ladder.severity(res.categories, serious_defamation=serious)


def test_evidence_offsets_with_non_ascii_text() -> None:
    text = "Ysgol Ashgrove ☕ – Mr Tarrant’s mobile is 07700 900111 🙃"
    res = assess_harm("", text, SCHOOL, (), local=True)
    assert "personal_data" in res.categories
    for e in res.evidence:
        assert text[e.start : e.end] == e.text


def test_version_is_set() -> None:
    assert harm.HARM_VERSION


def test_rules_file_is_consistent() -> None:
    # the safeguarding lead edits analysis/data/harm_rules.toml: a typo must fail here
    from analysis.harm_rules import load_rules

    book = load_rules()
    signals = {"figurative", "reported", "opinion", "praise", "question", "notice", "forward"}
    assert {r.category for r in book.rules} <= set(CATEGORIES) | signals
    extra = {"threat_without_cue", "threat_despite_counter", "defamation_without_cue"}
    assert set(book.thresholds) == set(CATEGORIES) | extra
    assert all(0 < t < 1 for t in book.thresholds.values())
    assert len({r.name for r in book.rules}) == len(book.rules)
    # a category's `_without_cue` threshold asks more of the model than its own
    for name, value in book.thresholds.items():
        if name.endswith("_without_cue"):
            assert value > book.thresholds[name.removesuffix("_without_cue")]


def test_a_model_only_defamation_without_a_cue_needs_a_surer_model() -> None:
    # "everyone knows where the trip money went" names no crime: the model alone must be as
    # sure as `defamation_without_cue`; with a crime word its own threshold is enough
    from analysis.harm_rules import load_rules

    book = load_rules()
    sure = book.thresholds["defamation_without_cue"]
    assert harm._cued("defamation", set(), book, [], sure)
    assert not harm._cued("defamation", set(), book, [], sure - 0.01)
    assert harm._cued("defamation", {"#crime"}, book, [], book.thresholds["defamation"])


@pytest.mark.parametrize(
    ("word", "text", "hit"),
    [
        ("paki", "p*ki", True),
        ("paki", "p@kki", True),
        ("faggot", "f*ggots", False),  # a different word form must be listed on its own
        ("fat", "f**", False),  # too masked to be any particular word
        ("cunt", "c*nt", True),
        ("spastic", "sp*stic", True),
    ],
)
def test_masked_lexicon_words(word: str, text: str, hit: bool) -> None:
    from analysis.harm_rules import find_hits, parse_rules

    raw = {
        "version": "t",
        "thresholds": {},
        "targets": {"roles": "x^"},
        "defamation": {"crime": "x^"},
        "personal_data": {"sensitive": "x^", "pupil": "x^"},
        "rules": [{"name": "t", "category": "hate", "words": [word]}],
    }
    assert bool(find_hits(parse_rules(raw), text)) is hit


def test_a_weak_threat_frame_is_a_model_signal_only() -> None:
    # why: "better hope" menaces but is everyday English too: the model weighs it with the rest
    feats, ruled = harm.post_signals("", "you better hope the governors back you", SCHOOL)
    assert "#signal:menace_words" in feats
    assert "#frame" not in feats and "threat" not in ruled


def _steady_model(threat_p: float) -> harm_model.HarmModel:
    """A model that gives every post the same threat probability and nothing else."""
    logit = math.log(threat_p / (1 - threat_p))
    cats = {cat: {"bias": logit if cat == "threat" else -20.0, "weights": {}} for cat in CATEGORIES}
    return harm_model.HarmModel.from_dict({"categories": cats})


@pytest.mark.parametrize(("threat_p", "expected"), [(0.85, True), (0.75, False)])
def test_counter_evidence_sets_aside_a_model_threat_unless_the_model_is_very_sure(
    threat_p: float, expected: bool
) -> None:
    # why: sport talk sets a violent phrase aside, but "not even playin ... bleep test" style
    # posts the model is very sure of (threat_despite_counter, 0.8) are still threats
    text = "Mr Tarrant at Ashgrove, we're gonna kill them at netball on saturday"
    result = harm.classify(text, "", SCHOOL, (), model=_steady_model(threat_p))
    assert ("threat" in result.categories) is expected
