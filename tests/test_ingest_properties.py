"""Any bytes at all either become a document whose sentence and passage offsets cut its text
exactly, in order, within bounds, also as stored, or are refused with UnreadableDocument."""

from __future__ import annotations

import codecs
import itertools
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.ingest import split
from qa.ingest.readers import UnreadableDocument, read_bytes
from qa.ingest.split import chunk_text
from tests.fakes import HashEmbedder

FAST = hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = st.sampled_from(
    ["The", "harbour", "reopened", "on", "3", "June.", "Mr.", "U.S.", "said", "\u00e9t\u00e9", "Z\u00fcrich", "\u4e2d\u6587",
     "\U0001f600", "1.", "2)", "e.g.", "...", "!", "?", "\u2026", "\u00a0", "\t", "\u200b"]
)
SEPARATORS = st.sampled_from([" ", "\n", "\r\n", "\r", "\n\n", "  ", "\n \n", "\x0c"])
PROSE = st.lists(st.tuples(WORDS, SEPARATORS), max_size=60).map(lambda parts: "".join(w + s for w, s in parts))
JUNK = st.sampled_from([b"\x00", b"\xff", b"\xfe", b"\x80", b"\xc3", b"\x1b", b"\x01", b"\x7f", b"\xef\xbb\xbf"])
BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE])
ENCODINGS = {
    b"": "utf-8", codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16-le",
    codecs.BOM_UTF16_BE: "utf-16-be", codecs.BOM_UTF32_LE: "utf-32-le",
}


@st.composite
def file_bytes(draw) -> bytes:
    """Prose in some encoding, with or without its mark, sometimes with junk bytes spliced in;
    or, now and then, bytes with no structure at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=400))
    bom = draw(BOMS)
    data = bytearray(draw(PROSE).encode(ENCODINGS[bom]))
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(data)))
        data[position:position] = draw(JUNK)
    return bom + bytes(data)


def html_of(text: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n"))
    return f"<html><head><title>T</title><script>var x = 1;</script></head><body>{paragraphs}</body></html>".encode()


def word_count(texts: list[str]) -> list[int]:
    return [max(1, len(text.split())) for text in texts]


def assert_offsets_cut_the_text(text: str, sentences, passages) -> None:
    previous_end = 0
    for sentence in sentences:
        assert 0 <= previous_end <= sentence.start < sentence.end <= len(text)
        piece = text[sentence.start : sentence.end]
        assert piece == piece.strip()
        previous_end = sentence.end
    for before, after in itertools.pairwise(passages):
        assert before.start <= after.start and before.end <= after.end
    for passage in passages:
        assert 0 <= passage.start < passage.end <= len(text)
        assert passage.start == sentences[passage.first_sentence].start
        assert passage.end == sentences[passage.last_sentence].end
    # nothing but whitespace lies outside the sentences
    outside = list(text)
    for sentence in sentences:
        outside[sentence.start : sentence.end] = [" "] * (sentence.end - sentence.start)
    assert "".join(outside).strip() == ""


@FAST
@given(file_bytes(), st.sampled_from(["txt", "md", "html"]), st.integers(1, 40))
def test_any_bytes_are_read_and_chunked_exactly_or_refused(data, fmt, max_tokens):
    try:
        raw = read_bytes("input", data, fmt)
    except UnreadableDocument as refusal:
        assert str(refusal).startswith("input: ") and "\n" not in str(refusal)
        return
    assert raw.text.strip() and "\x00" not in raw.text and "\r" not in raw.text
    assert raw.title and "\n" not in raw.title and len(raw.title) <= 200
    sentences, passages = chunk_text(raw.text, word_count, max_tokens, 1, raw.pages)
    assert sentences and passages
    assert_offsets_cut_the_text(raw.text, sentences, passages)


@FAST
@given(PROSE)
def test_prose_as_html_is_read_or_refused(text):
    try:
        raw = read_bytes("page", html_of(text), "html")
    except UnreadableDocument as refusal:
        assert "page: " in str(refusal)
        return
    assert "var x" not in raw.text
    sentences, passages = chunk_text(raw.text, word_count, 20, 1)
    assert_offsets_cut_the_text(raw.text, sentences, passages)


@hsettings(max_examples=150, deadline=None)
@given(st.one_of(st.text(min_size=1, max_size=300), PROSE), st.integers(5, 60))
def test_long_paragraphs_are_read_a_window_at_a_time_without_losing_text(text, window):
    """The splitter's windows (small here, so any text spans several) keep every offset exact."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(split, "_SEGMENT_WINDOW", window)
        sentences, passages = chunk_text(text, word_count, 10, 1)
    assert_offsets_cut_the_text(text, sentences, passages)
    for sentence in sentences:
        piece = text[sentence.start : sentence.end]
        # longer only where a list-number-like "20." was joined back to the piece it ends
        assert len(piece) <= window or re.search(r"\d{1,4}[.)]$", piece)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=file_bytes())
def test_stored_passages_are_the_text_they_point_at(data, settings, tmp_path):
    """Through the indexer and SQLite: each stored passage and sentence, cut by the database from
    the stored text, is the text Python cut at the same offsets (no NUL or lone surrogate breaks it)."""
    from qa.indexer import index_paths
    from qa.store.collection import Collection

    path = tmp_path / "input.txt"
    path.write_bytes(data)
    try:
        expected = read_bytes(str(path), data, "txt")
    except UnreadableDocument:
        expected = None
    report = index_paths(settings, HashEmbedder(), [str(path)])
    if expected is None:
        assert len(report.errors) == 1 and "input.txt" in report.errors[0]
        return
    assert report.errors == []
    collection = Collection.open_reader(settings)
    try:
        document = collection.find_document(str(path.resolve()))
        assert document is not None
        text = collection.document_text(document.id)
        assert text == expected.text
        passages = collection.passages(collection.document_passage_ids(document.id))
        assert passages
        for passage in passages.values():
            assert passage.text == text[passage.start : passage.end]
        stored = collection.sentences(document.id, 0, 10**9)
        assert stored
        for sentence in stored:
            assert sentence.text == text[sentence.start : sentence.end] == sentence.text.strip()
    finally:
        collection.close()
