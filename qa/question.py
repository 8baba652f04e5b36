"""Analyse a question once into a typed record that evidence, answerability and verification read.

The record holds what the rules need: the kind of fact asked for, whether a list or a yes/no is
wanted, the names and numbers the answer must be about, the dates it names (as periods), the
thing a "what is the X of" question asks for, and its content words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from qa.dates import Period, find_periods, numbers_in_dates
from qa.textmatch import (
    FUNCTION_WORDS,
    QUESTION_WORDS,
    REPORTING_WORDS,
    content_stems,
    digit_numbers,
    name_in,
    names,
    stem,
)

# The answer kind, from how the question opens.
_KIND_PATTERNS = [
    ("number", re.compile(r"^(how many|how much|how long|how old|how far|how big|how large|how high|how often"
                          r"|what (percentage|percent|share|number|amount|proportion|sum|total|tally|score|age)"
                          r"|by how much|at what (age|price|rate|cost)"
                          r"|what (was|were|is) the (\w+ ){0,2}(vote|tally|score|count|margin|toll|turnout))\b")),
    ("date", re.compile(r"^(when|what year|which year|in what year|on what (date|day)|what date|in which year"
                        r"|what day|which day|since when)\b")),
    ("person", re.compile(r"^(who|whom|whose)\b")),
]
# "What prisoner exchanges were agreed?", "Which judges blocked the ban?", "List ...", "Name the ...":
# a plural noun within the first words after which/what. Verbs in -s that follow "what" are not
# plural nouns ("What happens ...").
_S_VERBS = r"(?:happens|means|makes|causes|remains|says|counts|seems|looks|goes|does|is|was|has)"
_LIST = re.compile(
    rf"^(?:which|what)\b(?:\s+(?!{_S_VERBS}\b)[\w'’-]+){{0,2}}?\s+(?!{_S_VERBS}\b)[a-z]+(?<!ss)(?<!us)(?<!is)s\b(?!')"
    r"|^(?:list|name (?:the|all|some|every))\b"
)
# "How much did X pay / cost / earn", "how much money / compensation ...": asked for an amount of
# money, which a bare count ("nine months") does not answer.
_MONEY_QUESTION = re.compile(
    r"^(?:how much|what (?:amount|sum|price|fee|fine|salary))\b.*\b(?:pay|pays|paid|cost|costs|earn|earns|earned"
    r"|spend|spends|spent|money|compensation|prize|price|salary|wage|fee|fees|fine|fined|bail|tax|taxes|worth"
    r"|budget|donat\w*|pledg\w*|fund\w*|raise|raised)\b"
)
# "Who won the singles titles?", "Who were the winners?": a person question whose object is a
# plural noun in lower case asks for several people. "Who did the animals drive out?" (the plural
# is the subject) and "Who won at Indian Wells?" (a name) do not.
_DO_SUPPORT = "did|does|do|has|have|had|will|would|can|could|should"  # auxiliaries before a subject
_PEOPLE_LIST = re.compile(
    rf"^(?i:who|whom)\s+(?!(?:{_DO_SUPPORT})\b)(?:[a-z]+\s+)?"
    r"the\s+(?:[a-z]+\s+)?[a-z]+(?<![siu])s\b(?!')"
)
_AUXILIARIES = f"is|are|was|were|{_DO_SUPPORT}"
# "How many seats did Sinn Fein win?": the names between the auxiliary and the verb are who did
# what the number counts ("Mark Rutte's VVD", "Senator Chris Van Hollen's office").
_AGENT = re.compile(rf"^(?i:by\s+)?(?i:how\s+(?:many|much))\b.*?\b(?:{_DO_SUPPORT})\s+((?:[A-Z][\w.'’-]*\s+)+)[a-z]")
_YES_NO = re.compile(rf"^({_AUXILIARIES})\b")
# A question about what happened: a past auxiliary, or a past verb form, and nothing about what
# is to come. "-ed" words that are names or adjectives ("United", "armed") do no harm: the rule
# only matters when the question also names a date after an article was published.
_PAST = re.compile(
    r"\b(?:did|was|were|had|won|lost|held|made|took|gave|got|came|went|said|told|met|left|chose|beat"
    r"|became|began|fell|rose|paid|sold|bought|found|brought|kept|led|sent|spent|struck|fought|ran|\w+ed)\b"
)
_FUTURE = re.compile(r"\b(?:will|would|going to|expected|due|scheduled|planned|plans?|set to|to be)\b")
# How a question opens: a question word, an auxiliary ("Did ...") or a request ("List ...").
_ASKING = re.compile(rf"^(?:{'|'.join(sorted(QUESTION_WORDS))}|{_AUXILIARIES}|list|name|tell|explain|describe)\b")
_FOCUS = [
    re.compile(r"^(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:official\s+|first\s+|main\s+|full\s+)?([a-z]+)\s+(?:of|for|in)\b"),
    re.compile(r"^who\s+(?:is|was|were)\s+.+?'s\s+(?:first\s+|second\s+)?([a-z]+)\b"),
]
_POSSESSIVE = re.compile(r"['’]s$")
_HOW = re.compile(r"^\s*how\s+(?:many|much|long|old|far|big|large|high|often)\b", re.IGNORECASE)
# A run of capitalized words; a possessive ends it ("Jesse Klaver's GreenLeft" is two names).
_NAME_WORD = r"(?:[A-Z][\w.-]*(?:['’](?!s\b)[\w.-]+)*[\w]|[A-Z])"
_CAPITALIZED_RUN = re.compile(rf"{_NAME_WORD}(?:\s+(?:of\s+|de\s+|al-)?{_NAME_WORD})*(?:['’]s\b)?")


_UNIT_WORDS = {
    "long": "second minute hour day week month year decade",
    "old": "year age aged old",
    "often": "time times daily weekly monthly yearly",
    "far": "metre meter kilometre kilometer mile km",
}
_UNITS = {how: frozenset(stem(w) for w in units.split()) for how, units in _UNIT_WORDS.items()}

# "How many people were wounded ...?", "How many seats did Sinn Fein win?": the verb that says
# what the number counts, after the auxiliary and its subject.
_DETERMINERS = ("the", "a", "an", "his", "her", "its", "their")
_COUNTED_VERB = re.compile(
    r"^(?i:how\s+(?:many|much))\s+(?:[\w'’-]+\s+){0,4}?(?:were|was|are|is|did|do|does|have|has|had)\s+"
    rf"(?:(?:[A-Z][\w.'’-]*|{'|'.join(_DETERMINERS)})\s+)*(?:(?:party|office|government|team|club|side)\s+)?"
    r"(?:[a-z]+ly\s+|also\s+)?([a-z]+)\b"
)
# Verbs too general to say what was counted ("How many votes did he get?"): any asked word will do.
_LIGHT_VERBS = frozenset("get got take took have had make made do did be been receive received".split())
# The same count said with another word: "20 people were killed" / "20 dead" / "20 lives".
_SAME_COUNT = [
    frozenset("kill killed die died dead death deaths life lives fatal fatalities".split()),
    frozenset("wound wounded injure injured injury injuries hurt".split()),
]


def _how(text: str) -> str:
    match = _HOW.match(text)
    return match.group(0).split()[-1].lower() if match else ""


_ANY_YEAR = 2000  # completes "May 7" only to find it; the article's year decides which May 7

# The longest question, in characters. The embedder reads 256 word pieces (all-MiniLM-L6-v2's
# max_seq_length), about 1,000-1,300 characters of English: text past that never reaches the
# dense search. 1,500 holds a pasted paragraph of some 250 words, and is about 400 tokens of the
# answer model's, which leaves most of its 2,048-token context to the instructions, the quotes
# and the answer.
MAX_QUESTION_CHARS = 1500
_PREVIEW_CHARS = 60
# A message names at most 3 of several words or files, each cut at 20 characters: enough to see
# which ones are meant, short enough for one line.
_LISTED_ITEMS = 3
_LISTED_ITEM_CHARS = 20


def a_few(items: Sequence[str], quoted: bool = True, most: int = _LISTED_ITEMS) -> str:
    """The first `most` of `items` for a one-line message, then "..." if there are more."""
    shown = [f"'{preview(item, _LISTED_ITEM_CHARS)}'" if quoted else item for item in items[:most]]
    return ", ".join(shown) + (", ..." if len(items) > most else "")


def preview(text: str, limit: int = _PREVIEW_CHARS) -> str:
    """`text` on one line, cut at `limit` characters with a marker saying how much was left out:
    a huge question is never echoed back in full."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit].rstrip()}… [{len(flat) - limit:,} more characters]"


def question_problem(text: str, what: str = "the question", limit: int = MAX_QUESTION_CHARS) -> str | None:
    """Why `text` cannot be asked at all, as one line, or None: it is empty, longer than
    `limit`, or holds no letter or digit (only punctuation, symbols or emoji)."""
    if not text.strip():
        return f"{what} is empty"
    if len(text) > limit:
        return (f"{what} is {len(text):,} characters long; the limit is {limit:,} (about a paragraph),"
                " as the search reads no further: ask about one thing at a time")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        return f"{what} has no words, only punctuation or symbols ({preview(text, 20)}); ask in words"
    return None


def script_problem(text: str, what: str = "the question") -> tuple[str | None, str | None]:
    """(error, note) for free text with words in a script qa cannot match: an error when no word
    is left to match, else a note naming the words that are matched by meaning alone."""
    unmatched = unmatched_words(text)
    if not unmatched:
        return None, None
    shown = a_few(unmatched)
    latin = [w for w in re.findall(r"\w+", text) if w not in unmatched]
    if not latin:
        error = (f"{what} has no words qa can match ({shown}): its keyword search and answer rules read words in"
                 " the Latin alphabet only; write it in English")
        return error, None
    return None, f"note: {shown} cannot be matched as words (qa reads the Latin alphabet only); searched by meaning alone"


def unmatched_words(text: str) -> list[str]:
    """Words with letters outside the Latin alphabet ("Путин", "委员会"): qa's word rules read
    Latin-script words only, so these can be matched by no name, number or word of an article."""
    found = []
    for word in re.findall(r"\w+", text):
        if any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in word):
            found.append(word)
    return found


@dataclass(frozen=True)
class Entity:
    """A name in the question, e.g. ("Vladimir", "Putin"); found in a text by its last word (the
    surname, the country) or by every word."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def found_in(self, text: str) -> bool:
        head = self.words[-1]
        if name_in(text, head):
            return True
        # "Green Left" where the text writes "GreenLeft"
        return len(self.words) > 1 and (all(name_in(text, word) for word in self.words) or name_in(text, self.text))


@dataclass(frozen=True)
class Question:
    text: str
    kind: str | None  # number | date | person | None
    is_list: bool
    names_wanted: bool  # "which judges ...": each item of the answer is a name
    is_yes_no: bool
    entities: tuple[Entity, ...]
    numbers: frozenset[str]  # digits in the question that are not part of a date
    periods: tuple[Period, ...]
    undated: tuple[str, ...]  # a month and day with no year ("on May 7"), completed per article
    focus: str | None
    stems: frozenset[str]
    unmatched: tuple[str, ...] = ()  # words in another script, which no rule can match
    money: bool = False  # "how much did X pay / cost / earn": the answer is an amount of money
    past: bool = False  # "Who won ...", "What did X agree": asks what happened, not what is planned
    agents: tuple[Entity, ...] = ()  # "How many seats did Sinn Fein win?": whose number is asked for
    verb: frozenset[str] = frozenset()  # "How many people were wounded?": what the number counts (stems)

    @property
    def typed(self) -> bool:
        """Asks for a value of one kind (a number, a date, a person) or for names: "how many",
        "when", "who", "which judges"; not "why" or "what happened"."""
        return self.kind is not None or self.names_wanted

    @property
    def required(self) -> list[str]:
        """Names and numbers the question is specifically about, as shown in reasons."""
        return [entity.text for entity in self.entities] + sorted(self.numbers)

    @property
    def name_set(self) -> set[str]:
        return {word for entity in self.entities for word in entity.words}

    @property
    def event_stems(self) -> frozenset[str]:
        """What is asked about, beside whom: the content words that are not names, and the units
        a "how long" / "how old" answer comes in."""
        return (self.stems - {stem(word) for word in self.name_set}) | self.units

    @property
    def units(self) -> frozenset[str]:
        """The units a "how long" / "how old" answer comes in (hour, day, year ...)."""
        return _UNITS.get(_how(self.text), frozenset())


def answer_kind(text: str) -> str | None:
    lowered = text.lower().strip()
    for kind, pattern in _KIND_PATTERNS:
        if pattern.match(lowered):
            return kind
    return None


def focus_noun(text: str) -> str | None:
    """The thing a "what is the X of ..." / "who was Y's X" question asks for (name, currency, wife)."""
    lowered = text.lower().strip()
    for pattern in _FOCUS:
        match = pattern.match(lowered)
        if match and match.group(1) not in FUNCTION_WORDS:
            return match.group(1)
    return None


def entities(text: str, periods: tuple[Period, ...] = ()) -> tuple[Entity, ...]:
    """Runs of capitalized words that are names: "Vladimir Putin", "United States"; ordinary
    words that open the question ("What", "Did") and the months of its dates are left out."""
    in_dates = {word for period in find_periods(text, _ANY_YEAR) for word in re.findall(r"[A-Za-z]+", period.text)}
    wanted = names(text) - in_dates
    found: list[Entity] = []
    for match in _CAPITALIZED_RUN.finditer(text):
        words = tuple(_POSSESSIVE.sub("", w.strip("'’.-")) for w in re.split(r"\s+(?:of\s+|de\s+)?", match.group(0)) if w.strip("'’.-"))
        words = tuple(w for w in words if w in wanted)
        if words and Entity(words) not in found:
            found.append(Entity(words))
    return tuple(found)


def counted_verb(text: str) -> frozenset[str]:
    """The stems of the verb a count question asks about, with the words news uses for the same
    count; empty when there is none or it is a light verb ("get", "take")."""
    match = _COUNTED_VERB.match(text)
    if not match:
        return frozenset()
    verb = match.group(1)
    before = text[: match.start(1)].split()[-1].lower()
    if before.endswith(("'s", "’s")) or before in _DETERMINERS:  # "Baratov's bail set at", "the bill get": a noun first
        following = re.match(r"\s+([a-z]+)\b", text[match.end(1):])
        verb = following.group(1) if following else ""
    if not verb or verb in _LIGHT_VERBS | FUNCTION_WORDS | REPORTING_WORDS:
        return frozenset()
    for same in _SAME_COUNT:
        if verb in same:
            return frozenset(stem(w) for w in same)
    return frozenset({stem(verb)})


def agents(text: str, found: tuple[Entity, ...]) -> tuple[Entity, ...]:
    """Whose count or amount a "how many / how much ... did X <verb>" question asks for: the
    question's names between the auxiliary and the verb ("Jesse Klaver's GreenLeft": either)."""
    match = _AGENT.match(text)
    if not match:
        return ()
    run = set(re.findall(r"[\w.-]+", match.group(1)))
    return tuple(entity for entity in found if set(entity.words) <= run)


def is_question(text: str) -> bool:
    """Reads as a question: a question mark at the end, or a question's opening ("who", "did",
    "list")."""
    stripped = " ".join(text.split())
    return stripped.endswith("?") or bool(_ASKING.match(stripped.lower()))


def is_lookup(text: str, min_words: int) -> bool:
    """Text pasted to find the article it comes from (a sentence, a paragraph, a headline) rather
    than a question or a topic: not a question, at least `min_words`."""
    return not is_question(text) and len(text.split()) >= min_words


def analyze(text: str) -> Question:
    text = " ".join(text.split())
    periods = tuple(find_periods(text))
    in_dates = numbers_in_dates(text, _ANY_YEAR)
    without_dates = _HOW.sub(" ", text)  # "how long", "how many": the question's form, not its topic
    for period in find_periods(text, _ANY_YEAR):  # dates are matched as periods, not as words
        without_dates = without_dates.replace(period.text, " ")
    lowered = text.lower()
    kind = answer_kind(text)
    found = entities(text, periods)
    is_list = (bool(_LIST.match(lowered)) and kind is None) or (kind == "person" and bool(_PEOPLE_LIST.match(text)))
    return Question(
        text=text,
        kind=kind,
        is_list=is_list,
        names_wanted=kind == "person" or (kind is None and lowered.startswith("which")),
        is_yes_no=bool(_YES_NO.match(lowered)),
        entities=found,
        numbers=frozenset(digit_numbers(text) - in_dates),
        periods=periods,
        undated=tuple(p.text for p in find_periods(text, _ANY_YEAR) if p.precision == "day" and p.text not in
                      {q.text for q in periods}),
        focus=focus_noun(text),
        stems=frozenset(content_stems(without_dates) - {stem(w) for w in QUESTION_WORDS}),
        unmatched=tuple(unmatched_words(text)),
        money=kind == "number" and bool(_MONEY_QUESTION.match(lowered)),
        past=bool(_PAST.search(lowered)) and not _FUTURE.search(lowered),
        agents=agents(text, found) if kind == "number" else (),
        verb=counted_verb(text) if kind == "number" else frozenset(),
    )
