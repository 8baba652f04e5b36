"""`qa summarize`: a cited summary of one document, the whole collection, or a topic."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, cast

import click

from qa.cli.common import collection_option, emit_json, filter_options, json_option, open_scope

if TYPE_CHECKING:
    from qa.filters import Filters


@click.command("summarize")
@click.argument("document", required=False)
@click.option("--all", "whole", is_flag=True, help="Summarize the whole collection.")
@click.option("--about", metavar="TOPIC", help="Summarize what the articles say about TOPIC.")
@click.option("--sentences", "sentence_count", default=5, show_default=True, type=click.IntRange(1, 30), help="Summary length in sentences.")
@click.option("--words", "word_count", type=click.IntRange(10, 2000), help="Summary length in words (instead of --sentences).")
@click.option("--model", metavar="PATH", help="GGUF model file (default: QA_MODEL, models/*.gguf, bundled).")
@click.option("--max-tokens", type=click.IntRange(16, 4096),
              help="Longest text per model call.  [default: policy summary.draft_tokens_per_sentence × sentences]")
@click.option("--stream/--no-stream", default=True, show_default=True, help="Show drafts while they are generated (terminal only).")
@filter_options
@collection_option
@json_option
def summarize_command(
    document: str | None, whole: bool, about: str | None, sentence_count: int, word_count: int | None, model: str | None,
    max_tokens: int | None, stream: bool, filters: Filters, collection: str, as_json: bool,
) -> None:
    """Write a summary in which every sentence cites a passage and is checked against it.

    DOCUMENT is a document id or path (see `qa docs list`); or use --all or --about TOPIC.
    Sentences the model cannot support are replaced by quoted central sentences.

    --source, --since, --until and --doc choose the documents for --all and --about; --doc
    alone summarizes the documents it names together (DOCUMENT takes no filters).

    \b
    Examples:
      qa summarize 1
      qa summarize seeds/000_673ab03a832ea504.txt --sentences 3
      qa summarize --all --words 120
      qa summarize --about "prisoner exchanges" --json
      qa summarize --all --since 2017-03 --until 2017-03
      qa summarize --doc 3 --doc 7 --sentences 4
    """
    from qa.cli.ask import LiveDraft, open_for_answers
    from qa.cli.lookup import check_free_text
    from qa.render import answer_payload, answer_text, cited_dates
    from qa.summarize import Request, summarize

    if document and filters.given:
        raise click.UsageError(
            "DOCUMENT names one document already; --source, --since, --until and --doc choose documents"
            " for --all and --about (or give --doc alone)"
        )
    whole = whole or (bool(filters.docs) and not document and about is None)  # --doc alone: those documents
    chosen = [bool(document), whole, about is not None]
    if sum(chosen) != 1:
        raise click.UsageError("give exactly one of DOCUMENT, --all or --about TOPIC")
    if about is not None:
        check_free_text(about, "--about TOPIC")
    scope, target = ("document", document) if document else ("collection", collection) if whole else ("topic", about)
    store, embedder, generator = open_for_answers(collection, model)
    chosen_documents = open_scope(store, filters)
    draft = LiveDraft(stream and not as_json and sys.stdout.isatty())
    request = Request(scope, cast(str, target), sentence_count, word_count)  # exactly one was given (checked above)
    result = summarize(request, store, embedder, generator, max_tokens=max_tokens, on_text=draft, scope=chosen_documents)
    draft.erase()
    dates = cited_dates(store, result)
    if as_json:
        emit_json(answer_payload(result, dates))
    else:
        click.echo(answer_text(result, dates))
