"""Word-level text matching shared by evidence selection, answerability and verification.

Words are compared by their stem: simplemma's dictionary lemma first (it knows irregular forms:
"freed" -> "free", "fought" -> "fight", "said" -> "say"), then the Snowball English stemmer
("election" / "elected" -> "elect"). Both are small, well-kept, pure-Python packages that ship
their data in the wheel.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Set
from functools import lru_cache
from typing import Any

# --- word lists, by purpose ------------------------------------------------------------------

# Function words: carry no claim of their own.
FUNCTION_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself nor now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves may might must shall
    however instead many much""".split()
)
# Reporting verbs: "X said Y" claims Y; the attribution is checked through the name of X.
REPORTING_WORDS = frozenset("said says say according".split())
# Words that only ask ("tell me", "name the"), never part of an answer.
REQUEST_WORDS = frozenset("tell give name list describe explain happen happened".split())
# "no", "not", "never": kept out of content words but read by the negation rule in verify.
NEGATIONS = frozenset("no not never neither nor none nobody nothing nowhere without n't".split())
# Personal pronouns: a sentence that refers back to someone named before it ("They won 27 seats").
PRONOUNS = frozenset("he she they it his her their its him them".split())
# Titles and roles written with a capital ("President Trump", "Mr Blair"): not names of their own.
TITLE_WORDS = frozenset(
    """mr mrs ms dr sir president prime minister secretary senator sen rep gov governor king queen
    prince princess pope general gen chancellor mayor judge justice chief ambassador""".split()
)
STOPWORDS = FUNCTION_WORDS | REPORTING_WORDS | REQUEST_WORDS | NEGATIONS | frozenset({"one"})
QUESTION_WORDS = frozenset("what when where who whom whose which why how".split())

# "one" is left out: far more often a pronoun ("one of the") than a count.
NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
}
# How often and which in order are facts too: "only once" is not "46 times", "the second" not "the first".
COUNT_WORDS = {
    "once": "1", "twice": "2", "thrice": "3", "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th",
    "fifth": "5th", "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
}
_TENS = {word: int(digit) for word, digit in NUMBER_WORDS.items() if word.endswith("ty")}
_UNITS = {word: int(digit) for word, digit in NUMBER_WORDS.items() if len(digit) == 1} | {"one": 1}
MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)

# --- patterns, compiled once -----------------------------------------------------------------

# Hyphenated words are split ("two-and-a-half-hour" -> two, and, a, half, hour) so that a
# rewording with spaces matches; apostrophes stay inside words ("Putin's").
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_FRACTIONS = {"½": ".5", "¼": ".25", "¾": ".75"}
_FRACTION = re.compile(r"(\d+)\s?([½¼¾])")
MAGNITUDES = {"thousand": 1e3, "million": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_MAGNITUDE = re.compile(rf"(\d+(?:[.,]\d+)*)\s*({'|'.join(MAGNITUDES)})\b")
_CAPITALIZED = re.compile(r"\b[A-Z][A-Za-z'’\-]*[A-Za-z]|\b[A-Z]\b")
_COMPOUND_NUMBER = re.compile(rf"\b({'|'.join(_TENS)})[- ]({'|'.join(_UNITS)})\b")
_NUMBER_WORD = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b")
_NUMBER_WORD_BEFORE_MAGNITUDE = re.compile(
    rf"\b({'|'.join(w for w in NUMBER_WORDS if w not in ('hundred', 'thousand'))})\s+(thousand|million|billion|trillion)\b"
)
_AND_A_PART = re.compile(rf"\b(\d+|{'|'.join(_UNITS)}|{'|'.join(_TENS)})[- ]and[- ]a[- ](half|quarter)\b")
_COUNT_WORD = re.compile(rf"\b({'|'.join(COUNT_WORDS)})\b")
_INITIALS_DOT = re.compile(r"(?<=[A-Z])\.")
_POSSESSIVE = re.compile(r"['’]s$")
_DEMONYM_ENDINGS = ("n", "an", "ian", "ians", "ans", "ns", "s", "'s", "’s", "ese", "ish", "i")


_KEY_WORD = re.compile(r"\w+")


def text_key(text: str) -> int:
    """A passage's words, lowercased and without punctuation, hashed to a signed 64-bit integer
    (an SQLite INTEGER): equal for copies of one passage that differ only in case, spacing, quote
    marks or punctuation, as syndicated articles do."""
    normalized = " ".join(_KEY_WORD.findall(text.lower()))
    return int.from_bytes(hashlib.blake2b(normalized.encode(), digest_size=8).digest(), "big", signed=True)


def words(text: str) -> list[str]:
    return [w.lower().strip("'’") for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The comparable form of a word: number words as digits, else Snowball(lemma)."""
    word = word.lower()
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    if word[:1].isdigit():
        return normalize_number(word)
    return _stemmer().stemWord(_lemma(word))


@lru_cache(maxsize=1)
def _stemmer() -> Any:  # snowballstemmer has no type information
    import snowballstemmer

    return snowballstemmer.stemmer("english")


# Past tenses simplemma leaves as they are (each is also a noun or an adjective: "the won",
# "a shot"); read as the verb, the sense news uses them in.
_LEMMA_OVERRIDES = {"won": "win", "broke": "break", "felt": "feel", "shook": "shake", "shot": "shoot", "left": "leave"}


def _lemma(word: str) -> str:
    import simplemma

    return _LEMMA_OVERRIDES.get(word) or simplemma.lemmatize(word, lang="en").lower()


def doer_nouns(word: str) -> set[str]:
    """The nouns for who does what `word` says: "composed" -> composer(s), "reported" ->
    reporter(s); "murdered" gives "murderer", never "murder"."""
    base = _lemma(word.lower())
    return {base + ending for ending in (("r", "rs") if base.endswith("e") else ("er", "ers"))}


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def content_sequence(text: str) -> list[str]:
    return [stem(w) for w in content_words(text)]


def coverage(needles: Set[str], haystack: Set[str]) -> float:
    """Fraction of `needles` found in `haystack` (1.0 when there are no needles)."""
    if not needles:
        return 1.0
    return sum(1 for n in needles if n in haystack) / len(needles)


def normalize_number(token: str) -> str:
    token = token.replace(",", "")
    return token[:-2] if token.endswith(".0") else token


def _scaled(number: str, magnitude: str) -> str:
    value = float(number.replace(",", "")) * MAGNITUDES[magnitude.lower()]
    return str(int(value)) if value == int(value) else str(value)


def _plus_part(whole: str, part: str) -> str:
    value = (int(whole) if whole.isdigit() else (_UNITS | _TENS)[whole]) + {"half": 0.5, "quarter": 0.25}[part]
    return str(value)


def numbers(text: str) -> set[str]:
    """Numbers in the text as digits: "twenty-three" -> "23", "21½" -> "21.5", "6.3 million" and
    "6,300,000" -> "6300000", "seven thousand" -> "7000"."""
    text = _FRACTION.sub(lambda m: m.group(1) + _FRACTIONS[m.group(2)], text)
    lowered = text.lower()
    for tens, unit in _COMPOUND_NUMBER.findall(lowered):
        lowered = lowered.replace(f"{tens}-{unit}", str(_TENS[tens] + _UNITS[unit])).replace(
            f"{tens} {unit}", str(_TENS[tens] + _UNITS[unit]))
    lowered = _AND_A_PART.sub(lambda m: _plus_part(m.group(1), m.group(2)), lowered)
    lowered = _NUMBER_WORD_BEFORE_MAGNITUDE.sub(lambda m: NUMBER_WORDS[m.group(1)] + " " + m.group(2), lowered)
    found = {_scaled(m.group(1), m.group(2)) for m in _MAGNITUDE.finditer(lowered)}
    lowered = _MAGNITUDE.sub(" ", lowered)
    found |= {normalize_number(n) for n in _NUMBER.findall(lowered)}
    found.update(NUMBER_WORDS[word] for word in _NUMBER_WORD.findall(lowered))
    found.update(COUNT_WORDS[word] for word in _COUNT_WORD.findall(lowered))
    return found


def digit_numbers(text: str) -> set[str]:
    return {normalize_number(n) for n in _NUMBER.findall(text)}


def names(text: str) -> set[str]:
    """Capitalized words that are not ordinary words at the start of a sentence."""
    found = set()
    for token in _CAPITALIZED.findall(text):
        token = _POSSESSIVE.sub("", token.strip("'’-"))
        lowered = token.lower()
        if lowered in STOPWORDS or lowered in QUESTION_WORDS or lowered in TITLE_WORDS or token == "I":
            continue
        found.add(token)
    return found


def contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text, flags=re.IGNORECASE) is not None


# An all-capitals name of 2-5 letters may be an acronym of capitalized words ("UN", "NATO", "OPEC").
ACRONYM_LETTERS = (2, 5)
# Shorter names match only as written: a demonym ending on three letters ("Ira" / "Iran") is noise.
FUZZY_NAME_LETTERS = 4


@lru_cache(maxsize=4096)
def fold_accents(text: str) -> str:
    """"Beyoncé" -> "Beyonce", "Dáil" -> "Dail": a question typed without accents names the same
    person or place. Text without accents is returned as it is."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# What a decoder writes for bytes it could not read: archives converted with the wrong encoding
# hold "Beyonc\ufffd\ufffd" and "T\ufffdnaiste", one or more of them where one accented letter was.
REPLACEMENT = "\ufffd"


def _with_lost_letters(text: str, name: str) -> bool:
    """The name in a text where lost characters stand for one of its letters: "Beyonce" in
    "Beyonc\ufffd\ufffd". One letter only, and in a name of FUZZY_NAME_LETTERS or more, so that
    lost characters alone never spell a name."""
    if len(name) < FUZZY_NAME_LETTERS:
        return False
    spellings = "|".join(re.escape(name[:i]) + f"{REPLACEMENT}+" + re.escape(name[i + 1:]) for i in range(len(name)))
    return re.search(rf"(?<![A-Za-z0-9])(?:{spellings})(?![A-Za-z0-9])", text, flags=re.IGNORECASE) is not None


def name_in(text: str, name: str) -> bool:
    """A name matches as a word, or as the same name with a demonym ending (Ukraine / Ukrainian,
    Russia / Russians); nothing looser, so an invented "Aldougad" does not pass for "Aldous".
    Accents are ignored, and a character the archive lost may stand for any one letter."""
    text, name = fold_accents(text), fold_accents(name)
    if REPLACEMENT in text and _with_lost_letters(text, name):
        return True
    if contains_word(text, name) or contains_word(_INITIALS_DOT.sub("", text), name.replace(".", "")):
        return True  # "US" matches "U.S."
    if name.isupper() and ACRONYM_LETTERS[0] <= len(name) <= ACRONYM_LETTERS[1] and name in _acronyms(text):
        return True  # "UN" for "United Nations"
    if _written_apart(text, name):
        return True  # "GreenLeft" for "Green Left"
    if len(name) < FUZZY_NAME_LETTERS:
        return False
    wanted = name.lower()
    candidates = {_POSSESSIVE.sub("", w).lower() for w in re.findall(r"[A-Za-z'’]{4,}", text)}
    for word in {w for w in candidates if w[:3] == wanted[:3]}:
        shorter, longer = sorted((wanted, word), key=len)
        base = shorter[:-1] if shorter[-1] in "ae" else shorter
        if longer.startswith(base) and longer[len(base):] in ("",) + _DEMONYM_ENDINGS:
            return True
    return False


_CAPITALIZED_PART = re.compile(r"[A-Z][a-z]+")
_CLOSED_UP_WORDS = 3  # "Green Left", "La Liga Santander": longer runs are phrases, not one closed-up name


def _written_apart(text: str, name: str) -> bool:
    """A name closed up from capitalized words ("GreenLeft", "LaLiga") that the text writes as
    separate words or with a hyphen ("Green Left", "La-Liga"), in the same order; or the reverse,
    two or three words the text writes as one ("Green Left" for "GreenLeft")."""
    parts = _CAPITALIZED_PART.findall(name)
    if len(parts) > 1 and "".join(parts) == name:
        return re.search(r"\b" + r"[\s-]?".join(map(re.escape, parts)) + r"\b", text) is not None
    words = name.split()
    if 1 < len(words) <= _CLOSED_UP_WORDS and all(_CAPITALIZED_PART.fullmatch(w) for w in words):
        return contains_word(text, "".join(words))
    return False


def _acronyms(text: str) -> set[str]:
    """The initials of every run of capitalized words: "United Nations" -> "UN"."""
    runs = re.findall(r"[A-Z][a-z]+(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][a-z]+)+", text)
    return {"".join(w[0] for w in run.split() if w[0].isupper()) for run in runs}
