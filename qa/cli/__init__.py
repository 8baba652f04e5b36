"""The `qa` command line: a lazy group, so `qa --help` imports no heavy library."""

from __future__ import annotations

import errno
import importlib
import os
import re
import sqlite3
import sys
from typing import Any

import click

from qa import __version__

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# command name -> "module:attribute", imported only when that command runs or shows its help
COMMANDS = {
    "index": ("qa.cli.indexing:index_command", "Index article files (txt, md, html, pdf)."),
    "search": ("qa.cli.lookup:search_command", "Show the passages that best match a query."),
    "docs": ("qa.cli.docs:docs_group", "List, show or remove indexed documents."),
    "stats": ("qa.cli.lookup:stats_command", "Show what a collection holds and how it was built."),
    "ask": ("qa.cli.ask:ask_command", "Answer a question with cited, verified sentences."),
    "doctor": ("qa.cli.doctor:doctor_command", "Check the set-up and every collection; --repair rebuilds."),
    "models": ("qa.cli.ask:models_command", "List the GGUF answer models qa can find."),
    "summarize": ("qa.cli.summarize:summarize_command", "Write a cited summary of a document, the collection or a topic."),
    "eval": ("qa.cli.eval:eval_command", "Score retrieval and answers on a JSONL file of questions."),
    "serve": ("qa.cli.serve:serve_command", "Ask in the browser; click a citation to see it in its article."),
}


_NO_SPACE = os.strerror(errno.ENOSPC)


def _disk_full(detail: str) -> str:
    # every write commits whole or not at all (store.collection), so a failed one loses nothing
    return f"the disk is full ({detail}); free space and run the command again; nothing committed was lost"


def _first_database_error(exc: sqlite3.DatabaseError) -> sqlite3.DatabaseError:
    """SQLite rolls a transaction back by itself when the disk fills up, so the ROLLBACK after it
    fails with "no transaction is active": the error that says what happened is the one before."""

    while "no transaction is active" in str(exc) and isinstance(exc.__context__, sqlite3.DatabaseError):
        exc = exc.__context__
    return exc


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above, so listing commands imports none of them.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3

        from qa.errors import QAError

        try:
            return super().invoke(ctx)
        except QAError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            # found past opening: damage in a page only a query reads, or a disk that filled up
            from qa.store.collection import database_error

            raise click.ClickException(str(database_error(_first_database_error(exc), None))) from None
        except OSError as exc:
            # the machine's refusals (disk full, read-only or missing folders, permissions) are not bugs
            if exc.errno is None:
                raise
            if isinstance(exc, BrokenPipeError):  # `qa search ... | head`: the reader has gone
                sys.exit(0)
            where = f": {exc.filename}" if exc.filename else ""
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise click.ClickException(_disk_full(f"{exc.strerror or exc}{where}")) from None
            raise click.ClickException(f"{exc.strerror or exc}{where}") from None
        except RuntimeError as exc:
            # faiss reports a failed write as a RuntimeError with the system's reason in its text
            if _NO_SPACE not in str(exc):
                raise
            written = re.search(r"write error in (.+?): \d+ != \d+", str(exc))
            where = f": {written.group(1)}" if written else ""
            raise click.ClickException(_disk_full(f"{_NO_SPACE}{where}")) from None
        except KeyboardInterrupt:
            click.echo("interrupted; the index keeps its last committed state", err=True)
            sys.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="qa")
def main() -> None:
    """Ask questions of your own articles, offline, with every sentence cited and checked.

    \b
    Quick start:
      qa ask "What prisoner exchanges were agreed?"
      qa index ~/articles/
      qa search "prisoner exchange"

    The index lives in $QA_HOME (default: the platform's user data folder).
    """
