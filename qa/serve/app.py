"""The HTTP API and the page of `qa serve` (FastAPI): the same JSON as the CLI's `--json`."""

from __future__ import annotations

import hmac
import json
import os
import queue
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from qa.errors import NoSuchDocumentError, QAError
from qa.filters import Filters
from qa.indexer import inside
from qa.ingest.readers import SUPPORTED_SUFFIXES
from qa.serve.engine import EmptyCollectionError, Engine, IndexJobs
from qa.store.collection import Collection

if TYPE_CHECKING:
    from qa.config import Settings

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
TOKEN_HEADER = "X-QA-Token"
TOKEN_PLACEHOLDER = "__QA_TOKEN__"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# What a file name may hold once stored under QA_HOME/uploads: no folders, no leading dot.
_SAFE_NAME = re.compile(r"[^\w.\- ()]+")
# How much of an upload is looked at to tell text from binary.
SNIFF_BYTES = 8192
NDJSON = "application/x-ndjson"


@dataclass(frozen=True)
class ServerConfig:
    """What the app needs to know of how it was started."""

    allowed_hosts: frozenset[str]  # Host headers accepted; empty: any (the user chose --host)
    token: str
    allow_paths: tuple[Path, ...]  # resolved folders that /api/index may read under
    uploads: Path  # QA_HOME/uploads/COLLECTION
    max_upload_bytes: int


class FilterFields(BaseModel):
    sources: list[str] = Field(default=[], description="Source patterns, as --source: a glob or a substring.")
    since: str | None = Field(default=None, description="As --since: 2017-03-17, 2017-03, 2017, 'March 2017'.")
    until: str | None = Field(default=None, description="As --until, inclusive.")
    docs: list[str] = Field(default=[], description="Document ids or sources, as --doc.")
    stream: bool = Field(default=True, description="NDJSON events (draft pieces, then the answer) or one JSON object.")


class AskBody(FilterFields):
    question: str = Field(description="The question, as `qa ask QUESTION`.")
    k: int | None = Field(default=None, ge=1, le=50, description="Passages to retrieve [5; 10 for a list question].")
    max_tokens: int = Field(default=96, ge=8, le=2048, description="Longest generated answer.")


class SummarizeBody(FilterFields):
    scope: Literal["document", "collection", "topic"]
    target: str = Field(default="", description="A document id or source (document), the topic (topic).")
    sentences: int = Field(default=5, ge=1, le=30)
    words: int | None = Field(default=None, ge=10, le=2000)
    max_tokens: int | None = Field(default=None, ge=16, le=4096,
                                   description="Longest text per model call (default: the policy's summary.draft_tokens_per_sentence × sentences).")


class IndexBody(BaseModel):
    path: str = Field(description="A file or folder on this machine, under a folder given with --allow-path.")


def create_app(engine: Engine, jobs: IndexJobs, config: ServerConfig) -> FastAPI:
    # no /docs or /redoc: those pages load their scripts from a CDN; the spec is at /openapi.json
    app = FastAPI(title="qa", summary="Ask questions of your own articles; every sentence cited and checked.",
                  docs_url=None, redoc_url=None)
    settings = engine.settings
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, config.token)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = request.headers.get("host", "")
        if config.allowed_hosts and host not in config.allowed_hosts:
            return _error(403, f"this server answers only as {' or '.join(sorted(config.allowed_hosts))}, not {host!r}")
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{host}":
            return _error(403, f"requests from {origin} are not accepted; use the page this server gives")
        if request.method in STATE_CHANGING:
            given = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), config.token.encode()):
                return _error(403, f"missing or wrong {TOKEN_HEADER} header; reload the page")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def one_line_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            if tuple(error.get("loc", ())) == ("body",):  # not JSON, or not an object
                return _error(422, "the body must be a JSON object, sent with Content-Type: application/json")
            where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query"))
            problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
        return _error(422, "; ".join(problems) or "invalid request")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info", summary="The collection, its size and the models in use")
    def info() -> dict:
        from qa.policy import default_policy

        with _RequestReader(settings) as store:
            stats = store.stats()
        return {
            "collection": settings.collection, "documents": stats["documents"], "passages": stats["passages"],
            "model": engine.generator.name, "embedder": engine.embedder.name, "policy": default_policy().label(),
            "allow_paths": [str(path) for path in config.allow_paths], "max_upload_bytes": config.max_upload_bytes,
        }

    @app.post("/api/ask", summary="Answer a question; NDJSON events (draft, then answer) or one JSON object")
    def ask(body: AskBody) -> Response:
        _check_text(body.question, "question")
        events: queue.Queue = queue.Queue()
        work = engine.ask(body.question, _filters(body), body.k, body.max_tokens, _drafts(events))
        return _respond(engine.submit(work), events, body.stream)

    @app.post("/api/summarize", summary="A cited summary of a document, the collection or a topic")
    def summarize(body: SummarizeBody) -> Response:
        filters = _filters(body)
        if body.scope == "document" and filters.given:
            raise HTTPException(400, "a document summary takes no filters; use scope 'collection' with docs")
        if body.scope != "collection":
            _check_text(body.target, "target")
        events: queue.Queue = queue.Queue()
        work = engine.summarize(body.scope, body.target.strip(), filters, body.sentences, body.words,
                                body.max_tokens, _drafts(events))
        return _respond(engine.submit(work), events, body.stream)

    @app.get("/api/documents", summary="Indexed documents, as `qa docs list --json`")
    def documents() -> list[dict]:
        with _RequestReader(settings) as store:
            return [asdict(document) for document in store.documents()]

    @app.get("/api/documents/{doc_id}", summary="One document with its passages and text, as `qa docs show --json`")
    def document(doc_id: int) -> dict:
        from qa.render import document_payload

        with _RequestReader(settings) as store:
            row = store.document(doc_id)
            if row is None:
                raise HTTPException(404, f"no document {doc_id} in collection '{settings.collection}'")
            return document_payload(store, row, with_text=True)

    @app.delete("/api/documents/{doc_id}", summary="Remove a document and its vectors (and its uploaded file)")
    def remove(doc_id: int) -> dict:
        # looked up in a reader first: a writer would create the database of an absent collection
        with _RequestReader(settings) as store:
            if store.document(doc_id) is None:
                raise HTTPException(404, f"no document {doc_id} in collection '{settings.collection}'")
        removed = jobs.remove(doc_id)
        for _, source, _ in removed:
            if Path(source).parent == config.uploads:
                Path(source).unlink(missing_ok=True)
        return {"removed": [{"id": i, "source": s, "passages": n} for i, s, n in removed]}

    @app.post("/api/uploads", status_code=202, summary="Upload a file (the raw bytes) and index it")
    async def upload(request: Request, filename: str = Query(description="The file's name, e.g. report.html")) -> dict:
        name = _upload_name(filename)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > config.max_upload_bytes:
            raise HTTPException(413, _too_large(config.max_upload_bytes))
        config.uploads.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=config.uploads, prefix=".upload-")
        try:
            size, head = 0, b""
            with os.fdopen(handle, "wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > config.max_upload_bytes:
                        raise HTTPException(413, _too_large(config.max_upload_bytes))
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    out.write(chunk)
            _check_content(name, head, size)
            target = config.uploads / name
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return {"job": jobs.start("upload", name, target, within=(config.uploads,)).as_dict()}

    @app.post("/api/index", status_code=202, summary="Index a file or folder on this machine (under --allow-path)")
    def index_path(body: IndexBody) -> dict:
        if not config.allow_paths:
            raise HTTPException(403, "indexing by path is off; start the server with --allow-path FOLDER")
        try:
            resolved = Path(body.path).expanduser().resolve(strict=True)
        except (OSError, RuntimeError):
            raise HTTPException(404, f"{body.path}: no such file or folder") from None
        if not inside(resolved, config.allow_paths):
            allowed = ", ".join(str(folder) for folder in config.allow_paths)
            raise HTTPException(403, f"{body.path} is outside the folders this server may read ({allowed})")
        return {"job": jobs.start("path", str(resolved), resolved, within=config.allow_paths).as_dict()}

    @app.get("/api/jobs", summary="Indexing jobs, newest last")
    def job_list() -> list[dict]:
        return [job.as_dict() for job in jobs.all()]

    @app.get("/api/jobs/{job_id}", summary="One indexing job's progress")
    def job(job_id: str) -> dict:
        found = jobs.get(job_id)
        if found is None:
            raise HTTPException(404, f"no job {job_id}")
        return found.as_dict()

    return app


# ----- helpers --------------------------------------------------------------------------------


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _check_text(text: str, what: str) -> None:
    from qa.question import question_problem

    problem = question_problem(text, f"the {what}")
    if problem:
        raise HTTPException(400, problem)


def _filters(body: FilterFields) -> Filters:
    from qa.dates import BOUND_FORMATS, parse_bound

    bounds = []
    for name, value in (("since", body.since), ("until", body.until)):
        period = parse_bound(value) if value else None
        if value and period is None:
            raise HTTPException(400, f"{name}: {value!r} is not a date; use {BOUND_FORMATS}")
        bounds.append(period)
    since, until = bounds
    if since and until and since.start > until.end:
        raise HTTPException(400, f"since {since.text} is after until {until.text}")
    return Filters(tuple(body.sources), since, until, tuple(body.docs))


def _drafts(events: queue.Queue) -> Callable[[str], None]:
    return lambda piece: events.put({"event": "draft", "text": piece})


_DONE = object()


def _respond(future: Future, events: queue.Queue, stream: bool) -> Response:
    """Wait for the first event: an error before any draft is a plain 4xx; otherwise the stream
    (or, without streaming, the finished answer)."""
    future.add_done_callback(lambda _: events.put(_DONE))
    first = events.get()
    if first is _DONE or not stream:
        while first is not _DONE:  # not streaming: drafts are dropped
            first = events.get()
        result = _result(future)
        if not stream:
            return JSONResponse(result)
        return StreamingResponse(iter([_line({"event": "answer", "result": result})]), media_type=NDJSON)

    def lines() -> Iterator[str]:
        event = first
        while event is not _DONE:
            yield _line(event)
            event = events.get()
        try:
            yield _line({"event": "answer", "result": future.result()})
        except QAError as exc:
            yield _line({"event": "error", "detail": str(exc)})
        except Exception as exc:  # the stream has begun: a fault can only be told in it
            yield _line({"event": "error", "detail": f"the server failed: {type(exc).__name__}: {exc}"})

    return StreamingResponse(lines(), media_type=NDJSON)


def _line(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False) + "\n"


def _result(future: Future) -> dict:
    try:
        return future.result()
    except NoSuchDocumentError as exc:
        raise HTTPException(404, str(exc)) from None
    except EmptyCollectionError as exc:
        raise HTTPException(409, str(exc)) from None
    except QAError as exc:
        raise HTTPException(400, str(exc)) from None


class _RequestReader:
    """A reader of the collection's committed state for one request (its own thread's connection)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __enter__(self) -> Collection:
        try:
            self.store = Collection.open_reader(self.settings)
        except QAError as exc:
            raise HTTPException(503, str(exc)) from None
        return self.store

    def __exit__(self, *exc_info: object) -> None:
        self.store.close()


def _upload_name(filename: str) -> str:
    name = _SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip(" .")
    if not name:
        raise HTTPException(400, f"{filename!r} is not a usable file name")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        known = " ".join(sorted(SUPPORTED_SUFFIXES))
        raise HTTPException(415, f"{name}: qa reads only {known} files")
    return name


def _check_content(name: str, head: bytes, size: int) -> None:
    """The bytes must look like the type the name says: a PDF's signature, or text without NULs."""
    if size == 0:
        raise HTTPException(400, f"{name} is empty")
    if name.lower().endswith(".pdf"):
        if not head.startswith(b"%PDF-"):
            raise HTTPException(415, f"{name} is not a PDF (it does not start with %PDF-)")
    elif b"\x00" in head:
        raise HTTPException(415, f"{name} looks binary, not text or HTML")


def _too_large(limit: int) -> str:
    return f"the file is larger than {limit / 1e6:g} MB, the limit (QA_MAX_DOCUMENT_MB)"


def loopback_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a browser sends for this server when it listens on a loopback address; any
    other Host is a page reached by DNS rebinding. Empty (any Host) for another address: the user
    chose to serve the network (--host), and the names it is reached by are not known here."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return frozenset()
    return frozenset(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]"))
