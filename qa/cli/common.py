"""Options and output helpers shared by the commands."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from qa.config import Settings
from qa.filters import Filters

if TYPE_CHECKING:
    from qa.dates import Period
    from qa.store.collection import Collection, Scope


def collection_option(function: Callable) -> Callable:
    return click.option(
        "--collection", "-c", default="default", show_default=True, metavar="NAME",
        envvar="QA_COLLECTION", help="Collection to use.",
    )(function)


def json_option(function: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")(function)


def settings_for(collection: str) -> Settings:
    return Settings.from_env(collection)


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def note(message: str) -> None:
    click.echo(message, err=True)


# ----- filters: --source, --since, --until, --doc ------------------------------------------------


class DateBound(click.ParamType):
    """--since / --until: a day, a month or a year; kept as the period it names."""

    name = "DATE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        from qa.dates import BOUND_FORMATS, Period, parse_bound

        if isinstance(value, Period):
            return value
        period = parse_bound(str(value))
        if period is None:
            self.fail(f"{value!r} is not a date; use {BOUND_FORMATS}", param, ctx)
        return period


def filter_options(function: Callable) -> Callable:
    """--source, --since, --until and --doc, handed to the command as one `filters` argument."""

    @functools.wraps(function)
    def command(
        *args: Any, source: tuple[str, ...], since: Period | None, until: Period | None, doc: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        if since and until and since.start > until.end:
            raise click.UsageError(f"--since {since.text} is after --until {until.text}")
        return function(*args, filters=Filters(tuple(source), since, until, tuple(doc)), **kwargs)

    options = [
        click.option(
            "--source", multiple=True, metavar="PATTERN",
            help="Only documents whose source (path, or stdin:HASH) matches PATTERN, ignoring case: a glob"
            " (*.pdf, news/*.html; * also crosses /) matched against the whole path or its last parts, or"
            " else a substring (reuters). Repeat for any of several.",
        ),
        click.option(
            "--since", type=DateBound(), metavar="DATE",
            help="Only documents dated DATE or later: 2017-03-17, 2017-03 (from the 1st), 2017, 'March 2017'."
            " A document's date is its metadata's, a date line near its top, or else its file's modification"
            " day; documents with no date are left out (a note says how many).",
        ),
        click.option(
            "--until", type=DateBound(), metavar="DATE",
            help="Only documents dated DATE or earlier, inclusive: 2017-03 runs to the 31st, 2017 to"
            " December 31. Undated documents are left out, as with --since.",
        ),
        click.option(
            "--doc", multiple=True, metavar="ID",
            help="Only this document: an id or path (see `qa docs list`). Repeat for several."
            " Different filters must all hold.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def open_scope(store: Collection, filters: Filters) -> Scope | None:
    """The documents the filters leave in `store` (None without filters); notes on stderr how many
    undated documents a date bound left out. An unknown --doc is an error (exit 1)."""
    from qa.filters import choose_documents

    sources = tuple(_absolute(pattern) for pattern in filters.sources)
    scope = choose_documents(store, replace(filters, sources=sources))
    if scope is not None and scope.undated and not scope.empty:
        note(f"note: {scope.undated_note()}")
    return scope


def _absolute(pattern: str) -> str:
    """A pattern the shell did not expand but the user wrote as a path: ~/news/*, ./news/*."""
    if pattern.startswith(("~", "./", "../")) or pattern in (".", ".."):
        return os.path.abspath(os.path.expanduser(pattern))
    return pattern
