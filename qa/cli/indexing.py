"""`qa index`: add, update or rebuild a collection from files, folders or stdin."""

from __future__ import annotations

import sys
import time

import click

from qa.cli.common import collection_option, emit_json, json_option, note, settings_for
from qa.indexer import IndexReport, Progress


class BarProgress(Progress):
    """Files, passages and ETA on stderr; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.passages = 0
        self.started = time.monotonic()
        self.live = sys.stderr.isatty()

    def start(self, total_files: int) -> None:
        self.total = total_files
        self.started = time.monotonic()

    def advance(self, label: str, passages: int) -> None:
        self.done += 1
        self.passages += passages
        if not self.live:
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        line = (
            f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} files,"
            f" {self.passages} passages, ETA {eta:4.0f}s "
        )
        click.echo(line, err=True, nl=False)

    def finish(self) -> None:
        if self.live and self.done:
            click.echo("", err=True)


def summary_line(report: IndexReport) -> str:
    return (
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged},"
        f" removed {report.removed} documents; {report.passages} passages in {report.seconds:.1f}s"
    )


@click.command("index")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option("--rebuild", is_flag=True, help="Re-split and re-embed every stored document with the current settings.")
@collection_option
@json_option
def index_command(paths: tuple[str, ...], rebuild: bool, collection: str, as_json: bool) -> None:
    """Index article files: .txt, .md, .html/.htm, .pdf. Folders are read recursively; - reads stdin.

    Unchanged files are skipped, changed ones replaced; files gone from an indexed folder are removed.

    \b
    Examples:
      qa index seeds/
      qa index ~/articles/ report.pdf --collection work
      curl -s https://example.org/a.html | qa index -      (on a connected machine)
      qa index --rebuild
    """
    from qa.embed import load_embedder
    from qa.indexer import index_paths

    if not paths and not rebuild:
        raise click.UsageError("give at least one PATH (a file, a folder, or - for stdin), or --rebuild")
    settings = settings_for(collection)
    embedder = load_embedder(settings)
    report = index_paths(
        settings,
        embedder,
        list(paths),
        rebuild=rebuild,
        stdin_bytes=lambda: sys.stdin.buffer.read(settings.max_document_bytes + 1),
        progress=BarProgress(),
    )
    for message in report.notes:
        note(f"note: {message}")
    for message in report.errors:
        note(f"error: {message}")
    if as_json:
        emit_json({"collection": settings.collection, **report.as_dict()})
    note(summary_line(report))
    if report.errors:
        sys.exit(1)
