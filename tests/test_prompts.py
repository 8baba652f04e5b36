"""Prompts for base models (GGUF files without a chat template) are built from the same parts as
the chat messages, never re-parsed out of their text."""

from __future__ import annotations

from qa import prompts
from qa.answer import evidence_messages
from qa.evidence import Evidence
from qa.generate import completion_prompt
from qa.summary_mapreduce import summary_messages

QUOTE = "Putin said Russia would release 23 seriously wounded Ukrainian soldiers."


def _evidence(n: int, text: str) -> Evidence:
    return Evidence(1, 1, n, "Title", "a.txt", "para. 1", 0, len(text), text, 0, n=n)


def test_an_answer_prompt_for_a_base_model_has_the_quotes_and_the_question():
    messages = evidence_messages("Who will be released?", [_evidence(1, QUOTE), _evidence(2, "Talks went on.")])
    prompt = completion_prompt(messages)
    assert prompt == prompts.COMPLETION.format(
        evidence=f"[1] {QUOTE}\n[2] Talks went on.", question="Who will be released?")
    assert prompt.endswith("Question: Who will be released?\nAnswer:")


def test_a_summary_prompt_for_a_base_model_is_a_summary_not_an_empty_question():
    prompt = completion_prompt(summary_messages([(3, QUOTE), (7, "Talks went on.")], 2, "the article"))
    assert prompt.endswith(f"Quotes:\n[3] {QUOTE}\n[7] Talks went on.\n\nSummary:")
    assert "summary of the article in 2 short sentences" in prompt
    assert "Question:" not in prompt and prompt.count("Quotes:") == 1


def test_rewording_the_chat_prompt_cannot_break_the_base_model_prompt(monkeypatch):
    monkeypatch.setattr(prompts, "USER", "Here is what the articles say:\n{evidence}\n\nAsked: {question}\n{instruction}")
    prompt = completion_prompt(evidence_messages("Who will be released?", [_evidence(1, QUOTE)]))
    assert f"Quotes:\n[1] {QUOTE}\n\nQuestion: Who will be released?\nAnswer:" in prompt


def test_messages_without_a_completion_prompt_are_read_in_turn():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
    assert completion_prompt(messages) == "Be brief.\n\nSay hello.\n"
