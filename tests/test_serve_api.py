"""`qa serve`'s HTTP API with the fake embedder and a scripted generator: answers and documents in
the CLI's JSON shapes, uploads and paths confined, cross-site requests refused, 4xx with one line."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from qa.cli import main
from qa.config import Settings
from qa.generate import load_generator
from qa.indexer import index_paths
from qa.serve.app import STATIC, ServerConfig, create_app, loopback_hosts
from qa.serve.engine import Engine, IndexJobs
from tests.conftest import SEEDS
from tests.fakes import HashEmbedder
from tests.scripted import SCRIPTS

TOKEN = "test-token"
QUESTION = "What prisoner exchanges were agreed?"
SUPPORTED = "Russia would conduct a prisoner exchange with Ukraine, 175 prisoners from each side. [1]"
ARTICLE = """<html><head><title>Harbour bridge opens</title></head><body><article>
<h1>Harbour bridge opens</h1>
<p>The new Kessel harbour bridge opened to traffic on Monday after four years of building work.</p>
<p>The bridge is 1,240 metres long and carries four lanes of traffic and a tram line.</p>
<p>City officials said about 30,000 vehicles a day are expected to cross it.</p>
</article></body></html>"""


@pytest.fixture
def server(settings, tmp_path):
    """An app over the seeds (indexed with the fake embedder), with a scripted answer model."""
    embedder = HashEmbedder()
    index_paths(settings, embedder, [str(SEEDS)])
    SCRIPTS["serve"] = SUPPORTED
    with _server(settings, embedder, tmp_path) as client:
        yield client


@contextmanager
def _server(settings: Settings, embedder, tmp_path, **overrides) -> Iterator[TestClient]:
    engine = Engine(settings, embedder, load_generator("scripted:serve", None))
    jobs = IndexJobs(settings, embedder)
    config = ServerConfig(
        allowed_hosts=frozenset({"testserver"}), token=TOKEN, allow_paths=(),
        uploads=(settings.home / "uploads" / settings.collection).resolve(),
        max_upload_bytes=settings.max_document_bytes,
    )
    config = replace(config, **overrides)
    try:
        yield TestClient(create_app(engine, jobs, config), headers={"X-QA-Token": TOKEN})
    finally:
        jobs.close()
        engine.close()


def _events(response) -> list[dict]:
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line]


def _wait(client: TestClient, job: dict) -> dict:
    deadline = time.monotonic() + 30
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def _cli_json(*args: str):
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ----- answers -----------------------------------------------------------------------------------


def test_ask_streams_drafts_then_the_answer_the_cli_gives(server):
    events = _events(server.post("/api/ask", json={"question": QUESTION}))
    assert [e["event"] for e in events[:-1]] == ["draft"] * (len(events) - 1) and len(events) > 2
    assert "".join(e["text"] for e in events[:-1]) == SUPPORTED  # the draft, piece by piece
    assert events[-1]["event"] == "answer"
    result = events[-1]["result"]
    cli = _cli_json("ask", QUESTION, "--model", "scripted:serve")
    for key in ("answer", "mode", "sentences", "citations", "parts", "policy"):
        assert result[key] == cli[key], key
    assert result["mode"] == "generated"
    citation = result["citations"][0]
    text = server.get(f"/api/documents/{citation['doc_id']}").json()["text"]
    assert text[citation["start"] : citation["end"]] == citation["quote"]  # what the page highlights


def test_ask_without_streaming_gives_one_json_object(server):
    response = server.post("/api/ask", json={"question": QUESTION, "stream": False})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json()["mode"] == "generated"


def test_an_abstention_lists_closest_passages_with_offsets(server):
    SCRIPTS["serve"] = "The articles do not say. [1]"
    result = server.post("/api/ask", json={"question": "What is the capital of Peru?", "stream": False}).json()
    assert result["mode"] == "abstained" and result["reason"]
    for passage in result["closest"]:
        text = server.get(f"/api/documents/{passage['doc_id']}").json()["text"]
        assert text[passage["start"] : passage["end"]] == passage["text"]


def test_filters_are_those_of_the_cli(server):
    response = server.post("/api/ask", json={"question": QUESTION, "sources": ["*.pdf"], "stream": False})
    assert response.json()["mode"] == "abstained"
    assert "no documents match --source '*.pdf'" in response.json()["reason"]
    assert server.post("/api/ask", json={"question": QUESTION, "docs": ["1"], "stream": False}).json()["citations"]


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"question": ""}, 400, "the question is empty"),
        ({"question": "?!"}, 400, "has no words"),
        ({"question": "x" * 5000}, 400, "characters long"),
        ({}, 422, "question: Field required"),
        ({"question": QUESTION, "k": 0}, 422, "k: Input should be greater than or equal to 1"),
        ({"question": QUESTION, "since": "someday"}, 400, "since: 'someday' is not a date"),
        ({"question": QUESTION, "since": "2018", "until": "2017"}, 400, "since 2018 is after until 2017"),
        ({"question": QUESTION, "docs": ["999"]}, 404, "no document '999'"),
    ],
)
def test_bad_questions_get_a_4xx_with_one_line(server, body, status, detail):
    response = server.post("/api/ask", json=body)
    assert response.status_code == status
    assert detail in response.json()["detail"] and "\n" not in response.json()["detail"]


def test_a_body_that_is_not_json_says_so(server):
    response = server.post("/api/ask", content="question=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert response.json() == {"detail": "the body must be a JSON object, sent with Content-Type: application/json"}


def test_an_empty_collection_is_a_conflict_not_a_crash(settings, tmp_path):
    SCRIPTS["serve"] = SUPPORTED
    with _server(settings.with_collection("empty"), HashEmbedder(), tmp_path) as client:
        response = client.post("/api/ask", json={"question": QUESTION})
        assert response.status_code == 409 and "collection 'empty' is empty" in response.json()["detail"]
        assert client.get("/api/documents").json() == []


def test_summaries_stream_with_citations(server):
    SCRIPTS["serve"] = "Putin said Russia would release 23 seriously wounded Ukrainian soldiers. [1]"
    events = _events(server.post("/api/summarize", json={"scope": "document", "target": "1", "sentences": 2}))
    result = events[-1]["result"]
    assert events[-1]["event"] == "answer" and result["scope"] == "document" and result["citations"]
    assert server.post("/api/summarize", json={"scope": "document", "target": "42"}).status_code == 404
    assert server.post("/api/summarize", json={"scope": "topic", "target": " "}).status_code == 400
    assert server.post("/api/summarize", json={"scope": "everything"}).status_code == 422
    response = server.post("/api/summarize", json={"scope": "document", "target": "1", "docs": ["1"]})
    assert response.status_code == 400 and "takes no filters" in response.json()["detail"]


def test_answers_see_each_new_commit(server, settings):
    """The engine keeps its reader between questions but never answers from a state that a later
    commit replaced: an article indexed by another process is found by the next question."""
    SCRIPTS["serve"] = "The bridge is 1,240 metres long. [1]"
    question = {"question": "How long is the Kessel harbour bridge?", "stream": False}
    assert "1,240" not in server.post("/api/ask", json=question).json()["answer"]
    article = settings.home / "bridge.html"
    article.write_text(ARTICLE)
    index_paths(settings, HashEmbedder(), [str(article)])
    answer = server.post("/api/ask", json=question).json()
    assert "1,240" in answer["answer"] and answer["citations"][0]["title"] == "Harbour bridge opens"


class _HeldEmbedder(HashEmbedder):
    """Passages wait until the test lets them through: an import caught in the middle."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding, self.release = threading.Event(), threading.Event()

    def embed_passages(self, texts):
        self.embedding.set()
        assert self.release.wait(30), "the test never released the import"
        return super().embed_passages(texts)


def test_a_question_during_an_import_is_answered_from_the_last_commit(settings, tmp_path):
    index_paths(settings, HashEmbedder(), [str(SEEDS)])
    SCRIPTS["serve"] = SUPPORTED
    embedder = _HeldEmbedder()
    with _server(settings, embedder, tmp_path) as client:
        response = client.post("/api/uploads", params={"filename": "bridge.html"}, content=ARTICLE.encode())
        assert embedder.embedding.wait(30)
        assert client.get(f"/api/jobs/{response.json()['job']['id']}").json()["state"] == "running"
        answer = client.post("/api/ask", json={"question": QUESTION, "stream": False}).json()
        assert answer["mode"] == "generated" and "175" in answer["answer"]
        assert [d["id"] for d in client.get("/api/documents").json()] == [1]  # the import is not half visible
        embedder.release.set()
        assert _wait(client, response.json()["job"])["state"] == "done"
        assert len(client.get("/api/documents").json()) == 2


def test_stopping_the_server_ends_a_running_import_between_documents(settings, tmp_path):
    index_paths(settings, HashEmbedder(), [str(SEEDS)])
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(5):
        (folder / f"bridge{number}.html").write_text(ARTICLE.replace("Kessel", f"Kessel {number}"))
    embedder = _HeldEmbedder()
    engine = Engine(settings, embedder, load_generator("scripted:serve", None))
    jobs = IndexJobs(settings, embedder)
    job = jobs.start("path", str(folder), folder, within=(tmp_path,))
    assert embedder.embedding.wait(30)
    closing = threading.Thread(target=jobs.close)
    closing.start()
    embedder.release.set()
    closing.join(30)
    engine.close()
    assert not closing.is_alive() and job.state == "failed" and "stopped with the server" in job.error
    assert job.done < 5
    result = CliRunner().invoke(main, ["doctor", "--json"])
    assert result.exit_code == 0, result.output  # nothing half-written


# ----- documents -------------------------------------------------------------------------------


def test_documents_are_the_cli_listing_and_show(server):
    assert server.get("/api/documents").json() == _cli_json("docs", "list")
    shown = server.get("/api/documents/1").json()
    assert shown == _cli_json("docs", "show", "1")
    assert shown["text"] and shown["passage_list"]
    assert server.get("/api/documents/2").status_code == 404
    assert server.get("/api/documents/abc").status_code == 422
    huge = "61964133263531662580501184512"  # past SQLite's integers: found by schemathesis as a 500
    assert server.get(f"/api/documents/{huge}").status_code == 404
    assert server.delete(f"/api/documents/{huge}").status_code == 404
    assert server.get("/api/documents/-1").status_code == 404


def test_upload_indexes_the_article_and_removing_it_deletes_the_file(server, settings):
    response = server.post("/api/uploads", params={"filename": "bridge.html"}, content=ARTICLE.encode())
    assert response.status_code == 202
    job = _wait(server, response.json()["job"])
    assert job["state"] == "done" and job["report"]["added"] == 1 and (job["done"], job["total"]) == (1, 1)
    stored = settings.home / "uploads" / "default" / "bridge.html"
    assert stored.read_text() == ARTICLE
    document = next(d for d in server.get("/api/documents").json() if d["title"] == "Harbour bridge opens")
    assert document["source"] == str(stored.resolve())
    removed = server.delete(f"/api/documents/{document['id']}").json()["removed"]
    assert removed == [{"id": document["id"], "source": document["source"], "passages": document["passages"]}]
    assert not stored.exists()
    assert server.delete(f"/api/documents/{document['id']}").status_code == 404


@pytest.mark.parametrize(
    ("filename", "content", "status", "detail"),
    [
        ("notes.exe", b"MZ", 415, "qa reads only"),
        ("paper.pdf", b"<html>not a pdf</html>", 415, "is not a PDF"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415, "looks binary"),
        ("empty.txt", b"", 400, "is empty"),
        ("...", b"text", 400, "not a usable file name"),
        ("big.txt", b"a" * 2001, 413, "larger than"),
    ],
)
def test_uploads_are_checked(settings, tmp_path, filename, content, status, detail):
    with _server(settings, HashEmbedder(), tmp_path, max_upload_bytes=2000) as client:
        response = client.post("/api/uploads", params={"filename": filename}, content=content)
        assert response.status_code == status and detail in response.json()["detail"]
        uploads = settings.home / "uploads" / "default"
        assert not uploads.exists() or not any(uploads.iterdir())  # nothing left behind, not even a temp file


def test_an_upload_name_cannot_leave_the_uploads_folder(server, settings):
    response = server.post("/api/uploads", params={"filename": "../../../etc/evil.txt"}, content=b"Some text here.")
    assert response.status_code == 202 and response.json()["job"]["label"] == "evil.txt"
    _wait(server, response.json()["job"])
    assert (settings.home / "uploads" / "default" / "evil.txt").is_file()
    assert not (settings.home.parent / "etc").exists()


def test_index_by_path_stays_inside_the_allowed_folders(settings, tmp_path):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "bridge.html").write_text(ARTICLE)
    (outside / "secret.txt").write_text("The secret code is 4471 and nobody may read it.")
    (allowed / "link.txt").symlink_to(outside / "secret.txt")
    (allowed / "folder").symlink_to(outside, target_is_directory=True)
    with _server(settings, HashEmbedder(), tmp_path, allow_paths=(allowed.resolve(),)) as client:
        response = client.post("/api/index", json={"path": str(outside / "secret.txt")})
        assert response.status_code == 403 and "outside the folders" in response.json()["detail"]
        assert client.post("/api/index", json={"path": str(allowed / "link.txt")}).status_code == 403
        assert client.post("/api/index", json={"path": str(allowed / "nope")}).status_code == 404
        job = _wait(client, client.post("/api/index", json={"path": str(allowed)}).json()["job"])
        assert job["state"] == "done" and job["report"]["added"] == 1
        assert len(job["report"]["errors"]) == 2 and all("outside the folders" in e for e in job["report"]["errors"])
        assert [d["title"] for d in client.get("/api/documents").json()] == ["Harbour bridge opens"]
    with _server(settings, HashEmbedder(), tmp_path) as client:
        response = client.post("/api/index", json={"path": str(allowed)})
        assert response.status_code == 403 and "--allow-path" in response.json()["detail"]


def test_a_failed_job_reports_its_error(server, settings):
    response = server.post("/api/uploads", params={"filename": "broken.pdf"}, content=b"%PDF-1.4 then nothing")
    job = _wait(server, response.json()["job"])
    assert job["state"] == "done" and job["report"]["errors"] and job["report"]["added"] == 0
    assert server.get("/api/jobs").json()[-1]["id"] == job["id"]
    assert server.get("/api/jobs/999").status_code == 404


# ----- safety ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("post", "/api/ask", {"question": QUESTION}), ("delete", "/api/documents/1", None),
     ("post", "/api/index", {"path": "/"})],
)
def test_state_changing_requests_need_the_token(server, method, path, body):
    for headers in ({"X-QA-Token": ""}, {"X-QA-Token": "guess"}):
        response = server.request(method, path, json=body, headers=headers)
        assert response.status_code == 403 and "X-QA-Token" in response.json()["detail"]
    assert server.get("/api/documents/1").status_code == 200  # nothing was removed


def test_other_origins_and_hosts_are_refused(server):
    response = server.post("/api/ask", json={"question": QUESTION}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "http://evil.example" in response.json()["detail"]
    assert server.get("/api/documents", headers={"Origin": "null"}).status_code == 403
    assert server.get("/api/documents", headers={"Origin": "http://testserver"}).status_code == 200
    response = server.get("/api/documents", headers={"Host": "rebound.example:8765"})  # DNS rebinding
    assert response.status_code == 403 and "rebound.example" in response.json()["detail"]


def test_loopback_hosts():
    assert loopback_hosts("127.0.0.1", 8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert loopback_hosts("0.0.0.0", 8765) == frozenset()


def test_the_page_carries_its_token_and_loads_nothing_from_elsewhere(server):
    page = server.get("/")
    assert page.status_code == 200 and f'content="{TOKEN}"' in page.text
    for path in STATIC.iterdir():
        assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", path.read_text()), f"{path.name} names another host"
        assert server.get(f"/static/{path.name}").status_code == 200
    paths = server.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/summarize", "/api/documents", "/api/documents/{doc_id}", "/api/uploads",
            "/api/index", "/api/jobs/{job_id}", "/api/info"} <= set(paths)
    info = server.get("/api/info").json()
    assert (info["collection"], info["documents"], info["model"]) == ("default", 1, "scripted:serve")


def test_a_busy_port_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: port {port} is in use; choose another with --port"
