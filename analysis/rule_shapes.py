"""Shapes the phrase notation cannot spell, usable as slots in the harm rules.

Phone numbers, registration plates and ratings are shapes of characters, not lists of
words. Each is one named slot here (`{phone_number}` in `analysis/data/harm_rules.toml`),
with what it matches said in words, so the rules file itself stays free of regular
expressions. A shape carries its own edges: the rules add no word boundary around it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shape:
    means: str
    pattern: str


_LOW = r"[012](?:\.5)?\s?(?:/|out\sof)\s?(?:5|five)|[0-3]\s?(?:/|out\sof)\s?(?:10|ten)"
_GOOD = r"[345](?:\.5)?\s?(?:/|out\sof)\s?(?:5|five)|(?:[6-9]|10)\s?(?:/|out\sof)\s?(?:10|ten)"
_SARCASTIC = (
    "great|brilliant|genius|fab|fabulous|marvellous|superb|lovely|fantastic|perfect|wonderful|"
    "smashing|stellar|nice\\sone|top\\swork|well\\sdone|cheers|thanks|ta"
)
_NOT_STREET = (
    "on|at|in|into|along|up|down|by|near|the|a|of|to|from|for|past|round|off|and|or|mins?|"
    "minutes?|hours?|cars?|kids|children|pupils|parents|people|families|houses"
)
_STREET = (
    "road|rd|street|st|lane|close|grove|terrace|avenue|crescent|drive|way|view|place|gardens|"
    "court|rise|fold|walk|mews|row|hill|green|park|bottom|end"
)

SHAPES: dict[str, Shape] = {
    "phone_number": Shape(
        "a UK mobile number: 07700 900123, +44 7700 900 123",
        r"(?<![0-9])(?:\+44\s?7\d{3}|07\d{3})[\s-]?\d{3}[\s-]?\d{3}(?![0-9])",
    ),
    "car_reg": Shape(
        "a registration plate: ab12 cde (not 'yr10 abc' and the like)",
        r"(?<![a-z0-9])(?!yr|ks|sy|gc|no|pt|ch)[a-z]{2}\d{2}\s?[a-z]{3}(?![a-z0-9])",
    ),
    "street_address": Shape(
        "a house number and street: 14 Mill Lane, 3a Old Quarry Road (not '5 mins down the road')",
        rf"(?<![a-z0-9.:£$])\d{{1,4}}[a-z]?,?\s(?!(?:{_NOT_STREET})\s)(?:[a-z']+\s){{1,2}}"
        rf"(?:{_STREET})(?![a-z])",
    ),
    "date": Shape(
        "a date written with numbers: 3/4/2015, 03.04.15",
        r"(?<![0-9])\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?![0-9])",
    ),
    "handle": Shape(
        "a social-media handle: @some_name",
        r"(?<![\w.])@[a-z0-9_]{3,}",
    ),
    "quoted_words": Shape(
        "a few words in quotation marks: 'outstanding', \"consultation\"",
        r"(?<![a-z0-9])'[a-z][a-z\s-]{2,40}[a-z]'(?![a-z])|\"[a-z][a-z\s-]{2,40}[a-z]\""
        r"|“[a-z][a-z\s-]{2,40}[a-z]”",
    ),
    "low_rating": Shape(
        "a low mark: ★☆☆☆☆, 2/5, 1.5 out of 5, 3/10, two stars (not 'two stars for effort')",
        rf"(?:★{{1,2}}☆{{3,4}}|(?<![a-z0-9£.])(?:{_LOW}|(?:zero|no|one|two|0|1|2)\s"
        r"(?:stars?|out\sof)(?!\s(?:for\s(?:the|effort)))))(?![0-9])",
    ),
    "good_rating": Shape(
        "a good mark: ★★★★☆, 4/5, 8 out of 10, four stars",
        rf"(?:★{{3,5}}☆{{0,2}}|(?<![a-z0-9£.])(?:{_GOOD}|(?:three|four|five|3|4|5)\sstars?))"
        r"(?![0-9])",
    ),
    "ends_88": Shape(
        "88 as the last thing in a post (a neo-Nazi code)",
        r"(?<![0-9])88(?=\s*$)",
    ),
    "c_word_twice": Shape(
        "the c-word twice in one sentence",
        r"(?:c[\*u]nt|c\*+nt)s?[^.]{0,80}(?:c[\*u]nt|c\*+nt)",
    ),
    "sarcastic_opener": Shape(
        "a post opening on praise cut short: 'Great.', 'Brilliant 🙄', 'Thanks Mr X.'",
        rf"(?<![a-z])(?:^|[.!?]\s)(?:{_SARCASTIC})\s?(?:\S+\s?)?[.…🙄🙃👏😒🤦]",
    ),
    "ll_or_d": Shape(
        "a word ending in 'll or 'd: she'll, they'd",
        r"(?:'ll|'d)(?![a-z])",
    ),
    "question_marks": Shape(
        "two question or exclamation marks: ??, ?!, ? ?",
        r"\?\s?[?!]",
    ),
    "question_mark": Shape("a question mark", r"\?"),
}
