"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from qa.config import Settings


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


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
