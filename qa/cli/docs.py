"""`qa docs list | show | remove`."""

from __future__ import annotations

from dataclasses import asdict

import click

from qa.cli.common import collection_option, emit_json, json_option, note, settings_for


@click.group("docs", context_settings={"help_option_names": ["-h", "--help"]})
def docs_group() -> None:
    """List, show or remove indexed documents.

    \b
    Examples:
      qa docs list
      qa docs show 1
      qa docs remove 1
      qa docs remove seeds/000_673ab03a832ea504.txt
    """


@docs_group.command("list")
@collection_option
@json_option
def list_command(collection: str, as_json: bool) -> None:
    """List documents: id, passages, date, title, source."""
    from qa.render import date_label
    from qa.store.collection import Collection

    documents = Collection.open_reader(settings_for(collection)).documents()
    if as_json:
        emit_json([asdict(document) for document in documents])
        return
    if not documents:
        note("no documents; index some with: qa index PATH")
    for document in documents:
        dated = date_label(document.date, document.date_source) or "undated"
        click.echo(
            f"{document.id:>5}  {document.passages:>5} passages  {dated:<24}  {document.title[:60]:<60}  {document.source}"
        )


@docs_group.command("show")
@click.argument("document")
@click.option("--text", "with_text", is_flag=True, help="Print the stored text too.")
@collection_option
@json_option
def show_command(document: str, with_text: bool, collection: str, as_json: bool) -> None:
    """Show one document (by id or path): metadata, passages, and optionally its text."""
    from qa.render import document_payload
    from qa.store.collection import Collection, EmptyCollection

    store = Collection.open_reader(settings_for(collection))
    if isinstance(store, EmptyCollection):
        raise click.ClickException(f"collection '{store.name}' is empty; index articles first: qa index PATH")
    row = store.resolve(document)
    payload = document_payload(store, row, with_text=with_text or as_json)
    if as_json:
        emit_json(payload)
        return
    keys = ("id", "title", "source", "format", "date", "date_source", "content_hash", "added_at", "updated_at",
            "passages", "chars")
    for key in keys:
        click.echo(f"{key:13} {payload[key]}")
    for passage in payload["passage_list"]:
        click.echo(f"  [{passage['passage_id']}] {passage['location']:>9}  {' '.join(passage['text'].split())[:90]}")
    if with_text:
        click.echo()
        click.echo(payload["text"])


@docs_group.command("remove")
@click.argument("documents", nargs=-1, required=True)
@collection_option
@json_option
def remove_command(documents: tuple[str, ...], collection: str, as_json: bool) -> None:
    """Remove documents (by id or path) and their vectors, without a rebuild."""
    from qa.embed import load_embedder
    from qa.indexer import remove_documents

    settings = settings_for(collection)
    removed = remove_documents(settings, load_embedder(settings), list(documents))
    if as_json:
        emit_json([{"id": i, "source": s, "passages": n} for i, s, n in removed])
        return
    for doc_id, source, passages in removed:
        note(f"removed document {doc_id} ({source}), {passages} passages")
