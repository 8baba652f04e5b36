"""The generator seam: `generate(messages, ...) -> iterator of text`, filled by llama-cpp-python."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from qa import prompts
from qa.config import generation_threads
from qa.errors import QAError
from qa.gguf import GGUFInfo
from qa.injection import neutralize
from qa.models import check_model, resolve_model

Message = dict[str, str]

# llama.cpp's repetition penalty, over the last 64 tokens generated, in every call
REPEAT_PENALTY = 1.1


class Generator(Protocol):
    name: str

    def generate(
        self, messages: list[Message], *, max_tokens: int, grammar: str | None = None
    ) -> Iterator[str]: ...


GeneratorFactory = Callable[[str], Generator]
_FACTORIES: dict[str, GeneratorFactory] = {}


def register_generator(scheme: str, factory: GeneratorFactory) -> Callable[[], None]:
    """Make `--model scheme:arg` (or QA_MODEL) build a generator with `factory` (used by tests);
    returns the call that takes it away again."""
    _FACTORIES[scheme] = factory

    def unregister() -> None:
        _FACTORIES.pop(scheme, None)

    return unregister


def load_generator(flag: str | None, env: str | None, n_ctx: int = 2048, threads: int | None = None) -> Generator:
    spec = flag or env
    if spec and ":" in spec and spec.split(":", 1)[0] in _FACTORIES:
        scheme, arg = spec.split(":", 1)
        return _FACTORIES[scheme](arg)
    choice = resolve_model(flag, env)
    return LlamaGenerator(check_model(choice), n_ctx=n_ctx, threads=threads)


class LlamaGenerator:
    """A GGUF model on the CPU; its own chat template when it has one, a plain prompt otherwise."""

    def __init__(self, info: GGUFInfo, n_ctx: int = 2048, threads: int | None = None) -> None:
        self.info = info
        self.threads = threads
        self.name = info.path.name
        self.n_ctx = min(n_ctx, info.context_length or n_ctx)

    @cached_property
    def _llama(self) -> Any:  # llama_cpp.Llama; its typed dicts do not fit the messages and options built here
        from llama_cpp import Llama

        threads = generation_threads(self.threads)
        try:
            return Llama(
                model_path=str(self.info.path), n_ctx=self.n_ctx, n_threads=threads,
                n_threads_batch=threads, seed=0, verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise QAError(
                f"could not load model {self.info.path} ({exc}); the file may be truncated or for a"
                " newer llama.cpp: download it again or choose another with --model / QA_MODEL"
            ) from None

    def load(self) -> None:
        self._llama  # noqa: B018 - load now, so timings separate loading from generating

    @property
    def parameters(self) -> int:
        return self.info.parameters

    def judge(self, claim: str, quote: str, title: str) -> bool | None:
        """Does `quote` state everything `claim` says, in this model's reading? None for a base
        model, which does not follow the instruction."""
        if not self.info.chat_template:
            return None
        messages = [
            {"role": "system", "content": prompts.JUDGE_SYSTEM},
            {"role": "user", "content": prompts.JUDGE_USER.format(title=title, quote=quote, claim=claim)},
        ]
        answer = "".join(self.generate(messages, max_tokens=2, grammar=prompts.JUDGE_GRAMMAR))
        return answer.strip() == "yes"

    def plain_text(self, text: str) -> str:
        """`text` as the model must read it: data. llama-cpp-python tokenizes the rendered chat
        prompt with special=True, so an article's `<|im_start|>` would become a real turn marker;
        known markup is rewritten first, then any other piece this model's tokenizer would read
        as a special token (its vocabulary decides) is broken with a space."""
        text = neutralize(text)
        llama = self._llama
        for _ in range(3):
            data = text.encode("utf-8")
            special = llama.tokenize(data, add_bos=False, special=True)
            if special == llama.tokenize(data, add_bos=False, special=False):
                return text
            pieces = {llama.detokenize([t], special=True).decode("utf-8", "ignore") for t in special
                      if not llama.detokenize([t], special=False)}
            for piece in sorted(p for p in pieces if len(p) > 1):
                text = text.replace(piece, piece[0] + " " + piece[1:])
        return text

    def generate(self, messages: list[Message], *, max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        from qa.grammar_filter import GrammarFilter

        # the grammar checks the likely tokens first (qa/grammar_filter.py), not the whole vocabulary
        constraint = GrammarFilter(self._llama, grammar, REPEAT_PENALTY) if grammar else None
        options = dict(
            max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=REPEAT_PENALTY, stream=True,
            logits_processor=LogitsProcessorList([constraint]) if constraint else None,
        )
        try:
            if self.info.chat_template:
                chat = [{"role": m["role"], "content": self.plain_text(m["content"])} for m in messages]
                stream = self._llama.create_chat_completion(messages=chat, **options)
                for chunk in stream:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            else:
                prompt = self.plain_text(completion_prompt(messages))
                stream = self._llama.create_completion(prompt=prompt, stop=["\n\n", "Question:"], **options)
                for chunk in stream:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
        finally:
            if constraint is not None:
                constraint.close()


def generate_text(
    generator: Generator,
    messages: list[Message],
    *,
    max_tokens: int,
    grammar: str | None,
    on_text: Callable[[str], None] | None = None,
    stop: Callable[[str], bool] | None = None,
) -> str:
    """Run the generator to the end, or until `stop` says the text so far is enough, passing each
    piece to `on_text` as it arrives."""
    text = ""
    for piece in generator.generate(messages, max_tokens=max_tokens, grammar=grammar):
        text += piece
        if on_text:
            on_text(piece)
        if stop is not None and stop(text):
            break
    return text


def completion_prompt(messages: list[Message]) -> str:
    """Base models: the completion prompt the caller built from the same parts as the messages
    (never re-parsed out of the chat text, which a reworded prompt would silently break); without
    one, the messages' text in turn."""
    for message in messages:
        if message.get(prompts.COMPLETION_KEY):
            return message[prompts.COMPLETION_KEY]
    return "\n\n".join(message["content"] for message in messages) + "\n"


def model_path_label(generator: Generator) -> str:
    info = getattr(generator, "info", None)
    return str(Path(info.path)) if info else generator.name
