"""Split document text into paragraphs, sentences and token-bounded passages, keeping offsets.

Every span is a half-open [start, end) range into the stored document text, so any sentence or
passage can be shown exactly as `text[start:end]` and located again later. Sentences are pysbd's,
found by the faster version of its segmenter in qa/ingest/segmenter.py, which returns exactly
what pysbd does.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.ingest.readers import PageSpan
from qa.ingest.segmenter import english_segmenter as _segmenter  # tests and benches swap in plain pysbd

_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    page: int | None = None


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    paragraph: int
    page: int | None = None


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs are blank-line separated blocks; in text with no blank lines, each line."""
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else re.compile(r"\n")
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in separator.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# pysbd's time grows with the square of the text it is given (a 100,000-character paragraph took
# 2.6 s, 200,000 took 10.9 s; a 10 MB line would take hours), so a longer paragraph is given to
# it a window at a time. Per window its abbreviation scan still grows faster than the window:
# on two 10-word vocabularies it read 200-260 thousand characters/s in windows of 2,000, but
# 100-250 thousand in windows of 5,000. Most paragraphs fit in one window and split exactly as
# before; longer ones split the same except where a sentence runs past 2,000 characters.
_SEGMENT_WINDOW = 2_000


def sentence_spans_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end], located by searching forward so offsets never go back.

    A paragraph longer than one window is read a window at a time; the last sentence of each
    window may run on past it, so it is read again at the head of the next. A window with no
    sentence break in it is cut at its last space: no reader or embedder can use a "sentence"
    that long (the embedder truncates far sooner).
    """
    spans: list[tuple[int, int]] = []
    while start < end:
        stop = min(end, start + _SEGMENT_WINDOW)
        found = _segment(text, start, stop)
        if stop == end:
            spans.extend(found)
            break
        if len(found) > 1:
            spans.extend(found[:-1])
            start = found[-1][0]
            continue
        space = max(text.rfind(separator, start + 1, stop) for separator in " \t\n")
        cut = space if space > start else stop
        spans.append(_trim(text, start, cut) or (start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return _closing_quotes_back(text, _rejoin_numbers(text, spans))


def _segment(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """pysbd's sentences of text[start:end] as trimmed spans, a long one split again if a stray
    quotation mark ran sentences together."""
    return [piece for span in _pysbd_spans(text, start, end) for piece in _unquoted(text, *span)]


def _pysbd_spans(text: str, start: int, end: int, block: str | None = None) -> list[tuple[int, int]]:
    """pysbd's sentences of `block` (by default text[start:end], else a same-length stand-in for
    it) as trimmed spans of text."""
    block = text[start:end] if block is None else block
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(block):
        piece = piece.strip()
        if not piece:
            continue
        found = block.find(piece, cursor)
        if found < 0:  # the segmenter altered the text; keep the rest as one sentence
            break
        spans.append((start + found, start + found + len(piece)))
        cursor = found + len(piece)
    rest = _trim(text, start + cursor, end)
    if rest:
        spans.append(rest)
    return spans


# pysbd never splits between two double quotation marks. News text often leaves one unmatched, or
# pairs a straight one with a curly one ("It is hard to imagine a worse choice,” Warren said.
# ...), and then every sentence up to the next mark becomes one: 908 of 89,273 sentences of the
# news archive ran past 600 characters. A sentence this long is read again with its quotation
# marks hidden; the usual sentence is left as pysbd gives it.
_LONG_SENTENCE = 400
_DOUBLE_QUOTE = re.compile(r"[\"“”]")
_HIDDEN_QUOTE = "\u2033"  # a double prime: no rule of pysbd's reads it, and it is one character too
_CLOSING_QUOTE = re.compile(r"[\"”]\s")


def _unquoted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= _LONG_SENTENCE or not _DOUBLE_QUOTE.search(text, start, end):
        return [(start, end)]
    return _pysbd_spans(text, start, end, _DOUBLE_QUOTE.sub(_HIDDEN_QUOTE, text[start:end]))


def _closing_quotes_back(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """pysbd starts a sentence with the mark that closes the one before ("students." Senate
    Democrats ...): the mark goes back to the sentence it closes."""
    spans = list(spans)
    for at in range(1, len(spans)):
        begin, stop = spans[at]
        before = spans[at - 1]
        if _CLOSING_QUOTE.match(text, begin) and before[1] == begin and text[before[1] - 1] in ".!?":
            rest = _trim(text, begin + 1, stop)
            if rest:
                spans[at - 1], spans[at] = (before[0], begin + 1), rest
    return spans


_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
_OPENS_WITH_NUMBER = re.compile(r"\d{1,4}[.)]\s")


def _rejoin_numbers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """pysbd reads "... on March 20. Committee Chairman ..." as a list item "20." opening a
    sentence and cuts "on March" off: the number goes back to the piece that does not end a
    sentence, and the rest stays a sentence of its own."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        number = _OPENS_WITH_NUMBER.match(text, start)
        if joined and number and not _ENDS_SENTENCE.search(text[joined[-1][0] : joined[-1][1]]):
            cut = start + len(number.group(0).rstrip())
            joined[-1] = (joined[-1][0], cut)
            rest = _trim(text, cut, end)
            if rest:
                joined.append(rest)
        else:
            joined.append((start, end))
    return joined


def split_sentences(text: str, pages: Sequence[PageSpan] = ()) -> list[Sentence]:
    sentences: list[Sentence] = []
    for paragraph, (start, end) in enumerate(paragraph_spans(text), start=1):
        for s_start, s_end in sentence_spans_in(text, start, end):
            sentences.append(Sentence(s_start, s_end, paragraph, page_at(pages, s_start)))
    return sentences


def page_at(pages: Sequence[PageSpan], offset: int) -> int | None:
    """The page holding offset; pages are in text order, so a binary search finds it (a
    2,000-page PDF has tens of thousands of sentences to place)."""
    index = bisect.bisect_right(pages, offset, key=lambda span: span.start) - 1
    if index >= 0 and offset < pages[index].end:
        return pages[index].page
    return None


def build_passages(
    sentences: Sequence[Sentence],
    token_counts: Sequence[int],
    max_tokens: int,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """Greedily pack sentences into passages of at most max_tokens, overlapping by whole sentences.

    A sentence longer than max_tokens becomes a passage of its own (the embedder truncates it).
    """
    if len(sentences) != len(token_counts):
        raise ValueError("one token count per sentence is required")
    passages: list[Passage] = []
    first = 0
    while first < len(sentences):
        last = first
        total = token_counts[first]
        while last + 1 < len(sentences) and total + token_counts[last + 1] <= max_tokens:
            last += 1
            total += token_counts[last]
        head = sentences[first]
        passages.append(Passage(head.start, sentences[last].end, first, last, head.paragraph, head.page))
        if last == len(sentences) - 1:
            break
        first = max(first + 1, last + 1 - overlap_sentences)
    return passages


def chunk_text(
    text: str,
    count_tokens: Callable[[list[str]], list[int]],
    max_tokens: int,
    overlap_sentences: int,
    pages: Sequence[PageSpan] = (),
) -> tuple[list[Sentence], list[Passage]]:
    sentences = split_sentences(text, pages)
    counts = count_tokens([text[s.start : s.end] for s in sentences]) if sentences else []
    return sentences, build_passages(sentences, counts, max_tokens, overlap_sentences)
