"""Word-level text matching shared by evidence selection, answerability and verification."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves said says say
    according however instead also there many much would could should may might one two
    did does do tell give name list describe explain happen happened""".split()
)
QUESTION_WORDS = frozenset("what when where who whom whose which why how".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALIZED = re.compile(r"\b[A-Z][A-Za-z'’\-]*[A-Za-z]|\b[A-Z]\b")
NUMBER_WORDS = {
    # "one" is left out: far more often a pronoun ("one of the") than a count
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100", "thousand": "1000",
}
MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match exchange/exchanges, agreed/agree, soldiers/soldier."""
    word = word.lower()
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def coverage(needles: set[str], haystack: set[str]) -> float:
    """Fraction of `needles` found in `haystack` (1.0 when there are no needles)."""
    if not needles:
        return 1.0
    return sum(1 for n in needles if n in haystack) / len(needles)


def normalize_number(token: str) -> str:
    token = token.replace(",", "")
    return token[:-2] if token.endswith(".0") else token


def numbers(text: str) -> set[str]:
    """Digits in the text, plus number words turned into digits ("twenty-three" -> "23")."""
    found = {normalize_number(n) for n in _NUMBER.findall(text)}
    lowered = text.lower()
    tens_values = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
    compound = re.compile(rf"\b({'|'.join(tens_values)})[- ](two|three|four|five|six|seven|eight|nine|one)\b")
    for tens, unit in compound.findall(lowered):
        found.add(str(tens_values[tens] + (1 if unit == "one" else int(NUMBER_WORDS[unit]))))
    lowered = compound.sub(" ", lowered)
    for word, digit in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", lowered):
            found.add(digit)
    return found


def digit_numbers(text: str) -> set[str]:
    return {normalize_number(n) for n in _NUMBER.findall(text)}


def names(text: str) -> set[str]:
    """Capitalized words that are not ordinary words at the start of a sentence."""
    found = set()
    for token in _CAPITALIZED.findall(text):
        token = token.strip("'’-")
        if token.lower() in STOPWORDS or token.lower() in QUESTION_WORDS or token == "I":
            continue
        found.add(token)
    return found


def contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text, flags=re.IGNORECASE) is not None


_DEMONYM_ENDINGS = ("n", "an", "ian", "ians", "ans", "ns", "s", "'s", "’s", "ese", "ish", "i")


def name_in(text: str, name: str) -> bool:
    """A name matches as a word, or as the same name with a demonym ending (Ukraine / Ukrainian,
    Russia / Russians); nothing looser, so an invented "Aldougad" does not pass for "Aldous"."""
    if contains_word(text, name) or contains_word(re.sub(r"(?<=[A-Z])\.", "", text), name.replace(".", "")):
        return True  # "US" matches "U.S."
    if len(name) < 4:
        return False
    wanted = name.lower()
    for word in {w.lower() for w in re.findall(r"[A-Za-z'’]{4,}", text) if w[:3].lower() == wanted[:3]}:
        shorter, longer = sorted((wanted, word), key=len)
        base = shorter[:-1] if shorter[-1] in "ae" else shorter
        if longer.startswith(base) and longer[len(base):] in ("",) + _DEMONYM_ENDINGS:
            return True
    return False
