"""Map-reduce over the model: groups of numbered quotes in, verified sentences under the same numbers out."""

from __future__ import annotations

from collections.abc import Callable

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
        valid = {n for n, _ in labelled}
        draft = generate_text(
            generator, summary_messages(labelled, count, scope), max_tokens=max_tokens,
            grammar=prompts.answer_grammar(sorted(valid), max_sentences=count), on_text=on_text,
        )
        if on_text:
            on_text("\n")
        # verified against `pool`, the original sentences, whatever the step was shown
        return check_sentences(parse_answer(draft, valid), pool, similarity, policy=policy.verify)

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
