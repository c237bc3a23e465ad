"""Which flagged items are safeguarding matters for the DSL rather than the SLT digest.

Two kinds (keeping children safe in education: allegations against staff go to the LADO):
- an assertion that a member of staff harmed a child: a `defamation` item whose words describe
  physical, sexual or emotional harm and that mentions a child;
- a disclosure of a pupil's or staff member's personal data (`personal_data`).
The harm classifier may also say so itself in an evidence `reason` ("abuse", "safeguarding").
"""

from __future__ import annotations

import re

from schoolwatch.models import FlaggedItem

_PERSON = (  # a person, not their belongings ("the kids' money")
    r"(?:the |my |our |a |his |her |their )?"
    r"(?:kids?|child\w*|pupils?|little ones|son|daughter|him|her|them)\b(?!['’])"
)
_HARM = re.compile(
    r"\b(abus\w*|assault\w*|hit|hits|hitting|slap\w*|smack\w*|punch\w*|kick\w*|"
    r"shov\w*|push(?:ed|es|ing)?|grab\w*|shak(?:e|es|ing|en)|shook|throttl\w*|strangl\w*|"
    r"chok\w*|bruis\w*|hurt\w*|harm(?:ed|ing|s)?|injur\w*|beat|beats|beating|beaten|"
    r"lock(?:s|ed|ing)? \w+ in|restrain\w*|drag\w*|grop\w*|groom\w*|molest\w*|indecent\w*|"
    r"sexual\w*|paedo\w*|pedo\w*|nonce|"
    # "pinched the dinner money" and "keep in touch" are not harm: these need a person after
    rf"pinch(?:es|ed|ing)? {_PERSON}|touch(?:es|ed|ing)? {_PERSON})\b",
    re.IGNORECASE,
)
_CHILD = re.compile(
    r"\b(child\w*|kids?|kiddies|pupils?|students?|son|sons|daughters?|lad|lads|boy|boys|girl|"
    r"girls|little ones?|toddlers?|nephew|niece|year \d+|reception|infants?|"
    r"\d+[- ]year[- ]olds?)\b",
    re.IGNORECASE,
)
_SAFEGUARDING_WORDS = re.compile(r"\b(safeguard\w*|lado)\b", re.IGNORECASE)


def _reason_says_so(reason: str) -> bool:
    return bool(_SAFEGUARDING_WORDS.search(reason)) or (
        bool(_HARM.search(reason)) and bool(_CHILD.search(reason))
    )


def alleges_staff_harmed_child(item: FlaggedItem) -> bool:
    """True when the item asserts that a member of staff harmed a child (the LADO route)."""
    allegations = [ev for ev in item.evidence if ev.category == "defamation"]
    if any(_reason_says_so(ev.reason) for ev in allegations):
        return True
    if "defamation" not in item.categories:
        return False
    # The whole post, not only the evidence span: a narrow span ("Mr X hit") may leave out the
    # child, and sending a borderline case to the DSL costs less than missing one.
    whole = f"{item.title}\n{item.text}"
    return bool(_HARM.search(whole)) and bool(_CHILD.search(whole))


def is_safeguarding(item: FlaggedItem) -> bool:
    """True when the item goes to the DSL (`alert_to`) and the SLT digest shows only its case id.

    That is: it alleges that a member of staff harmed a child, or it discloses personal data.
    """
    return "personal_data" in item.categories or alleges_staff_harmed_child(item)
