"""Answer a question from the index: retrieve -> evidence -> generate -> verify -> complete or fall back."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from qa import evidence as ev
from qa import prompts
from qa.citations import parse_answer, quote, respace, with_markers
from qa.dates import day_named, find_periods, parse_stored_date
from qa.embed import Embedder
from qa.errors import QAError
from qa.generate import Generator, generate_text
from qa.grounding import CheckedSentence, Citation, Judge, Similarity, check_sentences, citation_for, supports
from qa.injection import neutralize
from qa.policy import DEFAULT_POLICY, AnswerPolicy, default_policy
from qa.question import Question, analyze, question_problem
from qa.retrieve import Hit, search
from qa.store.collection import Collection, Scope
from qa.textmatch import QUESTION_WORDS, content_stems, numbers, words

ABSTAIN_TEXT = prompts.ABSTAIN_TEXT


@dataclass
class Part:
    """One sentence of the final answer: a verified generated sentence or a verbatim quote."""

    text: str
    citations: list[int]
    generated: bool
    computed: bool = False  # worked out from the cited articles' dates ("Sunday there is 12 February 2017")

    def shown(self) -> str:
        return with_markers(self.text, self.citations)


@dataclass
class AnswerResult:
    question: str
    answer: str
    mode: str  # generated | mixed | extractive | abstained
    sentences: list[CheckedSentence]
    citations: list[Citation]
    model: str
    timings: dict[str, float]
    reason: str = ""
    closest: list[dict] = field(default_factory=list)
    note: str = ""
    policy: str = DEFAULT_POLICY.label()
    parts: list[Part] = field(default_factory=list)  # the answer's sentences: generated or quoted

    def as_dict(self) -> dict:
        payload = asdict(self)
        for sentence in payload["sentences"]:
            if not sentence["reasons"]:  # reasons are shown only for unsupported sentences
                del sentence["reasons"]
            if not sentence["repaired_from"]:
                del sentence["repaired_from"]
            if not sentence["judged"]:
                del sentence["judged"]
        return payload


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def evidence_messages(question: str, evidence: list[ev.Evidence], many: bool = False) -> list[dict[str, str]]:
    """The prompt: numbered quotes as data. Chat-template markup in a quote or the question is
    rewritten (`<|im_start|>` -> `(im_start)`) in this copy only; stored text stays as it is."""
    quoted = "\n".join(f"[{e.n}] {neutralize(' '.join(e.text.split()))}" for e in evidence)
    instruction = prompts.LIST_INSTRUCTION if many else prompts.ANSWER_INSTRUCTION
    asked = neutralize(question)
    return [
        {"role": "system", "content": prompts.LIST_SYSTEM if many else prompts.SYSTEM},
        {"role": "user", "content": prompts.USER.format(evidence=quoted, question=asked, instruction=instruction),
         prompts.COMPLETION_KEY: prompts.COMPLETION.format(evidence=quoted, question=asked)},
    ]


def is_complete(question: Question, kept: list[CheckedSentence], evidence: list[ev.Evidence]) -> bool:
    """A kept answer must carry what was asked: the kind of fact; for "how many", the number the
    cited sentence gives beside the asked-about words; for a "what" or "which" question that names
    no kind ("What was agreed?"), half the cited sentences' numbers, which are then the facts. A
    "who", "when", "why" or yes/no answer need not repeat the cited sentence's other numbers
    ("Iain Henderson scored Ireland's try" from "A first-half try from Iain Henderson and eight
    points from ... Sexton")."""
    text = " ".join(s.text for s in kept)
    if not ev.has_kind(text, question):
        return False
    by_number = {e.n: e for e in evidence}
    cited = [by_number[n].text for s in kept for n in s.citations]
    if question.kind == "number":
        values = [v for v in (ev.primary_value(t, question) for t in cited) if v]
        said = set(words(text))  # "38" of "$38 million" is a word of it, not its value
        return not values or any(v in said or numbers(v) & ev.counts(text) for v in values)
    if question.typed or _asks_with(question) not in ("what", "which"):
        return True  # "Why were two mechanics arrested?" needs no "2" from "2 mechanics arrested"
    wanted = set().union(*(numbers(t) for t in cited)) - numbers(question.text)
    return not wanted or len(numbers(text) & wanted) * 2 >= len(wanted)


def _asks_with(question: Question) -> str | None:
    """The question's first question word ("what" of "According to the Kremlin, what does ..."),
    or none for a yes/no question."""
    return next((w for w in words(question.text) if w in QUESTION_WORDS), None)


def extractive(question: Question, selection: ev.Selection, policy: AnswerPolicy) -> list[Part]:
    """Quote the evidence verbatim: every fact of a list or a disagreement; otherwise the best
    sentence, and the runner-up only if it also answers on its own."""
    evidence = selection.evidence
    by_number = {e.n: e for e in evidence}
    if len(selection.facts) > 1:
        return [Part(quote(by_number[n].text), [n], False) for n in selection.facts]
    chosen = [evidence[0]]
    for item in evidence[1:2]:
        if item.score >= policy.evidence.second_quote_ratio * evidence[0].score and ev.has_kind(item.text, question):
            chosen.append(item)
    return [Part(quote(item.text), [item.n], False) for item in chosen]


def compose(
    question: Question, kept: list[CheckedSentence], selection: ev.Selection, policy: AnswerPolicy
) -> list[Part]:
    """The verified sentences, completed with a quote for each fact they leave out; or, when they
    miss what was asked, the quotes alone."""
    if not kept or not is_complete(question, kept, selection.evidence):
        return extractive(question, selection, policy)
    parts = [Part(s.text, s.citations, True) for s in kept]
    covered = {n for s in kept for n in s.citations}
    by_number = {e.n: e for e in selection.evidence}
    for n in selection.facts:
        if n not in covered:
            parts.append(Part(quote(by_number[n].text), [n], False))
    return parts


def dated_day(question: Question, parts: list[Part], items: list[ev.Evidence]) -> list[Part]:
    """For a date question whose answer names its day only as news does ("on Sunday",
    "yesterday"), the date that day was, counted from each cited article's date: lines computed
    from the quote and its article, not written by the model. None when the answer already gives
    a calendar date, or the articles have no date."""
    # any year completes "February 13" only to find it: a month and a day are a calendar date
    if question.kind != "date" or any(p.precision == "day" for p in find_periods(" ".join(x.text for x in parts), 2000)):
        return []
    by_number = {e.n: e for e in items}
    days: dict[tuple[str, dt.date], list[tuple[int, dt.date]]] = {}
    for n in dict.fromkeys(n for part in parts for n in part.citations):
        item = by_number.get(n)
        published = parse_stored_date(item.date) if item else None
        named = day_named(item.text, published) if item and published else None
        if named and published and any(named[0] in part.text.lower() for part in parts if n in part.citations):
            days.setdefault(named, []).append((n, published))
    lines = []
    for (word, day), sources in days.items():
        opening, published = _day_line_opening(word, day), sources[0][1]
        if len(sources) > 1:
            text = f"{opening} counted from the articles' dates."
        elif day == published:
            text = f"{opening} the article's own date."
        else:
            text = f"{opening} counted from the article's date, {published:%A} {published.day} {published:%B %Y}."
        lines.append(Part(text, sorted(n for n, _ in sources), False, computed=True))
    return lines


def _day_line_opening(word: str, day: dt.date) -> str:
    """How a computed day line opens: "Sunday there is 12 February 2017,"."""
    return f"{word.capitalize()} there is {day.day} {day:%B %Y},"


def beside_their_quotes(parts: list[Part], lines: list[Part]) -> list[Part]:
    """Each computed line right after the last sentence that cites what it cites."""
    placed = list(parts)
    for line in lines:
        at = max((i for i, part in enumerate(placed) if not part.computed and set(part.citations) & set(line.citations)),
                 default=len(placed) - 1)
        placed.insert(at + 1, line)
    return placed


def day_line_holds(text: str, quote: str, date: str | None) -> bool:
    """Does a computed line ("Sunday there is 12 February 2017, ...") give the day the cited quote
    names, counted from its article's date? How evaluation checks the lines `dated_day` adds."""
    published = parse_stored_date(date)
    named = day_named(quote, published) if published else None
    return named is not None and text.startswith(_day_line_opening(*named))


def cite_duplicates(parts: list[Part], selection: ev.Selection, similarity: Similarity, question: Question, policy: AnswerPolicy) -> None:
    """Where another article says the same thing, cite it too, if it backs the sentence."""
    by_number = {e.n: e for e in selection.evidence}
    for part in parts:
        text = part.text.strip("“”") if not part.generated else part.text
        for n in list(part.citations):
            for twin in by_number[n].also if n in by_number else []:
                if twin.n not in part.citations and supports(text, twin, similarity, question, policy.verify):
                    part.citations.append(twin.n)


def rank_evidence(
    asked: Question,
    collection: Collection,
    embedder: Embedder,
    policy: AnswerPolicy,
    *,
    k: int | None = None,
    scope: Scope | None = None,
) -> tuple[list[Hit], list[ev.Evidence]]:
    """The retrieved passages, and their sentences ranked as evidence for the question, best first."""
    depth = k or (policy.evidence.passages_list if asked.is_list else policy.evidence.passages_default)
    # the fused passages, not re-ordered by their best sentence: their sentences are scored below
    # with the embeddings too, and reading the re-ordered ones answered worse (policy.rescore_depth)
    hits = search(collection, embedder, asked.text, depth, scope=scope, rescore=False)
    # copies folded into a retrieved passage come after all of them, at its rank: where a sentence
    # repeats, the retrieved one is chosen and the copy is cited beside it; an overlapping window
    # of the same article adds its other sentences
    copies = [(rank, copy) for rank, hit in enumerate(hits) for copy in hit.copies[: policy.evidence.copies_per_hit]]
    candidates = ev.gather(collection, [h.passage for h in hits] + [copy for _, copy in copies], policy.evidence,
                           ranks=list(range(len(hits))) + [rank for rank, _ in copies])
    vectors = embedder.embed([asked.text] + [ev.in_context(c) for c in candidates]) if candidates else None
    similarities = [float(v @ vectors[0]) for v in vectors[1:]] if vectors is not None else []
    return hits, ev.score(asked, candidates, similarities, policy.evidence)


def answer_question(
    question: str,
    collection: Collection,
    embedder: Embedder,
    generator: Generator,
    *,
    k: int | None = None,
    max_tokens: int = 96,
    on_text: Callable[[str], None] | None = None,
    policy: AnswerPolicy | None = None,
    scope: Scope | None = None,
) -> AnswerResult:
    """`scope`: answer only from these documents (the filters' choice); none of them, an abstention."""
    import numpy as np

    policy = policy or default_policy()
    problem = question_problem(question)
    if problem:
        raise QAError(problem)
    started = time.perf_counter()
    asked = analyze(question)
    model = getattr(generator, "name", "unknown")
    unmatched = ev.nothing_to_match(asked)
    if unmatched:  # nothing to search for: say why, rather than quote whatever comes closest
        timings = {"retrieve_ms": 0.0, "generate_ms": 0.0, "verify_ms": 0.0, "total_ms": _ms(time.perf_counter() - started)}
        return AnswerResult(question, ABSTAIN_TEXT, "abstained", [], [], model, timings, unmatched, policy=policy.label())
    if scope is not None and scope.empty:
        timings = {"retrieve_ms": 0.0, "generate_ms": 0.0, "verify_ms": 0.0, "total_ms": _ms(time.perf_counter() - started)}
        return AnswerResult(question, ABSTAIN_TEXT, "abstained", [], [], model, timings, scope.nothing_matches(),
                            policy=policy.label())
    hits, ranked = rank_evidence(asked, collection, embedder, policy, k=k, scope=scope)
    retrieved = time.perf_counter()
    timings = {"retrieve_ms": _ms(retrieved - started), "generate_ms": 0.0, "verify_ms": 0.0}
    label = policy.label()

    verdict = ev.assess(asked, ranked, policy, collection.term_share)
    if not verdict.answerable:
        timings["total_ms"] = _ms(time.perf_counter() - started)
        return AnswerResult(question, ABSTAIN_TEXT, "abstained", [], [], model, timings, verdict.reason,
                            closest_passages(hits), policy=label)

    selection = ev.select(asked, ranked, policy)
    evidence = selection.evidence
    many = len(selection.facts) > 1
    draft = generate_text(
        generator, evidence_messages(asked.text, evidence, many), max_tokens=max_tokens,
        grammar=prompts.answer_grammar([e.n for e in evidence], max_sentences=max(2, len(selection.facts))),
        on_text=on_text,
    )
    generated = time.perf_counter()
    timings["generate_ms"] = _ms(generated - retrieved)

    # support is judged against the sentence itself, not the sentence framed by its title
    items = selection.all_items
    evidence_vectors = dict(zip((e.n for e in items), embedder.embed([e.text for e in items])))

    sentence_vectors: dict[str, np.ndarray] = {}  # citation repair asks about one sentence many times

    def similarity(text: str, cited: list[int]) -> float:
        if text not in sentence_vectors:
            sentence_vectors[text] = embedder.embed([text])[0]
        return max(float(np.dot(sentence_vectors[text], evidence_vectors[n])) for n in cited)

    parsed = parse_answer(respace(draft, [e.text for e in evidence]), {e.n for e in evidence})
    checked = check_sentences(parsed, evidence, similarity, asked, policy.verify, judge=reader(generator, policy))
    kept = _one_per_fact([s for s in checked if s.supported])
    parts = compose(asked, kept, selection, policy)
    cite_duplicates(parts, selection, similarity, asked, policy)
    parts = beside_their_quotes(parts, dated_day(asked, parts, selection.all_items))
    timings["verify_ms"] = _ms(time.perf_counter() - generated)

    used = {n for part in parts for n in part.citations}
    citations = [citation_for(e) for e in sorted(items, key=lambda e: e.n) if e.n in used]
    kinds = {part.generated for part in parts}
    mode = "mixed" if len(kinds) > 1 else "generated" if True in kinds else "extractive"
    timings["total_ms"] = _ms(time.perf_counter() - started)
    note = prompts.DISAGREEMENT_NOTE if selection.disagreement and len(used) > 1 else ""
    return AnswerResult(question, " ".join(p.shown() for p in parts), mode, checked, citations, model, timings,
                        note=note, policy=label, parts=parts)


def reader(generator: Generator, policy: AnswerPolicy) -> Judge | None:
    """The generator as a judge of wording, if it is large enough to be trusted with it."""
    judge = getattr(generator, "judge", None)
    size = getattr(generator, "parameters", 0)
    return judge if judge is not None and size >= policy.verify.judge_min_parameters else None


def _one_per_fact(kept: list[CheckedSentence]) -> list[CheckedSentence]:
    """Drop a sentence said twice, also in other small words ("Chuck Berry has died at the age of
    90" after "Chuck Berry died at the age of 90", both citing [2] [4]: SmolLM2, news tune), and
    a repaired sentence whose new citation another kept sentence already uses (the model copied
    one quote twice under two numbers)."""
    out: list[CheckedSentence] = []
    for sentence in kept:
        said = content_stems(sentence.text)
        same_text = any(" ".join(o.text.split()) == " ".join(sentence.text.split()) for o in out)
        again = any(o.citations == sentence.citations and said <= content_stems(o.text) for o in out)
        if same_text or again or (sentence.repaired_from and any(o.citations == sentence.citations for o in out)):
            continue
        out.append(sentence)
    return out


def closest_passages(hits: list[Hit], limit: int = 3) -> list[dict]:
    return [
        {"passage_id": h.passage.id, "doc_id": h.passage.doc_id, "title": h.passage.title,
         "location": h.passage.location, "score": round(h.score, 3), "text": h.passage.text,
         "start": h.passage.start, "end": h.passage.end}
        for h in hits[:limit]
    ]
