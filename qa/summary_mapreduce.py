"""Map-reduce over the model: groups of numbered quotes in, verified sentences under the same numbers out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qa import evidence as ev
from qa import prompts
from qa.citations import parse_answer
from qa.generate import Generator, Message, generate_text
from qa.grounding import CheckedSentence, Similarity, check_sentences
from qa.policy import AnswerPolicy


def groups(labelled: list[tuple[int, str]], limit: int) -> list[list[tuple[int, str]]]:
    """Consecutive (number, text) items in groups of at most `limit` characters (at least one each)."""
    out: list[list[tuple[int, str]]] = [[]]
    size = 0
    for number, text in labelled:
        if out[-1] and size + len(text) > limit:
            out.append([])
            size = 0
        out[-1].append((number, text))
        size += len(text)
    return [group for group in out if group]


def summary_messages(labelled: list[tuple[int, str]], count: int, scope: str) -> list[Message]:
    quoted = "\n".join(f"[{n}] {' '.join(text.split())}" for n, text in labelled)
    return [
        {"role": "system", "content": prompts.SUMMARY_SYSTEM.format(count=count)},
        {"role": "user", "content": prompts.SUMMARY_USER.format(evidence=quoted, scope=scope, count=count),
         prompts.COMPLETION_KEY: prompts.SUMMARY_COMPLETION.format(evidence=quoted, scope=scope, count=count)},
    ]


class _CheckedDraft:
    """A map or reduce step's draft, verified sentence by sentence as each citation closes, so
    that drafting stops once the sentences keep failing (the quotes complete the summary)."""

    def __init__(
        self, numbers: dict[int, int], pool: list[ev.Evidence], similarity: Similarity, policy: AnswerPolicy
    ) -> None:
        self.numbers = numbers  # the number the model was shown -> the quote's own number
        self.pool, self.similarity, self.policy = pool, similarity, policy
        self.sentences: list[CheckedSentence] = []
        self._closed = 0  # citations closed in the draft so far

    def failing(self) -> bool:
        """Failed sentences outnumber verified ones by the policy's margin."""
        failed = sum(not sentence.supported for sentence in self.sentences)
        return failed - (len(self.sentences) - failed) >= self.policy.summary.draft_failure_margin

    def read(self, draft: str) -> bool:
        """The draft so far; True when drafting should stop."""
        closed = draft.count("]")
        if closed == self._closed:
            return False
        self._closed = closed
        self._check(_closed_part(draft))
        return self.failing()

    def finish(self, draft: str) -> list[CheckedSentence]:
        # stopped: the sentence begun after the last check is dropped unread
        self._check(_closed_part(draft) if self.failing() else draft)
        return self.sentences

    def _check(self, text: str) -> None:
        # verified against `pool`, the original sentences, whatever the step was shown
        new = [replace(sentence, citations=[self.numbers[n] for n in sentence.citations])
               for sentence in parse_answer(text, set(self.numbers))[len(self.sentences) :]]
        self.sentences += check_sentences(new, self.pool, self.similarity, policy=self.policy.verify)


def _closed_part(draft: str) -> str:
    return draft[: draft.rfind("]") + 1]


def map_reduce(
    pool: list[ev.Evidence],
    count: int,
    scope: str,
    generator: Generator,
    similarity: Similarity,
    max_tokens: int,
    policy: AnswerPolicy,
    on_text: Callable[[str], None] | None = None,
) -> list[CheckedSentence]:
    """All generated sentences of the final step, each verified against the original quotes."""

    def step(labelled: list[tuple[int, str]]) -> list[CheckedSentence]:
        # the model sees the quotes numbered 1, 2, 3...: a small model copies the pattern of the
        # numbers it is shown, and gaps in them (quotes left out) made it cite worse
        numbers = {shown: n for shown, (n, _) in enumerate(labelled, 1)}
        checked = _CheckedDraft(numbers, pool, similarity, policy)
        shown_quotes = [(shown, text) for shown, (_, text) in enumerate(labelled, 1)]
        draft = generate_text(
            generator, summary_messages(shown_quotes, count, scope), max_tokens=max_tokens,
            grammar=prompts.answer_grammar(sorted(numbers), max_sentences=count), on_text=on_text, stop=checked.read,
        )
        if on_text:
            on_text("\n")
        return checked.finish(draft)

    limit = policy.summary.group_chars
    layer = groups([(item.n, item.text) for item in pool], limit)
    for _ in range(policy.summary.max_layers):
        results = [step(labelled) for labelled in layer]
        if len(layer) == 1:
            return results[0]
        # reduce: the verified sentences, each under the original number it cites
        merged: dict[int, list[str]] = {}
        for sentence in (s for result in results for s in result if s.supported):
            merged.setdefault(sentence.citations[0], []).append(sentence.text)
        if not merged:
            return [s for result in results for s in result]
        layer = groups(sorted((n, " ".join(texts)) for n, texts in merged.items()), limit)
    return [s for result in results for s in result]
