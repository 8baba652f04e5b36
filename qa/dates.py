"""Dates in questions and articles: find them, normalize them to periods, and compare periods.

A question's "in March 2017" is a period; so is an article's stored date (a day) and a dateline's
"March 17" (a day whose year comes from the article's date). Periods let the answerability check
tell a date the evidence leaves open (no veto) from one it contradicts (veto).

Finding date expressions is a small set of patterns compiled once (English months, days and
four-digit years between 1800 and 2099); turning a found expression into a date is python-dateutil's
parser, which handles the many orderings ("17 March 2017", "March 17, 2017", "2017-03-17").
A day named relative to the article ("on Sunday", "yesterday") is resolved against the article's
stored date for date questions (`day_named`). Known misses: other relative dates ("last March",
"last week") are not resolved; a bare day number with no month is ignored.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_YEAR = r"(?:18|19|20)\d{2}"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# Most specific first; "May" only counts as a month when capitalized (the verb "may" is not).
_PATTERNS = [
    ("day", re.compile(rf"\b{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b")),
    ("day", re.compile(rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+{_YEAR}\b")),
    ("day", re.compile(rf"\b(?:{_MONTHS})\.?\s+{_DAY},?\s+{_YEAR}\b")),
    ("month", re.compile(rf"\b(?:{_MONTHS})\.?,?\s+(?:of\s+)?{_YEAR}\b")),
    ("partial-day", re.compile(rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\b\.?")),
    ("partial-day", re.compile(rf"\b(?:{_MONTHS})\.?\s+{_DAY}\b(?!\s*(?:%|per\s?cent))")),
    # a year, also in a range ("2009-2015"); not part of a longer number, an amount or a percentage
    ("year", re.compile(rf"(?<![\d.,$£€]){_YEAR}(?![\d%]|\.\d|,\d|-\d{{1,2}}\b)")),
]


@dataclass(frozen=True)
class Period:
    """A closed range of days, with the precision it was stated in."""

    start: dt.date
    end: dt.date
    precision: str  # day | month | year
    text: str = ""

    def overlaps(self, other: "Period", grace_days: int = 0) -> bool:
        return self.start <= other.end + dt.timedelta(days=grace_days) and other.start <= self.end

    def contains_report_of(self, published: dt.date, grace_days: int) -> bool:
        """Could an article published on `published` report on this period? From the period's
        start to `grace_days` after its end."""
        return self.start <= published <= self.end + dt.timedelta(days=grace_days)


def _period(text: str, precision: str, default_year: int | None) -> Period | None:
    from dateutil import parser

    cleaned = re.sub(r"\bof\b|(?<=\d)(st|nd|rd|th)\b", " ", text).replace(",", " ").strip(" .")
    try:
        if precision == "year":
            year = int(cleaned)
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", text)
        if precision == "partial-day":
            if default_year is None:
                return None
            day = parser.parse(cleaned, default=dt.datetime(default_year, 1, 1)).date()
            return Period(day, day, "day", text)
        if precision == "month":
            first = parser.parse(cleaned, default=dt.datetime(2000, 1, 1)).date().replace(day=1)
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            return Period(first, last, "month", text)
        day = parser.parse(cleaned).date()
        return Period(day, day, "day", text)
    except (ValueError, OverflowError):
        return None


def numbers_in_dates(text: str, year: int | None = None) -> set[str]:
    """The digits that are part of a date in `text` ("2017" and "17" of "March 17, 2017"): a year
    is when, not how many. `year` as for `find_periods`."""
    from qa.textmatch import digit_numbers

    return {n for period in find_periods(text, year) for n in digit_numbers(period.text)}


def find_periods(text: str, year: int | None = None) -> list[Period]:
    """Every date expression in `text`, most specific reading first, each span used once.

    `year` completes a month and day with no year ("DONETSK, March 17."); without it those are
    skipped."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Period]] = []
    for precision, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            period = _period(match.group(0), precision, year)
            if period is not None:
                taken.append(span)
                found.append((span[0], period))
    return [period for _, period in sorted(found, key=lambda item: item[0])]


def parse_stored_date(value: str | None) -> dt.date | None:
    """An article's stored date ("2017-03-17", "2017-03-17T10:00:00Z") as a day, or None."""
    if not value:
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None



# The days of the week in calendar order, lower-case: `date.weekday()` indexes them.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORD = re.compile(rf"\b(?:{'|'.join(WEEKDAYS)}|yesterday|today)\b", re.IGNORECASE)
# "will meet on Friday", "is due to sign on Monday": before the day's name, these put the day
# ahead of the article, not behind it
_AHEAD = re.compile(r"\b(?:will|would|shall|due to|set to|expected to|is to|are to|next)\b", re.IGNORECASE)


def day_named(sentence: str, published: dt.date) -> tuple[str, dt.date] | None:
    """The day a news sentence names by its weekday or as "yesterday" / "today", as a date, counted
    from the article's date: "on Sunday" in an article of Monday 13 February 2017 is 12 February;
    "will sign on Friday" is the Friday after. None when the sentence names no such day, or more
    than one different day."""
    matches = list(_DAY_WORD.finditer(sentence))
    found = {m.group(0).lower() for m in matches}
    if len(found) != 1:
        return None
    word = found.pop()
    if word == "today":
        return word, published
    if word == "yesterday":
        return word, published - dt.timedelta(days=1)
    wanted = WEEKDAYS.index(word)
    if _AHEAD.search(sentence[: matches[0].start()]):  # "He said on Monday he would resign": Monday is behind
        return word, published + dt.timedelta(days=(wanted - published.weekday()) % 7)
    return word, published - dt.timedelta(days=(published.weekday() - wanted) % 7)


# ----- dates the user types (--since / --until) ------------------------------------------------

BOUND_FORMATS = "2017-03-17, 2017-03, 2017, 'March 2017', '17 March 2017' or 'March 17, 2017'"
_NUMERIC_BOUND = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_bound(text: str) -> Period | None:
    """A date typed for --since / --until as the period it names: a day, a whole month or a whole
    year. None when `text` is not one of BOUND_FORMATS (relative dates are not guessed)."""
    text = " ".join(text.split())
    match = _NUMERIC_BOUND.fullmatch(text)
    try:
        if match:
            year, month, day = int(match[1]), match[2], match[3]
            if not dt.MINYEAR <= year <= dt.MAXYEAR:
                return None
            if day:
                found = dt.date(year, int(month), int(day))
                return Period(found, found, "day", text)
            if month:
                first = dt.date(year, int(month), 1)
                return Period(first, first.replace(day=calendar.monthrange(year, first.month)[1]), "month", text)
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", text)
    except ValueError:
        return None
    periods = find_periods(text)
    # the whole text must be one date: "March 2017", not "sometime around March 2017"
    if len(periods) == 1 and periods[0].text.strip(" .,") == text.strip(" .,"):
        return periods[0]
    return None


# ----- an article's own date in its text -------------------------------------------------------

# A date line is looked for this far into an article: past a headline, a subtitle and a byline.
_HEAD_LINES = 12
HEAD_CHARS = 2000
# "Published: ...", "Updated on ...", front matter "date: ..."
_LABEL = re.compile(
    r"(?:first\s+)?(?:published|posted|dated?|updated|last\s+updated|modified)\s*(?:on|at)?\s*[:\-–—]?\s*", re.I
)
# "By Jane Doe | March 17, 2017", "By Jane Doe, Reuters, 17 March 2017"
_BYLINE = re.compile(r"by\s+[^|•·\n]{1,80}?\s*[|•·,–—-]\s*", re.I)
# a dateline: a city in capitals, maybe its country and an agency, then the date:
# "DONETSK, March 17, 2017 —", "KYIV, Ukraine (Reuters) - 17 March 2017"
_DATELINE = re.compile(r"[A-Z][A-Z.'\- ]{1,40}(?:,\s*[A-Z][A-Za-z. ]{1,30})?\s*(?:\([^()\n]{1,40}\))?\s*[,:–—-]\s*")
_WEEKDAY = re.compile(r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+")
# what may follow a date on a line of its own: a time and a time zone, "2017-03-17T10:42:00Z"
_TIME_REST = re.compile(
    r"[\s,.|·•@-]*(?:(?:at\s+)?T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?\s*"
    r"(?:Z|[A-Z]{2,5}|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?)?)?\s*",
    re.I,
)


_ISO_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})(?=T\d|\b)")


def date_in_text(text: str) -> dt.date | None:
    """The article's date from a date line near its top, or None.

    A date line is a line that is only a day ("March 17, 2017", "2017-03-17 10:42 UTC"), or a day
    after a label ("Published: ...", front matter "date: ..."), a byline ("By Jane Doe | ...") or
    a dateline ("DONETSK, March 17, 2017 — ..."). A day anywhere else in a sentence is what the
    article is about, not when it was written ("Abraham Lincoln (February 12, 1809 – ...)"), and
    is never taken. Only full days with a year count."""
    lines = [line.strip().lstrip("#*_> ").strip() for line in text[:HEAD_CHARS].splitlines()]
    for line in [line for line in lines if line and line != "---"][:_HEAD_LINES]:
        found = _line_date(line)
        if found is not None:
            return found
    return None


def _line_date(line: str) -> dt.date | None:
    rest, prefixed = line, False
    for prefix in (_LABEL, _BYLINE, _DATELINE):
        match = prefix.match(rest)
        if match and match.end() < len(rest):
            rest, prefixed = rest[match.end() :], True
            break
    weekday = _WEEKDAY.match(rest)
    if weekday:
        rest = rest[weekday.end() :]
    iso = _ISO_STAMP.match(rest)
    if iso:  # "2017-03-17T10:42:00Z": no word boundary before the T for the day pattern
        day = parse_stored_date(iso[1])
        return day if day is not None and (prefixed or _TIME_REST.fullmatch(rest[iso.end(1) :])) else None
    periods = find_periods(rest[:40])
    if not periods or periods[0].precision != "day" or not rest.startswith(periods[0].text):
        return None
    after = rest[len(periods[0].text) :]
    if prefixed or _TIME_REST.fullmatch(after):
        return periods[0].start
    return None


def file_date(path: str | os.PathLike) -> dt.date | None:
    """The day a file was last modified (local time), or None when it cannot be read."""
    try:
        return dt.date.fromtimestamp(os.stat(path).st_mtime)
    except (OSError, ValueError, OverflowError):
        return None
