"""`qa serve`: the local reader, a web page for asking, summarizing and managing a collection."""

from __future__ import annotations

import errno
import secrets
import socket
import threading
from pathlib import Path

import click

from qa.cli.common import collection_option, note, settings_for

LOOPBACK = "127.0.0.1"


@click.command("serve")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--host", default=LOOPBACK, show_default=True,
              help="Address to listen on. Anything but 127.0.0.1 exposes the collection to the network.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser once ready.")
@click.option("--allow-path", "allow_paths", multiple=True, metavar="FOLDER",
              type=click.Path(exists=True, file_okay=False), help="A folder the page may index files from"
              " by path (repeatable). Without it, files can only be uploaded.")
@click.option("--model", metavar="PATH", help="GGUF model file (default: QA_MODEL, models/*.gguf, bundled).")
@collection_option
def serve_command(
    port: int, host: str, open_browser: bool, allow_paths: tuple[str, ...], model: str | None, collection: str
) -> None:
    """Serve a local web page to ask questions, read summaries and manage documents.

    Every [n] in an answer opens its article with the quoted sentence highlighted. The models stay
    loaded, so answers after the first skip the start-up a `qa ask` pays. Stop with Ctrl-C.
    The HTTP API behind the page is described at /openapi.json and in docs/serve.md.

    \b
    Examples:
      qa serve
      qa serve --port 9000 --open
      qa serve --collection news --allow-path ~/news
    """
    import uvicorn

    from qa.embed import load_embedder
    from qa.generate import load_generator
    from qa.seeds import fill_empty_default
    from qa.serve.app import ServerConfig, create_app, loopback_hosts
    from qa.serve.engine import Engine, IndexJobs

    if host != LOOPBACK:
        note(f"warning: listening on {host}: anyone who can reach this port can read, add and remove"
             " documents in this collection")
    listener = _listen(host, port)
    port = listener.getsockname()[1]
    settings = settings_for(collection)
    embedder = load_embedder(settings)
    generator = load_generator(model, settings.model, threads=settings.threads)
    fill_empty_default(settings, embedder, note)
    engine = Engine(settings, embedder, generator)
    engine.warm_up()
    jobs = IndexJobs(settings, embedder)
    config = ServerConfig(
        allowed_hosts=loopback_hosts(host, port), token=secrets.token_urlsafe(24),
        allow_paths=tuple(Path(folder).expanduser().resolve() for folder in allow_paths),
        uploads=(settings.home / "uploads" / settings.collection).resolve(),
        max_upload_bytes=settings.max_document_bytes,
    )
    app = create_app(engine, jobs, config)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3))
    note(f"qa serve: listening on {url}")
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, (url,)).start()
    try:
        server.run(sockets=[listener])
    finally:
        jobs.close()
        engine.close()
        note("qa serve: stopped")


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened before the models load, so a busy port fails at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(f"port {port} is in use; choose another with --port") from None
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    listener.listen(64)
    return listener
