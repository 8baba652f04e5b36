"""Parse a generated answer into sentences with citation markers; pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# no split after initials or titles ("U.S. President", "Jay Y. Lee", "Mr. Smith")
_BOUNDARY = re.compile(
    r"(?<!\b[A-Z]\.[A-Z]\.)(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)"
    r"(?<=[.!?\]])\s+(?=[\"“'(]?[A-Z0-9])|\n+"
)
# What a model puts before a sentence: a list mark, "Answer:", "The answer to this question is:".
_LIST_PREFIX = re.compile(
    r"^\s*(?:[-*•]|\d+[.)]|(?:the |my )?answer(?: to (?:this|the|your) question)?(?: is)?\s*:|quote\s*\d+\s*:)\s*",
    re.IGNORECASE,
)
# What bigger models add about the prompt itself: "..., according to quote number 1", "(n)".
_QUOTE_REFERENCE = re.compile(
    r",?\s*(?:(?:according to|as (?:stated|evidenced|shown) (?:in|by)|as per|from|in|see)\s+)?quote(?: number)?\s*\d+"
    r"|\s*\(n\)|\s*\[n\]",
    re.IGNORECASE,
)


@dataclass
class AnswerSentence:
    text: str
    citations: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # cited ids that do not exist

    def with_markers(self) -> str:
        return with_markers(self.text, self.citations)


def with_markers(text: str, citations: list[int]) -> str:
    """A sentence as shown in an answer, e.g. 'Text. [1] [3]'."""
    return text + "".join(f" [{n}]" for n in citations)


def quote(text: str) -> str:
    """An evidence sentence shown verbatim (whitespace folded) in an extractive answer."""
    return f"“{' '.join(text.split())}”"


def without_lead_in(sentence: str) -> str:
    """The sentence without what a model puts before it ("- ", "The answer to this question is: ")."""
    return _LIST_PREFIX.sub("", sentence).strip()


def split_answer(raw: str) -> list[str]:
    """Split generated text into sentences; a citation marker stays with the sentence before it."""
    pieces = []
    for piece in _BOUNDARY.split(raw.strip()):
        piece = without_lead_in(piece)
        if piece:
            pieces.append(piece)
    # a marker alone on a line belongs to the sentence before it
    merged: list[str] = []
    for piece in pieces:
        if merged and MARKER.fullmatch(piece):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def parse_answer(raw: str, valid_ids: set[int]) -> list[AnswerSentence]:
    """Sentences with their cited ids; ids not in `valid_ids` are dropped (and recorded)."""
    sentences: list[AnswerSentence] = []
    for piece in split_answer(raw):
        cited: list[int] = []
        for group in MARKER.findall(piece):
            for number in re.split(r"\s*[,;]\s*", group):
                if int(number) not in cited:
                    cited.append(int(number))
        text = _QUOTE_REFERENCE.sub("", MARKER.sub("", piece))
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
        if not re.search(r"\w", text):
            continue
        sentences.append(
            AnswerSentence(
                text=text,
                citations=[n for n in cited if n in valid_ids],
                dropped=[n for n in cited if n not in valid_ids],
            )
        )
    return sentences


_SPACED_ABBREVIATION = re.compile(r"\b((?:[A-Z]\.)*[A-Z][a-z]{0,3})\. (?=([A-Z][\w'’-]*))")


_GROUPED_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")


def respace(text: str, sources: list[str]) -> str:
    """Put back the space after an abbreviation ("St.Louis" -> "St. Louis") where the sources
    write it so. The answer grammar lets a full stop be followed only by a non-space (that is how
    it keeps one citation per sentence), so the model writes abbreviations without the space.
    Take out the space a model puts inside a number the sources write with thousands separators
    ("100, 000 people" -> "100,000 people"), which would otherwise read as two numbers."""
    for source in sources:
        for match in _SPACED_ABBREVIATION.finditer(source):
            squeezed = f"{match.group(1)}.{match.group(2)}"
            if squeezed in text:
                text = text.replace(squeezed, f"{match.group(1)}. {match.group(2)}")
        for number in _GROUPED_NUMBER.findall(source):
            spaced = number.replace(",", ", ")
            text = re.sub(rf"(?<![\d,]){re.escape(spaced)}(?![\d])", number, text)
    return text
