"""`qa search` and `qa stats`: read-only views of a collection."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import click

from qa.cli.common import collection_option, emit_json, filter_options, json_option, open_scope, settings_for

if TYPE_CHECKING:
    from qa.filters import Filters
    from qa.retrieve import Hit


def hit_as_dict(rank: int, hit: Hit) -> dict:
    from qa.retrieve import same_words

    passage = hit.passage
    return {
        "rank": rank,
        "score": round(hit.score, 4),
        "passage_id": passage.id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "location": passage.location,
        "paragraph": passage.paragraph,
        "page": passage.page,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "date": passage.document_date,
        "date_source": passage.date_source,
        # the same words or nearly the same content in other passages, folded into this hit
        "copies": [
            {"passage_id": c.id, "doc_id": c.doc_id, "title": c.title, "source": c.source, "location": c.location,
             "date": c.document_date, "same_text": same_words(c, passage)}
            for c in hit.copies
        ],
    }


def also_in(hit: Hit, shown: int = 3) -> str:
    """Where a hit's copies are: "same text also in: Title (doc 12) and 5 more; nearly the same in:
    Other (doc 40); overlaps para. 4 of this article"."""
    from qa.retrieve import same_words

    elsewhere = [c for c in hit.copies if c.doc_id != hit.passage.doc_id]
    same = [c for c in elsewhere if same_words(c, hit.passage)]
    near = [c for c in elsewhere if not same_words(c, hit.passage)]
    parts = []
    for label, copies in (("same text also in", same), ("nearly the same in", near)):
        if copies:
            more = f" and {len(copies) - shown} more" if len(copies) > shown else ""
            parts.append(f"{label}: " + ", ".join(f"{c.title} (doc {c.doc_id})" for c in copies[:shown]) + more)
    here = [c.location for c in hit.copies if c.doc_id == hit.passage.doc_id]
    if here:  # an overlapping window of the same article
        parts.append(f"overlaps {', '.join(here)} of this article")
    return "; ".join(parts)


def check_free_text(text: str, what: str) -> None:
    """QUERY / TOPIC as the user typed it: exit 2 when empty; exit 1, one line, when too long, without
    words, or in a script qa cannot match at all; a note when only some words cannot be matched."""
    from qa.question import question_problem, script_problem

    problem = question_problem(text, what)
    if problem and not text.strip():
        raise click.UsageError(problem)
    error, warning = script_problem(text, what) if not problem else (None, None)
    reason = problem or error
    if reason:
        raise click.ClickException(reason)
    if warning:
        click.echo(warning, err=True)


@click.command("search")
@click.argument("query")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 1000), help="Number of passages.")
@click.option("--method", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True,
              help="Ranking: both searches fused (what qa ask reads), or one alone, to compare.")
@filter_options
@collection_option
@json_option
def search_command(query: str, k: int, method: str, filters: Filters, collection: str, as_json: bool) -> None:
    """Show the passages that best match QUERY (dense + keyword search, fused).

    Filters are applied before the best k are chosen: -k 5 gives 5 passages when 5 match.
    Text pasted to find its article (a headline, a sentence: not a question) is ranked by its
    keywords first, the dense search filling in what they miss. A question's best 20 fused
    passages are re-ordered by their best sentence for it (the asked-for name, number or date
    beside the asked-about words first).

    \b
    Examples:
      qa search "prisoner exchange"
      qa search "energy infrastructure" -k 3 --json
      qa search "ceasefire" --since 2017-03 --until 2017-03-31
      qa search "sanctions" --source '*.pdf' --source reuters
      qa search "prisoner exchange" --method keyword
    """
    from qa.embed import load_embedder
    from qa.indexer import manifest_for
    from qa.render import date_label
    from qa.retrieve import search
    from qa.store.collection import Collection, EmptyCollection

    check_free_text(query, "QUERY")
    settings = settings_for(collection)
    embedder = load_embedder(settings)
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    if isinstance(store, EmptyCollection):
        raise click.ClickException(
            f"collection '{settings.collection}' is empty; index articles first: qa index PATH"
        )
    scope = open_scope(store, filters)
    if scope is not None and scope.empty:
        raise click.ClickException(scope.nothing_matches())
    hits = search(store, embedder, query, k, method=method, scope=scope)
    if as_json:
        emit_json({"query": query, "collection": settings.collection, "method": method,
                   "hits": [hit_as_dict(i, h) for i, h in enumerate(hits, 1)]})
        return
    if not hits:
        click.echo("no passages found", err=True)
    for rank, hit in enumerate(hits, 1):
        passage = hit.passage
        dated = date_label(passage.document_date, passage.date_source)
        where = ", ".join(part for part in (passage.location, f"doc {passage.doc_id}", dated) if part)
        click.echo(click.style(f"[{rank}] {hit.score:.3f}  {passage.title} ({where})", bold=True))
        click.echo(textwrap.indent(textwrap.fill(" ".join(passage.text.split()), 100), "    "))
        if hit.copies:
            click.echo(textwrap.indent(textwrap.fill(also_in(hit), 100), "    "))
        click.echo()


@click.command("stats")
@collection_option
@json_option
def stats_command(collection: str, as_json: bool) -> None:
    """Show what a collection holds, where it lives and how it was built.

    \b
    Examples:
      qa stats
      qa stats --collection work --json
    """
    from qa.store.collection import Collection

    settings = settings_for(collection)
    stats = Collection.open_reader(settings).stats()
    if as_json:
        emit_json(stats)
        return
    for key in ("collection", "path", "documents", "passages", "repeated_passages", "sentences", "characters", "generation",
                "disk_bytes"):
        click.echo(f"{key:18} {stats[key]}")
    manifest = stats["manifest"] or {}
    for key, value in manifest.items():
        click.echo(f"{key:18} {value}")
