"""Answer a question from the index: retrieve -> evidence -> generate -> verify -> fall back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from qa import evidence as ev
from qa import prompts
from qa.citations import AnswerSentence, parse_answer, quote, with_markers
from qa.embed import Embedder
from qa.generate import Generator, generate_text
from qa.retrieve import Hit, search
from qa.store.collection import Collection
from qa.textmatch import numbers
from qa.verify import verify_sentence

ABSTAIN_TEXT = "The indexed articles do not say."


@dataclass
class Citation:
    n: int
    doc_id: int
    title: str
    source: str
    location: str
    passage_id: int
    quote: str
    start: int
    end: int


@dataclass
class CheckedSentence:
    text: str
    citations: list[int]
    supported: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class AnswerResult:
    question: str
    answer: str
    mode: str  # generated | extractive | abstained
    sentences: list[CheckedSentence]
    citations: list[Citation]
    model: str
    timings: dict[str, float]
    reason: str = ""
    closest: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        payload = asdict(self)
        for sentence in payload["sentences"]:
            if not sentence["reasons"]:  # reasons are shown only for unsupported sentences
                del sentence["reasons"]
        return payload


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def evidence_messages(question: str, evidence: list[ev.Evidence], system: str = prompts.SYSTEM) -> list[dict[str, str]]:
    quoted = "\n".join(f"[{e.n}] {' '.join(e.text.split())}" for e in evidence)
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": prompts.USER.format(evidence=quoted, question=question)},
    ]


def citation_for(item: ev.Evidence) -> Citation:
    return Citation(item.n, item.doc_id, item.title, item.source, item.location, item.passage_id, item.text, item.start, item.end)


def check_sentences(
    parsed: list[AnswerSentence],
    evidence: list[ev.Evidence],
    similarity: Callable[[str, list[int]], float],
    question: str = "",
) -> list[CheckedSentence]:
    by_number = {e.n: e for e in evidence}
    checked = []
    for sentence in parsed:
        cited = [by_number[n].text for n in sentence.citations]
        verdict = verify_sentence(
            sentence.text, sentence.citations, cited,
            similarity(sentence.text, sentence.citations) if cited else 0.0, question,
        )
        reasons = verdict.reasons + [f"unknown citation [{n}] dropped" for n in sentence.dropped]
        checked.append(CheckedSentence(sentence.text, sentence.citations, verdict.supported, reasons))
    return checked


def is_complete(question: str, kept: list[CheckedSentence], evidence: list[ev.Evidence]) -> bool:
    """A kept answer must carry what was asked: the kind of fact, and the cited sentences' numbers."""
    text = " ".join(s.text for s in kept)
    kind = ev.expected_answer_kind(question)
    if not ev.has_kind(text, kind, question):
        return False
    by_number = {e.n: e for e in evidence}
    cited_numbers = set().union(*(numbers(by_number[n].text) for s in kept for n in s.citations))
    wanted = cited_numbers - numbers(question)
    return not wanted or len(numbers(text) & wanted) * 2 >= len(wanted)


def extractive(question: str, evidence: list[ev.Evidence]) -> tuple[str, list[ev.Evidence]]:
    """Quote the best evidence verbatim; a second sentence only if it also answers on its own."""
    chosen = [evidence[0]]
    kind = ev.expected_answer_kind(question)
    for item in evidence[1:2]:
        if item.score >= 0.9 * evidence[0].score and ev.has_kind(item.text, kind, question):
            chosen.append(item)
    text = " ".join(with_markers(quote(item.text), [item.n]) for item in chosen)
    return text, chosen


def answer_question(
    question: str,
    collection: Collection,
    embedder: Embedder,
    generator: Generator,
    *,
    k: int = 5,
    max_tokens: int = 96,
    on_text: Callable[[str], None] | None = None,
) -> AnswerResult:
    import numpy as np

    started = time.perf_counter()
    hits = search(collection, embedder, question, k)
    candidates = ev.gather(collection, [h.passage for h in hits])
    vectors = embedder.embed([question] + [ev.in_context(c) for c in candidates]) if candidates else None
    similarities = [float(v @ vectors[0]) for v in vectors[1:]] if vectors is not None else []
    ranked = ev.score(question, candidates, similarities)
    retrieved = time.perf_counter()
    timings = {"retrieve_ms": _ms(retrieved - started), "generate_ms": 0.0, "verify_ms": 0.0}
    model = getattr(generator, "name", "unknown")

    verdict = ev.assess(question, ranked)
    if not verdict.answerable:
        timings["total_ms"] = _ms(time.perf_counter() - started)
        return AnswerResult(question, ABSTAIN_TEXT, "abstained", [], [], model, timings, verdict.reason, closest_passages(hits))

    evidence = ev.select(question, ranked)
    draft = generate_text(
        generator, evidence_messages(question, evidence), max_tokens=max_tokens,
        grammar=prompts.answer_grammar([e.n for e in evidence]), on_text=on_text,
    )
    generated = time.perf_counter()
    timings["generate_ms"] = _ms(generated - retrieved)

    # support is judged against the sentence itself, not the sentence framed by its title
    evidence_vectors = dict(zip((e.n for e in evidence), embedder.embed([e.text for e in evidence])))

    def similarity(text: str, cited: list[int]) -> float:
        vector = embedder.embed([text])[0]
        return max(float(np.dot(vector, evidence_vectors[n])) for n in cited)

    parsed = parse_answer(draft, {e.n for e in evidence})
    checked = check_sentences(parsed, evidence, similarity, question)
    kept = [s for s in checked if s.supported]
    timings["verify_ms"] = _ms(time.perf_counter() - generated)

    if kept and is_complete(question, kept, evidence):
        used = sorted({n for s in kept for n in s.citations})
        answer = " ".join(with_markers(s.text, s.citations) for s in kept)
        citations = [citation_for(e) for e in evidence if e.n in used]
        mode = "generated"
    else:
        answer, chosen = extractive(question, evidence)
        citations = [citation_for(e) for e in chosen]
        mode = "extractive"
    timings["total_ms"] = _ms(time.perf_counter() - started)
    return AnswerResult(question, answer, mode, checked, citations, model, timings)


def closest_passages(hits: list[Hit], limit: int = 3) -> list[dict]:
    return [
        {"passage_id": h.passage.id, "doc_id": h.passage.doc_id, "title": h.passage.title,
         "location": h.passage.location, "score": round(h.score, 3), "text": h.passage.text}
        for h in hits[:limit]
    ]
