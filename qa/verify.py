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

from qa.dates import WEEKDAYS, Period, find_periods, numbers_in_dates, parse_stored_date
from qa.evidence import counts, date_words, dates_near, gives_value_beside, primary_value, values_near
from qa.injection import looks_like_instruction
from qa.policy import VerifyPolicy
from qa.question import Entity, Question, entities, unmatched_words
from qa.textmatch import (
    MAGNITUDES,
    NEGATIONS,
    PRONOUNS,
    STOPWORDS,
    content_sequence,
    content_stems,
    coverage,
    digit_numbers,
    name_in,
    names,
    normalize_number,
    numbers,
    stem,
    words,
)

_ANSWER_PREFIX = re.compile(r"^\s*(yes|no)\s*[,.;:]\s*", re.IGNORECASE)
_SUBJECT_PRONOUNS = frozenset("he she they".split())
_AUXILIARIES = frozenset("is are was were be been being".split())
_MODALS = frozenset("will would has have had shall should can could may might must".split())
# Irregular past tenses and participles: verbs a claim states, beside the regular "-ed" forms.
_IRREGULAR_VERB_FORMS = frozenset(
    """beaten beat became become begun began bitten bit blown blew broken broke brought built bought caught chosen
    chose come came cost cut done did drawn drew driven drove eaten ate fallen fell felt fought found
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
    def heading(self) -> str:
        """The title, unless it gives orders: such a title must not back a name."""
        return "" if looks_like_instruction(self.title) else self.title

    @property
    def context(self) -> str:
        return " ".join(part for part in (self.heading, self.previous) if part)


@dataclass
class Verdict:
    supported: bool
    reasons: list[str] = field(default_factory=list)
    # Every reason is one of the proxies for "the text says this" that a rewording trips (word
    # order, similarity, an action in other words): a reader judging the meaning may accept it.
    # Added words and low coverage are not: the model judges say yes to added claims too readily.
    soft_only: bool = False


# A word of 3 letters or fewer ending in -ed or -en ("red", "bed", "ten") is not a past form.
_SHORTEST_STEM = 3


def _is_participle(word: str) -> bool:
    return (len(word) > _SHORTEST_STEM and word.endswith(("ed", "en"))) or word in _IRREGULAR_VERB_FORMS


def _looks_like_verb(tokens: list[str], at: int) -> bool:
    """A stated action: a past form ("proposed", "won"), or a verb after a modal ("would free")."""
    word = tokens[at].lower()
    if (len(word) > _SHORTEST_STEM and word.endswith("ed")) or word in _IRREGULAR_VERB_FORMS:
        return True
    return at > 0 and tokens[at - 1].lower() in _MODALS


def active_voice(sentence: str, keep_case: bool = False) -> str:
    """The first passive clause turned active: "X was freed by Y" -> "Y freed X", "X was picked as
    prime minister by Y" -> "Y picked X as prime minister". Other sentences are returned as they are."""
    tokens = _CLAUSE_TOKEN.findall(sentence) if keep_case else words(sentence)
    lowered = [t.lower() for t in tokens]
    for i, token in enumerate(lowered):
        if token not in _AUXILIARIES:
            continue
        for j in range(i + 1, min(i + 3, len(tokens) - 1)):
            if not _is_participle(lowered[j]):
                continue
            by = next((k for k in range(j + 1, min(j + _MAX_BEFORE_BY + 2, len(tokens)))
                       if lowered[k] == "by" or not tokens[k][0].isalnum()), None)
            if by is None or lowered[by] != "by":
                continue
            subject = [t for t in tokens[:i] if t.lower() not in _MODALS]
            after = tokens[by + 1 :]
            cut = next((k for k, t in enumerate(after) if k and (t.lower() in _PHRASE_STOP or not t[0].isalnum())), len(after))
            rest = [t for t in after[cut:] if t[0].isalnum()]
            # "freed by the rebels on Monday" -> "the rebels freed ... on Monday"
            return " ".join(after[:cut] + [tokens[j]] + subject + tokens[j + 1 : by] + rest)
    return sentence


_CLAUSE_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+(?:[.,]\d+)*|[.,;:!?()\"“”—–]")
_SKIP_BEFORE_VERB = _AUXILIARIES | _MODALS | frozenset("also then later reportedly already not never".split())
_PHRASE_STOP = frozenset("to and or but that which who whom whose while when where after before because of in on at for with from".split())
_AGENT_WORDS = 4
_JOINING = frozenset({"and", "but"})
_COORDINATED_REACH = 15  # tokens back from "and paid" to the verb it joins
_MAX_BEFORE_BY = 4  # "was picked as prime minister by ...": words between a participle and "by"


def _phrase(tokens: list[str]) -> list[str]:
    """A short noun phrase, read up to punctuation, a joining word or a pronoun."""
    taken: list[str] = []
    for token in tokens:
        lowered = token.lower()
        if not token[0].isalnum() or lowered in _PHRASE_STOP or lowered in PRONOUNS or len(taken) == _AGENT_WORDS:
            break
        taken.append(token)
    return taken


def _agent(tokens: list[str], at: int, depth: int = 0) -> list[str]:
    """Who does the verb at `at`: the phrase after "by" ("proposed by the United States"), else the
    phrase just before it ("Putin would refuse"), or for a verb joined to an earlier one by "and",
    that one's ("Trump earned ... and paid"); empty when it cannot be read ("he agreed", "the
    vessel was built", "the exchange" where the word is a noun)."""
    if at + 1 < len(tokens) and tokens[at + 1].lower() in ("by", "from"):  # "on commission from X"
        return _phrase(tokens[at + 2 :])
    before = at - 1
    while before >= 0 and tokens[before].lower() in _SKIP_BEFORE_VERB:
        if tokens[before].lower() in _AUXILIARIES:
            return []  # a passive with no "by": the doer is not said here
        before -= 1
    if before < 0 or tokens[before].lower() in _DETERMINERS:
        return []
    if tokens[before].lower() in _JOINING and depth < 1:  # "Trump earned ... and paid $38 million"
        first = next((j for j in range(before - 1, max(-1, before - _COORDINATED_REACH), -1)
                      if tokens[j] in ".;:!?" or _looks_like_verb(tokens, j)), None)
        if first is None or tokens[first] in ".;:!?":
            return []
        return _agent(tokens, first, depth + 1)
    return _phrase(list(reversed(tokens[: before + 1])))


def _object(tokens: list[str], at: int) -> list[str]:
    """What the verb at `at` acts on: the phrase right after it, past an article."""
    after = tokens[at + 1 :]
    if after and after[0].lower() == "by":
        return []
    while after and after[0].lower() in _DETERMINERS:
        after = after[1:]
    return _phrase(after)


def _stems(phrase: list[str]) -> set[str]:
    return content_stems(" ".join(phrase))


def _disagree(claim_doer: list[str], claim_object: list[str], doer: list[str]) -> bool:
    """Does a doer read in the cited text contradict the sentence's doer? Two different names
    ("Putin" / "the United States"), or the cited doer standing as the sentence's object
    ("Mohamed selected legislators" / "legislators selected him")."""
    mine, theirs = _stems(claim_doer), _stems(doer)
    if mine & theirs:
        return False
    named = bool(names(" ".join(claim_doer))) and bool(names(" ".join(doer)))
    return named or bool(theirs & _stems(claim_object))


def role_problem(sentence: str, cited_texts: list[str]) -> str | None:
    """The sentence says X did something the cited text says Y did ("proposed by Putin" where the
    text has "proposed by the United States"), or that a named doer did it to itself ("Leicester
    City has been sacked by Leicester City", a small model's copy of "Ranieri has been sacked by
    Leicester City") where the cited text does not. Each verb of the sentence whose doer can be
    read is compared with the doers of the same verb in the cited text; a verb whose doers cannot
    be read is left to the other checks."""
    claim = _CLAUSE_TOKEN.findall(active_voice(sentence, keep_case=True))
    sources = [_CLAUSE_TOKEN.findall(text) for text in cited_texts]
    for i, token in enumerate(claim):
        if not token[0].isalpha() or token.lower() in STOPWORDS or token[0].isupper() or not _looks_like_verb(claim, i):
            continue
        doer = _agent(claim, i)
        if not _stems(doer):
            continue
        verb, acted_on = stem(token), _object(claim, i)
        if _same_name(doer, acted_on) and not _reflexive(sources, verb):
            return f"says {' '.join(acted_on[: len(doer)])} did '{token}' to itself, which the cited text does not"
        same_verb = [(tokens, j) for tokens in sources for j, other in enumerate(tokens)
                     if other[0].isalpha() and stem(other) == verb]
        known = [agent for tokens, j in same_verb for agent in [_agent(tokens, j)] if _stems(agent)]
        if known and all(_disagree(doer, acted_on, agent) for agent in known):
            return f"who did '{token}' differs from the cited text"
        # "Trump welcomed Mike Pence" where the cited text has "Trump welcomed Angela Merkel"
        targets = [target for tokens, j in same_verb for target in [_object(tokens, j)] if _a_name(target)]
        if _a_name(acted_on) and targets and all(not (_stems(acted_on) & _stems(t)) for t in targets):
            return f"what '{token}' acted on differs from the cited text"
    return None


def _a_name(phrase: list[str]) -> bool:
    """Does the phrase open with a name ("Mike Pence to ..."), not a clause ("that two women ...")?"""
    return bool(phrase) and phrase[0][0].isupper() and bool(names(phrase[0]))


def _reflexive(sources: list[list[str]], verb: str) -> bool:
    """Does a cited text have a doer doing this verb to itself (turned active first)?"""
    for tokens in sources:
        active = _CLAUSE_TOKEN.findall(active_voice(" ".join(tokens), keep_case=True))
        for j, other in enumerate(active):
            if other[0].isalpha() and stem(other) == verb and _same_name(_agent(active, j), _object(active, j)):
                return True
    return False


def _same_name(doer: list[str], acted_on: list[str]) -> bool:
    """The verb's object is the doer's own name, whole ("Leicester City sacked Leicester City nine
    months after"), not a longer name or a possessive that starts with it ("Trump Tower", "Putin's
    rival")."""
    head, rest = acted_on[: len(doer)], acted_on[len(doer) :]
    if not names(" ".join(doer)) or _stems(head) != _stems(doer):
        return False
    return not (rest and rest[0][0].isupper()) and not any(t.endswith(("'s", "’s")) for t in head)


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
    for form in {sentence, active_voice(sentence), *_clauses_swapped(sentence)}:
        claim = [w for w in content_sequence(form) if w in present]
        if claim:
            best = max(best, _lcs(claim, source) / len(claim))
    return best


# Where a sentence's clauses may be put in either order: a comma, or a time clause's conjunction.
_CLAUSE_SPLIT = re.compile(r",\s+|\s+(?=(?:after|before|when|while|since|until)\b)")


def _clauses_swapped(sentence: str) -> list[str]:
    """The sentence with its clauses rotated, each rotation once: "Since April 8, 2006, Churkin had
    been ..." as "Churkin had been ... since April 8, 2006"; "X did not go back after Hitler came
    to power" as "after Hitler came to power X did not go back". Words keep their order inside a
    clause, so a recombined claim is still caught."""
    pieces = [p for p in _CLAUSE_SPLIT.split(sentence.rstrip(".!? ")) if p]
    return [" ".join(pieces[i:] + pieces[:i]) for i in range(1, len(pieces))]


def _negations(text: str) -> list[int]:
    tokens = words(text)
    return [i for i, t in enumerate(tokens) if t in NEGATIONS or t.endswith("n't")]


def negation_problem(sentence: str, cited_text: str) -> str | None:
    """A negation the cited text lacks, or one it has on a word the sentence asserts plainly."""
    claim_tokens, source_tokens = words(sentence), words(cited_text)
    claim_negations, source_negations = _negations(sentence), _negations(cited_text)
    negated_in_source = set().union(*(content_stems(" ".join(source_tokens[i + 1 : i + 4])) for i in source_negations))
    for i in claim_negations:
        negated = content_stems(" ".join(claim_tokens[i + 1 : i + 4]))
        if not source_negations or (negated and not negated & negated_in_source):
            return "negation not in cited text"
    claim_negated = bool(claim_negations)
    if not claim_negated and source_negations:
        claim_stems = content_stems(sentence)
        for i in source_negations:
            negated = content_stems(" ".join(source_tokens[i + 1 : i + 4]))
            if negated and negated <= claim_stems:
                return "drops the cited text's negation"
    return None


_REFERS_BACK = re.compile(
    r"^\W*(?:(?i:but|and|however|meanwhile|yet|so)\b,?\s+)?(?:(?i:he|she|they|it|his|her|their|its)\b|(?i:the)\s+[a-z])"
)


# "the agency", "the company": an institution the article has named before, by its title or the
# sentence before ("... the biggest financial backer of the agency" under "US-UN relations")
_INSTITUTION = re.compile(
    r"\bthe\s+(?:agency|organi[sz]ation|company|firm|group|body|club|team|council|ministry|court|bank|union|"
    r"alliance|bloc|committee|department|party)\b")


def refers_back(text: str) -> bool:
    """Does the sentence open with a definite description or a pronoun ("The vessel is ...", "He
    agreed"), have a subject pronoun ("Largely self-educated, he became ...") or name an institution
    only by its kind ("the agency")? Then who it is about is named in the title or the sentence
    before."""
    return bool(_REFERS_BACK.match(text) or _INSTITUTION.search(text)) or bool(set(words(text)) & _SUBJECT_PRONOUNS)


def _in_article(cited: list[Cited]) -> str:
    """The cited sentences with their titles and the sentences before them."""
    return "\n".join([*(c.text for c in cited), *(c.context for c in cited)])


def _title_subject(sentence: str, entity: Entity, cited: list[Cited]) -> bool:
    """Is the name the sentence's subject (its first words, after an article: "Angola became ...",
    "The US is ...") and in a cited sentence's title?"""
    opening = [w for w in _CLAUSE_TOKEN.findall(sentence)[:len(entity.words) + 1] if w.lower() != "the"]
    return opening[: len(entity.words)] == list(entity.words) and any(entity.found_in(c.heading) for c in cited)


def unsupported_facts(sentence: str, cited: list[Cited], framed: Question | None = None) -> list[str]:
    """Numbers, dates and names in `sentence` that the cited text, read in its article, lacks.
    A name counts as found by its last word ("Tony Blair" in "Mr Blair said"); a name found only
    in the title or the previous sentence counts when the cited sentence refers back to someone
    ("He agreed", "The new prime minister resigned"). With `framed`, the question the sentence
    restates around its answer, the question's own names and numbers also count when the cited
    sentence's title or the sentence before holds them ("... when they beat England 13-9" under
    "Ireland 13-9 England")."""
    problems = []
    framing = "\n".join(c.context for c in cited) if framed is not None else ""
    texts = "\n".join(c.text for c in cited)
    claim_periods, backed = _dates(sentence, cited)
    for period in claim_periods:
        if period not in backed:
            problems.append(f"date {period.text} not in cited text")
    in_dates = {n for period in claim_periods for n in digit_numbers(period.text)}
    source_numbers = numbers(texts)
    asked_numbers = (numbers(framed.text) & numbers(framing)) if framed is not None else set()
    for number in sorted(numbers(sentence) - in_dates):
        if number not in source_numbers and number not in asked_numbers:
            problems.append(f"number {number} not in cited text")
    context = "\n".join(c.context for c in cited if refers_back(c.text))
    article = _in_article(cited) + ("\n" + framed.text if framed is not None else "")
    for entity in entities(sentence, tuple(claim_periods)):
        # the article's title names what it is about: "Angola became independent in 1975" from
        # "Independence was achieved in 1975" under "Angola", as the sentence's subject only
        # ("..., which Damascus's draft resolution condemned" under a title naming Damascus is not)
        about = _title_subject(sentence, entity, cited)
        if entity.found_in(texts) or (context and entity.found_in(context)) or about:
            # found by its last word; the rest must be the article's too ("Aldougad Huxley")
            stray = [word for word in entity.words[:-1] if not name_in(article, word)]
            if stray:
                problems.append(f"name {entity.text} not in cited text ({', '.join(stray)})")
            continue
        if framed is not None and any(entity.found_in(asked.text) for asked in framed.entities) and entity.found_in(framing):
            continue
        problems.append(f"name {entity.text} not in cited text")
    return problems


def _dates(sentence: str, cited: list[Cited]) -> tuple[list[Period], list[Period]]:
    """The dates the sentence gives, and those of them that the cited text, its title or the
    sentence before, or the article's date falls in ("in February 2017" of an article of
    2017-02-24)."""
    published = [parse_stored_date(c.date) for c in cited]
    year = next((d.year for d in published if d), None)
    stated = find_periods("\n".join(f"{c.context}\n{c.text}" for c in cited), year)
    stated += [p for d in published if d for p in find_periods(d.isoformat())]
    claimed = find_periods(sentence, year)
    return claimed, [p for p in claimed if any(p.overlaps(other) for other in stated)]


def other_value(body: str, cited: list[Cited], question: Question | None) -> str | None:
    """For "how many", "how old" and "when": a sentence whose numbers (or dates) are all other than
    the one each cited sentence gives for what was asked ("Chuck Berry was 68 when he died" from "... died at the age
    of 90, his wife of 68 years said"; "250 people died" from "75 people died ..., and 250 were
    injured"). Every word of such a sentence is cited; only the number's place is wrong."""
    if question is None or question.is_yes_no:
        return None
    if question.kind == "date":
        return _other_date(body, cited, question)
    if question.kind != "number":
        return None
    dated = numbers_in_dates(body, 2000)
    claimed = (counts(body) | digit_numbers(body)) - question.numbers - dated
    values = [v for v in (primary_value(c.text, question, units=False, amount=True) for c in cited) if v]
    if not claimed or not values:
        return None
    if claimed & set().union(*(numbers(v) | digit_numbers(v) for v in values)):
        return None
    shown = ", ".join(f"'{v.split()[0]}'" for v in values)
    return f"gives {', '.join(sorted(claimed))} where the cited text gives {shown} for what was asked"


def _other_date(body: str, cited: list[Cited], question: Question) -> str | None:
    """"Steinmeier became president in 2012" from "... elected president on Sunday, February 12,
    replacing Joachim Gauck, who took office in 2012": the claim's dates that the cited sentence
    gives stand far from what was asked, and another date stands near it."""
    claimed = date_words(body)
    for c in cited:
        every, near = dates_near(c.text, question)
        given = claimed & every
        if near and given and not given & near:
            return f"gives {', '.join(sorted(given))}, which the cited text does not give for what was asked"
    return None


def frames_its_answer(body: str, cited: list[Cited], question: Question | None) -> bool:
    """Does the sentence restate the question around the answer the cited text gives ("Iain
    Henderson scored Ireland's try when they beat England 13-9" for "Who scored Ireland's try
    when they beat England 13-9?", citing "A first-half try from Iain Henderson ...")? Only for a
    "who", "how many" or "when" question, and only when the sentence holds the value that, in a
    cited sentence, stands within three words of the asked-about words: "Johnny Sexton scored
    Ireland's try" citing the same sentence restates the question around the wrong name.

    Not for "which X": a name beside X or the event is too often another role. With a frame,
    Qwen 1.5B's "Geert Wilders' Freedom Party (PVV) came out on top in the Dutch election" was
    accepted from "His party came far ahead of ... Geert Wilders' ... Freedom Party (PVV)", and
    "The now-Left party politician won the Saarland state election" from "he is running as the
    head of the Left party in the state elections" (news tune)."""
    if question is None or question.is_yes_no or question.kind is None:
        return False
    return _names_in_question_order(body, question) and any(gives_value_beside(body, c.text, question) for c in cited)


def _names_in_question_order(body: str, question: Question) -> bool:
    """Does the sentence keep the question's names in the question's order? "England scored the
    try when Iain Henderson beat Ireland" swaps who beat whom in "... Ireland's try when they beat
    England", and word order alone cannot see it."""
    found = []
    for rank, entity in enumerate(question.entities):
        at = re.search(rf"(?<![\w-]){re.escape(entity.words[-1])}(?![\w-])", body, flags=re.IGNORECASE)
        if at:
            found.append((at.start(), rank))
    ranks = [rank for _, rank in sorted(found)]
    return ranks == sorted(ranks)


# lower case: "May" is a month
_SPECULATIVE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|Perhaps|Possibly|Probably)\b")
# "want to host" is not "hosted": an aim stated where the cited text states a deed (or nothing)
_INTENTION = re.compile(
    r"\b(?:wants?|wanted|plans?|planned|planning|hopes?|hoped|hoping|intends?|intended|aims?|aimed|seeks?|sought|"
    r"wish(?:es|ed)?|is ready|are ready|was ready|were ready)\s+(?:to|for)\b",
    re.IGNORECASE,
)
_CAUSAL = re.compile(r"\b(?:because|due to|as a result of|in order to|so that|therefore|thanks to|caused by)\b", re.IGNORECASE)
_FINITE = _AUXILIARIES | _MODALS | frozenset("has have had did does do says said".split())
_FRAGMENT_WORDS = 8


def is_fragment(text: str) -> bool:
    """A short answer with no verb ("The Hawiye clan.", "150 scientific papers.")."""
    tokens = words(text)
    if len(tokens) > _FRAGMENT_WORDS:
        return False
    return not any(t in _FINITE or _is_participle(t) for t in tokens)


def other_candidates(answer: str, cited_text: str, question: Question) -> str:
    """Values of the answer's kind that the cited text gives besides the answer and the question's
    own: a bare "4." cannot be checked against "five of the seven ... four of them"."""
    periods = find_periods(answer, 2000)
    if periods:
        mine = {p.start for p in periods}
        listed = [p.text for p in find_periods(cited_text, 2000) if p.start not in mine]
        return ", ".join(listed)
    days = [d for d in _WEEKDAYS if d in answer]
    if days:
        return ", ".join(d for d in _WEEKDAYS if d in cited_text and d not in days)
    given = numbers(answer)
    if given:
        dated = numbers_in_dates(cited_text, 2000)
        others = numbers(cited_text) - given - set(question.numbers) - dated
        return ", ".join(sorted(others))
    mine_names = {n.lower() for n in names(answer)}
    if mine_names or question.kind == "person":
        others = {n for n in names(cited_text) if n.lower() not in mine_names} - question.name_set
        return ", ".join(sorted(others))
    return ""


def _the_value_given(answer: str, cited_text: str, question: Question) -> bool:
    """Is the bare answer the one value the cited text gives beside what was asked? Exactly one
    name or number of the asked kind stands within reach of the asked-about words, and the answer
    is it: "Titov." from "..., Vladimir Titov said"; not "1,239 votes." from "931 of the 1,239
    votes", where two numbers stand there, nor "150 scientific papers." from "300 scientific
    papers along with over 150 non-scientific works", where 300 does."""
    runs = values_near(cited_text, question)
    if len(runs) != 1:
        return False
    if question.kind == "number":
        given = numbers(answer) - set(question.numbers)
        return bool(given) and given == numbers(runs[0][0])
    mine = {n.lower() for n in names(answer)} - {n.lower() for n in question.name_set}
    return bool(mine) and mine <= set(runs[0])


_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ian|ese|ish|i)$")
_WEEKDAYS = tuple(day.capitalize() for day in WEEKDAYS)  # as a name is written: "Monday"


def modifier_swap(sentence: str, cited_text: str) -> str | None:
    """"the Ukrainian leader" where the cited text has "the Russian leader": a name in front of a
    word that the cited text puts behind another name, and never behind this one."""
    claim, source = _CLAUSE_TOKEN.findall(sentence), _CLAUSE_TOKEN.findall(cited_text)
    pairs = {(a.lower(), stem(b)) for a, b in zip(source, source[1:]) if _DEMONYM.match(a) and b[0].islower()}
    for first, second in zip(claim, claim[1:]):
        if not (_DEMONYM.match(first) and second[0].isalpha() and second[0].islower()) or second.lower() in STOPWORDS:
            continue
        head = stem(second)
        if (first.lower(), head) in pairs:
            continue
        rivals = [a for a, b in pairs if b == head]
        if rivals and first.lower() in {t.lower() for t in source}:
            return f"'{first} {second}' where the cited text has '{rivals[0]} {second}'"
    return None


_NAME_REACH = 12  # tokens back from a number to the name it is about, within its clause


def _number_frames(tokens: list[str]) -> list[tuple[str, str, str, str | None, str]]:
    """(number, stem of the word before, stem of the word after, the nearest name before it) for
    each number between two words, one of them not a function word, and the three words as written:
    "VVD party was set to win 33 seats" gives ("33", "win", "seat", "VVD", "win 33 seats")."""
    frames = []
    for at in range(1, len(tokens) - 1):
        number, before, after = tokens[at], tokens[at - 1], tokens[at + 1]
        if not (number[0].isdigit() and before[0].isalpha() and after[0].isalpha()):
            continue
        if before.lower() in STOPWORDS and after.lower() in STOPWORDS:
            continue
        name = None
        for token in reversed(tokens[max(0, at - _NAME_REACH) : at]):
            if not token[0].isalnum():
                break  # the clause ends
            if token[0].isupper() and token.lower() not in STOPWORDS:
                name = token
                break
        frames.append((normalize_number(number), stem(before.lower()), stem(after.lower()), name,
                       f"{before} {number} {after}"))
    return frames


def number_swap(sentence: str, cited_text: str) -> str | None:
    """"the VVD won 20 seats" where the cited text has "the VVD party was set to win 33 seats, with
    the PVV second with 20 seats": a number the cited text gives, put in the frame (the words each
    side and the name before) where the cited text gives another number."""
    source = _number_frames(_CLAUSE_TOKEN.findall(cited_text))
    for number, before, after, name, written in _number_frames(_CLAUSE_TOKEN.findall(sentence)):
        if name is None:
            continue
        same_frame = [(n, who, text) for n, b, a, who, text in source if (b, a) == (before, after)]
        if any(n == number for n, _, _ in same_frame):
            continue
        rival = next((text for _, who, text in same_frame if who == name), None)
        if rival is not None:
            return f"'{name} ... {written}' where the cited text has '{name} ... {rival}'"
    return None


_LINKING_VERBS = frozenset({"became", "become"})  # "Alaska became a US state": a state, not a deed


def new_action(sentence: str, source_stems: set[str]) -> str | None:
    """A stated action ("married", "commissioned") that the cited text never states: the claim's
    predicate is its own, whatever the words around it."""
    tokens = _CLAUSE_TOKEN.findall(sentence)
    for i, token in enumerate(tokens):
        lowered = token.lower()
        if (token[0].isalpha() and lowered not in STOPWORDS | _FINITE | _LINKING_VERBS
                and _looks_like_verb(tokens, i)):
            if stem(lowered) not in source_stems:
                return token
    return None


_LASTED = re.compile(
    r"^(?:the\s+)?(?P<subject>[A-Za-z][\w'’ -]*?)\s+(?:lasted|has lasted|had lasted|lasts|will last)\s+"
    r"(?:for\s+)?(?:about\s+|nearly\s+|almost\s+|more than\s+|over\s+)?(?P<amount>[\w ,.-]+?)\s*[.!]?$",
    re.IGNORECASE,
)
_DURATION_UNITS = frozenset(stem(w) for w in "second minute hour day week month year decade".split())
_NOUN_REACH = 2  # "a 45-minute telephone conversation": the noun may follow a word or two later
# a length that was proposed, refused or planned did not elapse: "Putin refused a 30-day
# ceasefire" says nothing of how long a ceasefire lasted
_UNREALIZED = re.compile(
    r"\b(?:propos\w*|refus\w*|reject\w*|plan\w*|offer\w*|demand\w*|call\w* for|would|will|could|may|"
    r"might|agree\w* to|seek\w*|want\w*|support)\b", re.IGNORECASE)
_UNREALIZED_REACH = 5  # tokens before the number and after the noun read for such a word
_AMOUNT_WORDS = 5  # "two and a half hours": the words of a number before its unit


def duration_paraphrase(sentence: str, cited_text: str) -> bool:
    """"X lasted N units" said of a cited "N-unit X" or "the N units of the X": the same number and
    unit, the same thing lasting ("The conversation lasted 45 minutes" from "a 45-minute telephone
    conversation"; "The war lasted for 3 years" from "the three years of the war"). Its verb and
    its low similarity are then no sign of a claim of its own."""
    match = _LASTED.match(sentence.strip())
    if not match:
        return False
    amount = match["amount"].replace("-", " ").split()
    unit, value = stem(amount[-1]) if amount else "", numbers(match["amount"])
    subject = content_sequence(match["subject"])[-1:]
    if unit not in _DURATION_UNITS or not value or not subject:
        return False
    tokens = _CLAUSE_TOKEN.findall(cited_text.replace("-", " "))
    for i, token in enumerate(tokens):
        if stem(token) != unit or numbers(" ".join(tokens[max(0, i - _AMOUNT_WORDS) : i])) & value != value:
            continue
        after = [stem(t) for t in tokens[i + 1 : i + 2 + _NOUN_REACH]]  # "45 minute telephone conversation"
        of_the = [stem(t) for t in tokens[i + 1 : i + 4]]  # "three years of the war"
        if not (subject[0] in after or (of_the[:1] == ["of"] and subject[0] in of_the)):
            continue
        around = " ".join(tokens[max(0, i - _UNREALIZED_REACH - 1) : i + 2 + _NOUN_REACH + _UNREALIZED_REACH])
        if not _UNREALIZED.search(around):
            return True
    return False


def polarity_problem(sentence: str, body: str, question: Question | None) -> str | None:
    """"Yes, X is not ..." contradicts itself; so does "No, X is ..." when it only restates the
    question."""
    match = _ANSWER_PREFIX.match(sentence)
    if not match:
        return None
    negated = bool(_negations(body))
    if match.group(1).lower() == "yes" and negated:
        return "answers yes but says not"
    restates = question is not None and content_stems(body) <= set(question.stems)
    if match.group(1).lower() == "no" and not negated and restates:
        return "answers no but restates the question as true"
    return None


_QUANTITY_WORDS = frozenset(stem(w) for w in ("half", "quarter", *MAGNITUDES))


def _is_quantity(word_stem: str) -> bool:
    """A stem that writes part of a number: "20", "million", "half"."""
    return word_stem[:1].isdigit() or word_stem in _QUANTITY_WORDS


def _answer_body(sentence: str) -> str:
    """The sentence without a leading "Yes," / "No,"."""
    return _ANSWER_PREFIX.sub("", sentence, count=1)


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
    body = _answer_body(sentence)
    texts = "\n".join(c.text for c in cited)
    foreign = [w for w in unmatched_words(body) if w not in unmatched_words(texts)]
    if foreign:  # the word rules read Latin letters only, so nothing else would see these
        return Verdict(False, [f"words in another script the cited text does not have ({', '.join(foreign)})"])
    if looks_like_instruction(body):  # "Ignore the question.", "<|im_start|>user ...": not a claim
        return Verdict(False, ["addresses a model, not a reader (an instruction or chat-template markup)"])
    framed = question if frames_its_answer(body, cited, question) else None
    reasons = unsupported_facts(body, cited, framed)
    negation = negation_problem(body, texts)
    if negation:
        reasons.append(negation)
    source_stems = content_stems(texts)
    for c in cited:  # the name a pronoun stands for, from the title or the sentence before
        if refers_back(c.text):
            source_stems |= content_stems(" ".join(names(c.context)))
    source_stems |= {st for e in entities(body) if _title_subject(body, e, cited) for st in content_stems(e.text)}
    # a date the article backs (its own date, a date line) is cited, whatever words give it
    source_stems |= {st for period in _dates(body, cited)[1] for st in content_stems(period.text)}
    claim_stems = content_stems(body)
    asked = set(question.stems) if question else set()
    if framed is not None:  # the question's own words are the frame, not claims of the cited text
        source_stems = source_stems | asked
    if question is not None and not question.is_yes_no and not (claim_stems - question.stems):
        reasons.append("only repeats the question")  # a yes/no question is answered by restating it
    polarity = polarity_problem(sentence, body, question)
    if polarity:
        reasons.append(polarity)
    if len(words(body)) < rules.min_claim_words or is_fragment(body):
        # "Five days." answers "How long was the strike?": the answer and the question together
        # must be what the cited text says, and the cited text must give no other candidate.
        if not question or not claim_stems or coverage(asked | claim_stems, source_stems) < rules.support_coverage:
            reasons.append("too short to be a claim")
        else:
            other = other_candidates(body, texts, question)
            # the answer is the value the cited text gives beside the asked-about words: the
            # other names or numbers it gives stand elsewhere ("Titov." for "Who said ...?" from
            # "..., Vladimir Titov said in an interview with Rossiyskaya Gazeta daily")
            if other and not any(_the_value_given(body, c.text, question) for c in cited):
                reasons.append(f"a bare answer, and the cited text also gives {other}")
        return Verdict(not reasons, reasons)
    soft: list[str] = []
    lexical = coverage(claim_stems, source_stems)
    lasted = any(duration_paraphrase(body, c.text) for c in cited)
    if lasted:  # "lasted" is the duration the cited text gives, in other words
        source_stems = source_stems | {stem("lasted")}
    if similarity < rules.support_similarity and lexical < rules.similarity_waiver_coverage and not lasted:
        soft.append(f"similarity {similarity:.2f} below {rules.support_similarity}")
    needed = rules.paraphrase_coverage if similarity >= rules.paraphrase_similarity else rules.support_coverage
    if lexical < needed:
        reasons.append(f"only {lexical:.0%} of its words are in the cited text")
    # "Frank-Walter" of a "Steinmeier" the cited sentence names, from its title
    article = _in_article(cited)
    found_names = {st for e in entities(body) if e.found_in(texts) and all(name_in(article, w) for w in e.words)
                   for st in content_stems(e.text)}
    # numbers are checked by value above ("20,000,000" is "20 million"), not as words
    novel = sorted(st for st in claim_stems - source_stems - found_names if not _is_quantity(st))
    # a word of its own may be a synonym ("became" for "was admitted"), but not the sentence's last:
    # English puts its news at the end, and in a sentence not close to its cited text that word is
    # the answer ("The nerve agent used to kill Kim Jong-nam was sarin", similarity 0.74)
    ending = content_sequence(body)[-1:]
    allowed = rules.max_novel_words if similarity >= rules.paraphrase_similarity or novel != ending else 0
    if len(novel) > allowed:
        reasons.append(f"adds what the cited text does not say ({', '.join(novel)})")
    action = new_action(body, source_stems)
    if action and similarity < rules.paraphrase_similarity:
        soft.append(f"says '{action}', which the cited text does not")
    order = max(order_agreement(body, c.text) for c in cited)
    if order < rules.support_order:
        soft.append(f"its words follow the cited text only {order:.0%} of the way (recombined claim)")
    maybe = _SPECULATIVE.search(body)
    if maybe and not _SPECULATIVE.search(texts):
        reasons.append(f"says '{maybe.group(0)}', a possibility the cited text does not raise")
    intent = _INTENTION.search(body)
    if intent and not _INTENTION.search(texts):
        reasons.append(f"says '{intent.group(0)}', an intention the cited text does not state")
    cause = _CAUSAL.search(body)
    if cause and not _CAUSAL.search(texts):
        reasons.append(f"adds a cause ('{cause.group(0)}') the cited text does not give")
    swapped = modifier_swap(body, texts)
    if swapped:
        reasons.append(swapped)
    renumbered = number_swap(body, texts) or other_value(body, cited, question)
    if renumbered:
        reasons.append(renumbered)
    role = role_problem(body, [c.text for c in cited])
    if role:
        reasons.append(role)
    # a sentence that leans on its question's frame must pass every wording proxy itself: a
    # model's reading accepted recombined claims through the frame (pairs, see README)
    return Verdict(not (reasons or soft), reasons + soft, soft_only=bool(soft) and not reasons and framed is None)
