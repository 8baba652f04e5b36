"""Dates in questions and articles: find them, normalize them to periods, and compare periods.

A question's "in March 2017" is a period; so is an article's stored date (a day) and a dateline's
"March 17" (a day whose year comes from the article's date). Periods let the answerability check
tell a date the evidence leaves open (no veto) from one it contradicts (veto).

Finding date expressions is a small set of patterns compiled once (English months, days and
four-digit years between 1800 and 2099); turning a found expression into a date is python-dateutil's
parser, which handles the many orderings ("17 March 2017", "March 17, 2017", "2017-03-17").
Known misses: relative dates ("last March", "yesterday") are not resolved; a bare day number with
no month is ignored.
"""

from __future__ import annotations

import calendar
import datetime as dt
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

