"""A scripted generator: returns canned text, registered through the same seam as llama.cpp."""

from __future__ import annotations

from collections.abc import Callable, Iterator

# a fixed text, or a function of the messages (for map-reduce steps that see different quotes)
SCRIPTS: dict[str, str | Callable[[list[dict[str, str]]], str]] = {}
# the max_tokens of every call, in order
BUDGETS: list[int] = []


class ScriptedGenerator:
    def __init__(self, script: str) -> None:
        self.name = f"scripted:{script}"
        self.script = script
        self.calls: list[list[dict[str, str]]] = []

    def generate(self, messages, *, max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        self.calls.append(messages)
        BUDGETS.append(max_tokens)
        script = SCRIPTS[self.script]
        text = script(messages) if callable(script) else script
        for start in range(0, len(text), 7):  # stream in small pieces, like a real model
            yield text[start : start + 7]
