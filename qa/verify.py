"""Check each answer sentence against the passages it cites; pure logic, similarity passed in.

Hard rules: every number, date and name in the sentence is in the cited text, read in its
article (the title, the stored date and the sentence before it count, so "Putin agreed" is backed
by "He agreed" under a headline naming Putin); no negation is added or dropped. Soft signals, each
a proxy for "the cited text says this": embedding similarity, the share of the sentence's words
found in the cited text, and whether they keep its order (after a passive is turned active, so
"ten hostages will be freed by the rebels" reads like "the rebels would free ten hostages").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.dates import find_periods, parse_stored_date
from qa.policy import VerifyPolicy
from qa.question import Question
from qa.textmatch import (
    NEGATIONS,
    STOPWORDS,
    content_sequence,
    content_stems,
    coverage,
    digit_numbers,
    name_in,
    names,
    numbers,
    stem,
    words,
)

_ANSWER_PREFIX = re.compile(r"^\s*(yes|no)\s*[,.;:]\s*", re.IGNORECASE)
_PRONOUNS = frozenset("he she they it his her their its him them".split())
_AUXILIARIES = frozenset("is are was were be been being".split())
_MODALS = frozenset("will would has have had shall should can could may might must".split())
# Irregular past tenses and participles: verbs a claim states, beside the regular "-ed" forms.
_IRREGULAR_VERB_FORMS = frozenset(
    """beaten beat begun began bitten bit blown blew broken broke brought built bought caught chosen
    chose come came cut done did drawn drew driven drove eaten ate fallen fell felt fought found
    forgiven forgotten forgot frozen froze given gave gone went got gotten grown grew held hidden
    hid hit hurt kept knew known laid led left lent let lost made meant met paid put read ridden
    rode ran run said saw seen sent set shaken shook shot showed shown shut sold spent spoke spoken
    stole stolen struck swore sworn taken took taught threw thrown told understood won wore worn
    wrote written""".split()
)
_DETERMINERS = frozenset("the a an this that these those his her its their our my your some any no every each".split())


@dataclass(frozen=True)
class Cited:
    """A cited sentence and what a reader sees around it in its article."""

    text: str
    title: str = ""
    date: str | None = None
    previous: str = ""

    @property
    def context(self) -> str:
        return " ".join(part for part in (self.title, self.previous) if part)


@dataclass
class Verdict:
    supported: bool
    reasons: list[str] = field(default_factory=list)


def _is_participle(word: str) -> bool:
    return (len(word) > 3 and word.endswith(("ed", "en"))) or word in _IRREGULAR_VERB_FORMS


def _looks_like_verb(tokens: list[str], at: int) -> bool:
    """A stated action: a past form ("proposed", "won"), or a verb after a modal ("would free")."""
    word = tokens[at].lower()
    if (len(word) > 3 and word.endswith("ed")) or word in _IRREGULAR_VERB_FORMS:
        return True
    return at > 0 and tokens[at - 1].lower() in _MODALS


def active_voice(sentence: str, keep_case: bool = False) -> str:
    """The first passive clause turned active: "X was freed by Y" -> "Y freed X". Other sentences
    are returned as they are."""
    tokens = _CLAUSE_TOKEN.findall(sentence) if keep_case else words(sentence)
    lowered = [t.lower() for t in tokens]
    for i, token in enumerate(lowered):
        if token not in _AUXILIARIES:
            continue
        for j in range(i + 1, min(i + 3, len(tokens) - 1)):
            if _is_participle(lowered[j]) and lowered[j + 1] == "by":
                subject = [t for t in tokens[:i] if t.lower() not in _MODALS]
                after = [t for t in tokens[j + 2 :] if t[0].isalnum()]
                cut = next((k for k, t in enumerate(after) if k and t.lower() in _PHRASE_STOP), len(after))
                # "freed by the rebels on Monday" -> "the rebels freed ... on Monday"
                return " ".join(after[:cut] + [tokens[j]] + subject + after[cut:])
    return sentence


_CLAUSE_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+(?:[.,]\d+)*|[.,;:!?()\"“”—–]")
_SKIP_BEFORE_VERB = _AUXILIARIES | _MODALS | frozenset("also then later reportedly already not never".split())
_PHRASE_STOP = frozenset("to and or but that which who whom whose while when where after before because of in on at for with from".split())
_AGENT_WORDS = 4


def _phrase(tokens: list[str]) -> set[str]:
    """The content stems of a short noun phrase, read up to punctuation or a joining word."""
    taken: list[str] = []
    for token in tokens:
        if not token[0].isalnum() or token.lower() in _PHRASE_STOP or len(taken) == _AGENT_WORDS:
            break
        taken.append(token)
    return content_stems(" ".join(taken))


def _agent(tokens: list[str], at: int) -> set[str] | None:
    """Who does the verb at `at`: the phrase after "by" ("proposed by the United States"), else
    the phrase just before it ("the rebels would free"); None when neither can be read."""
    if at + 1 < len(tokens) and tokens[at + 1].lower() == "by":
        return _phrase(tokens[at + 2 :]) or None
    before = at - 1
    while before >= 0 and tokens[before].lower() in _SKIP_BEFORE_VERB:
        if tokens[before].lower() in _AUXILIARIES:
            return None  # a passive with no "by": the doer is not said here
        before -= 1
    if before < 0 or tokens[before].lower() in _DETERMINERS:
        return None  # "the exchange": a noun, not a verb with a doer
    return _phrase(list(reversed(tokens[: before + 1]))) or None


def role_problem(sentence: str, cited_texts: list[str]) -> str | None:
    """The sentence says X did something the cited text says Y did ("proposed by Putin" where the
    text has "proposed by the United States"). Each verb of the sentence whose doer can be read is
    compared with the doers of the same verb in the cited text; a verb the text gives no readable
    doer is left to the other checks."""
    claim = _CLAUSE_TOKEN.findall(active_voice(sentence, keep_case=True))
    sources = [_CLAUSE_TOKEN.findall(text) for text in cited_texts]
    for i, token in enumerate(claim):
        if not token[0].isalpha() or token.lower() in STOPWORDS or token[0].isupper() or not _looks_like_verb(claim, i):
            continue
        doer = _agent(claim, i)
        if not doer:
            continue
        verb = stem(token)
        known = [agent for tokens in sources for j, other in enumerate(tokens)
                 if other[0].isalpha() and stem(other) == verb for agent in [_agent(tokens, j)] if agent]
        if known and not any(doer & agent for agent in known):
            return f"who did '{token}' differs from the cited text"
    return None


def _lcs(claim: list[str], source: list[str]) -> int:
    previous = [0] * (len(source) + 1)
    for word in claim:
        current = [0]
        for j, other in enumerate(source, start=1):
            current.append(previous[j - 1] + 1 if word == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def order_agreement(sentence: str, cited_text: str) -> float:
    """Of the sentence's content words that the cited text has, the share that follow its order
    (longest common subsequence); the better of the sentence as written and turned active.

    Small models recombine source words into new claims ("proposed by Putin" from "Putin refused
    ... proposed by the United States"); such claims keep the words but not their order.
    """
    source = content_sequence(cited_text)
    present = set(source)
    best = 0.0
    for form in {sentence, active_voice(sentence)}:
        claim = [w for w in content_sequence(form) if w in present]
        if claim:
            best = max(best, _lcs(claim, source) / len(claim))
    return best


def _negations(text: str) -> list[int]:
    tokens = words(text)
    return [i for i, t in enumerate(tokens) if t in NEGATIONS or t.endswith("n't")]


def negation_problem(sentence: str, cited_text: str) -> str | None:
    """A negation the cited text lacks, or one it has on a word the sentence asserts plainly."""
    claim_negated = bool(_negations(sentence))
    source_tokens = words(cited_text)
    source_negations = _negations(cited_text)
    if claim_negated and not source_negations:
        return "negation not in cited text"
    if not claim_negated and source_negations:
        claim_stems = content_stems(sentence)
        for i in source_negations:
            negated = content_stems(" ".join(source_tokens[i + 1 : i + 4]))
            if negated and negated <= claim_stems:
                return "drops the cited text's negation"
    return None


def unsupported_facts(sentence: str, cited: list[Cited]) -> list[str]:
    """Numbers, dates and names in `sentence` that the cited text, read in its article, lacks.
    A name found only in the title or the previous sentence counts when the cited sentence refers
    to someone by a pronoun ("He agreed")."""
    problems = []
    texts = "\n".join(c.text for c in cited)
    published = [parse_stored_date(c.date) for c in cited]
    year = next((d.year for d in published if d), None)
    stated = find_periods("\n".join(f"{c.context}\n{c.text}" for c in cited), year)
    stated += [p for d in published if d for p in find_periods(d.isoformat())]
    claim_periods = find_periods(sentence, year)
    for period in claim_periods:
        if not any(period.overlaps(other) for other in stated):
            problems.append(f"date {period.text} not in cited text")
    in_dates = {n for period in claim_periods for n in digit_numbers(period.text)}
    source_numbers = numbers(texts)
    for number in sorted(numbers(sentence) - in_dates):
        if number not in source_numbers:
            problems.append(f"number {number} not in cited text")
    date_words = {w for period in claim_periods for w in re.findall(r"[A-Za-z]+", period.text)}
    has_pronoun = bool(set(words(texts)) & _PRONOUNS)
    context = "\n".join(c.context for c in cited)
    for name in sorted(names(sentence) - date_words):
        if not name_in(texts, name) and not (has_pronoun and name_in(context, name)):
            problems.append(f"name {name} not in cited text")
    return problems


def _answer_body(sentence: str) -> tuple[str, bool]:
    """The sentence without a leading "Yes," / "No,", and whether it had one."""
    stripped = _ANSWER_PREFIX.sub("", sentence, count=1)
    return stripped, stripped != sentence


def verify_sentence(
    sentence: str,
    cited: list[Cited],
    similarity: float,
    question: Question | None = None,
    policy: VerifyPolicy | None = None,
) -> Verdict:
    """`similarity`: the best cosine between the sentence and the cited evidence."""
    rules = policy or VerifyPolicy()
    if not cited:
        return Verdict(False, ["no valid citation"])
    body, polar = _answer_body(sentence)
    texts = "\n".join(c.text for c in cited)
    reasons = unsupported_facts(body, cited)
    negation = negation_problem(body, texts)
    if negation:
        reasons.append(negation)
    source_stems = content_stems(texts)
    if set(words(texts)) & _PRONOUNS:  # the name a pronoun stands for, from the title or the sentence before
        source_stems |= {s for c in cited for s in content_stems(" ".join(names(c.context)))}
    claim_stems = content_stems(body)
    if question is not None and not (claim_stems - question.stems):
        if not (question.is_yes_no and (polar or _negations(body))):
            reasons.append("only repeats the question")
    if len(words(body)) < rules.min_claim_words:
        # "Five days." answers "How long was the strike?": the answer and the question together
        # must be what the cited text says.
        asked = set(question.stems) if question else set()
        if not question or not claim_stems or coverage(asked | claim_stems, source_stems) < rules.support_coverage:
            reasons.append("too short to be a claim")
        return Verdict(not reasons, reasons)
    lexical = coverage(claim_stems, source_stems)
    if similarity < rules.support_similarity and lexical < 1.0:
        reasons.append(f"similarity {similarity:.2f} below {rules.support_similarity}")
    needed = rules.paraphrase_coverage if similarity >= rules.paraphrase_similarity else rules.support_coverage
    if lexical < needed:
        reasons.append(f"only {lexical:.0%} of its words are in the cited text")
    role = role_problem(body, [c.text for c in cited])
    if role:
        reasons.append(role)
    order = max(order_agreement(body, c.text) for c in cited)
    if order < rules.support_order:
        reasons.append(f"its words follow the cited text only {order:.0%} of the way (recombined claim)")
    return Verdict(not reasons, reasons)
