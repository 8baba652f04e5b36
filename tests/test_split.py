import itertools

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.ingest.split import build_passages, chunk_text, paragraph_spans, split_sentences
from tests.conftest import SEEDS

WORDS = st.sampled_from(
    ["Putin", "said", "U.S.", "Mr.", "175", "prisoners", "3.5", "war", "e.g.", "the", "Kyiv", "–", "«quote»", "ok"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=12).map(lambda words: " ".join(words)) .flatmap(
    lambda body: st.sampled_from([".", "!", "?", "", "..."]).map(lambda end: body + end)
)
SEPARATOR = st.sampled_from([" ", "  ", "\n", "\n\n", "\n \n", "\t", "\r\n"])
TEXT = st.lists(st.tuples(SENTENCE, SEPARATOR), max_size=30).map(
    lambda parts: "".join(sentence + separator for sentence, separator in parts)
)


def word_count(texts):
    return [len(text.split()) for text in texts]


@hsettings(max_examples=150, deadline=None)
@given(TEXT, st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2))
def test_every_span_is_exact_text(text, max_tokens, overlap):
    sentences, passages = chunk_text(text, word_count, max_tokens, overlap)
    previous_end = 0
    for sentence in sentences:
        piece = text[sentence.start : sentence.end]
        assert piece and piece == piece.strip()
        assert sentence.start >= previous_end
        previous_end = sentence.end
    for passage in passages:
        assert text[passage.start : passage.end] == text[passage.start : passage.end].strip()
        assert passage.start == sentences[passage.first_sentence].start
        assert passage.end == sentences[passage.last_sentence].end
    # every sentence belongs to at least one passage, in order
    covered = set()
    for passage in passages:
        covered.update(range(passage.first_sentence, passage.last_sentence + 1))
    assert covered == set(range(len(sentences)))
    # nothing but whitespace is left out of the sentences
    outside = list(text)
    for sentence in sentences:
        outside[sentence.start : sentence.end] = [" "] * (sentence.end - sentence.start)
    assert "".join(outside).strip() == ""


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=40), st.integers(5, 60), st.integers(0, 2))
def test_passages_respect_budget_and_overlap(counts, max_tokens, overlap):
    from qa.ingest.split import Sentence

    sentences = [Sentence(i * 10, i * 10 + 5, 1) for i in range(len(counts))]
    passages = build_passages(sentences, counts, max_tokens, overlap)
    for passage in passages:
        size = sum(counts[passage.first_sentence : passage.last_sentence + 1])
        assert size <= max_tokens or passage.first_sentence == passage.last_sentence
    for before, after in itertools.pairwise(passages):
        shared = before.last_sentence - after.first_sentence + 1
        assert after.first_sentence > before.first_sentence
        assert 0 <= shared <= overlap
    assert passages[-1].last_sentence == len(counts) - 1


def test_seed_article_sentences():
    text = next(SEEDS.glob("*.txt")).read_text()
    sentences = split_sentences(text)
    pieces = [text[s.start : s.end] for s in sentences]
    assert "Kyiv • UNN" in pieces  # a line without a full stop is a sentence of its own
    assert any(p.startswith("Putin said Russia would release 23 seriously wounded") for p in pieces)
    assert all(not p.startswith(("Mr.", "S.")) for p in pieces)


def test_paragraphs_by_blank_lines_when_present():
    text = "Title\n\nFirst line\ncontinues here.\n\nSecond paragraph."
    spans = paragraph_spans(text)
    assert [text[a:b] for a, b in spans] == ["Title", "First line\ncontinues here.", "Second paragraph."]


def test_paragraphs_by_lines_otherwise():
    text = "One.\nTwo.\n  \nThree."
    assert len(paragraph_spans("One.\nTwo.\nThree.")) == 3
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["One.\nTwo.", "Three."]


def test_number_at_a_sentence_end_stays_with_its_sentence():
    # pysbd alone cuts "on March" from "20." (read as a numbered list item)
    text = (
        "Hearings\nThe committee will begin hearings for the nominee, Neil Gorsuch, on March 20. Committee"
        " Chairman Chuck Grassley made the announcement on Thursday. Questioning will begin on March 21. The"
        " hearing is the first step."
    )
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert "The committee will begin hearings for the nominee, Neil Gorsuch, on March 20." in pieces
    assert "Committee Chairman Chuck Grassley made the announcement on Thursday." in pieces
    assert "Questioning will begin on March 21." in pieces


def test_pysbd_is_never_given_more_than_a_window(monkeypatch):
    """pysbd's time grows with the square of its input: a long paragraph is fed a window at a time."""
    from qa.ingest import split

    given_lengths = []
    segmenter = split._segmenter()
    monkeypatch.setattr(split, "_segmenter", lambda: type("Recording", (), {"segment": lambda self, block: (
        given_lengths.append(len(block)) or segmenter.segment(block))})())
    sentence = "The harbour reopened on 3 June after repairs to the north wall. "
    text = sentence * 300  # 19,500 characters in one paragraph
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert max(given_lengths) <= split._SEGMENT_WINDOW < len(text)
    assert pieces == [sentence.strip()] * 300  # the windows' seams cut no sentence


def test_a_line_without_sentence_breaks_is_cut_at_spaces(monkeypatch):
    from qa.ingest import split

    monkeypatch.setattr(split, "_SEGMENT_WINDOW", 50)
    text = "harbour  wall   ferry " * 40 + "x" * 120
    sentences = split_sentences(text)
    pieces = [text[s.start : s.end] for s in sentences]
    assert all(piece == piece.strip() and len(piece) <= 50 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert pieces[-1] == "x" * 20  # no space at all: cut at the window's end


def test_a_stray_quotation_mark_does_not_run_sentences_together():
    """pysbd never splits between two double quotation marks; a straight mark closed by a curly one
    made one 'sentence' of everything up to the next mark (908 of the news archive's sentences ran
    past 600 characters)."""
    text = (
        '"It is hard to imagine a worse choice,” Senator Warren said before she read letters from voters. '
        "The nominee stirred up opposition from teachers' unions across the country over her record. "
        "Critics said she had no experience with public schools in any state. "
        "Her supporters praised her work on school choice over three decades in Michigan. "
        "The vote was the closest for a cabinet nominee in the history of the Senate. "
        'The vice-president broke the tie, and she was the "third" nominee confirmed that week.'
    )
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert len(text) > 400 and len(pieces) == 6
    assert pieces[0] == '"It is hard to imagine a worse choice,” Senator Warren said before she read letters from voters.'
    assert pieces[-1].startswith("The vice-president broke the tie")


def test_a_closing_quotation_mark_stays_with_the_sentence_it_closes():
    text = 'Let\'s improve options for all US students." Senate Democrats staged a 24-hour debate. They lost.'
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert pieces == ['Let\'s improve options for all US students."', "Senate Democrats staged a 24-hour debate.", "They lost."]


def test_a_long_quoted_sentence_without_a_stray_mark_is_left_whole():
    quoted = '"' + ", ".join(["we will build the harbour wall again"] * 12) + '," the mayor said on Monday.'
    assert len(quoted) > 400
    assert [quoted[s.start : s.end] for s in split_sentences(quoted)] == [quoted]
