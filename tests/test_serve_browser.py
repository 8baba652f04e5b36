"""The `qa serve` page in a real browser (chromium, driven by Playwright) against a real server."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MISSION = "What prisoner exchanges were agreed?"
# The machine's network is closed: without these, chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
READY = re.compile(r"qa serve: listening on (http://\S+)")
# The server loads the embedder and the answer model, and indexes the demo articles, before it listens.
START_SECONDS = 180
ANSWER_MS = 120_000
INDEX_MS = 180_000
HIGHLIGHTED = "[...document.querySelectorAll('#article mark.qa-highlight')].map(mark => mark.textContent).join('')"
# The page keeps the last answer it showed in window.qaLastResult; an error shows in .error.
ANSWERED = "([box]) => window.qaLastResult !== undefined || document.querySelector(box + ' .error') !== null"
ASK_WITHOUT_STREAM = """async (question) => {
  const token = document.querySelector('meta[name="qa-token"]').content;
  const response = await fetch('/api/ask', {method: 'POST', body: JSON.stringify({question, stream: false}),
                                            headers: {'Content-Type': 'application/json', 'X-QA-Token': token}});
  return response.json();
}"""


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stderr: list[str] = field(default_factory=list)  # every line so far, for failure messages


def chromium_executable() -> str:
    path = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("chromium is not installed; install it with: apt-get install chromium"
                    " (or point PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH at a chromium binary)")
    return path


def start_server(home: Path, embedders: Path, collection: str = "default") -> Server:
    """`qa serve` on a free port with the real bundled models, as the real_env fixture sets them up."""
    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "models" / "embedders").symlink_to(embedders, target_is_directory=True)
    env = {**os.environ, "QA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    for name in ("QA_EMBED_MODEL", "QA_MODEL", "QA_COLLECTION", "QA_MAX_DOCUMENT_MB"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--port", "0", "--collection", collection],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    server = Server("", process)
    lines: queue.Queue[str | None] = queue.Queue()

    def read_stderr() -> None:  # keeps reading after start-up, so a full pipe never blocks the server
        for line in process.stderr:
            server.stderr.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read_stderr, daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        if ready := READY.search(line):
            server.url = ready.group(1)
            return server
    stop_server(server)
    pytest.fail(f"qa serve did not start within {START_SECONDS} s:\n{''.join(server.stderr)}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared_embedders):
    """One server for the module on the default collection, which it fills with the demo articles."""
    started = start_server(tmp_path_factory.mktemp("serve-home"), shared_embedders)
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed; install it with: pip install playwright"
                    " (and chromium with: apt-get install chromium)")
    executable = chromium_executable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    """A fresh page on the server's address; afterwards, no script error and no request elsewhere."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []
    opened.on("request", lambda request: None if request.url.startswith((server.url, "data:"))
              else elsewhere.append(request.url))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(server.url)
    yield opened
    context.close()
    assert not errors, f"script errors on the page: {errors}"
    assert not elsewhere, f"the page fetched from another origin: {elsewhere}"


def ask(page, question: str) -> dict:
    """Ask through the page and wait for the final answer; the result the page shows."""
    page.click("#tab-ask")
    page.evaluate("delete window.qaLastResult")
    page.fill("#question", question)
    page.click("#ask-button")
    page.wait_for_function(ANSWERED, arg=["#answer"], timeout=ANSWER_MS)
    error = page.locator("#answer .error")
    assert error.count() == 0, f"the page showed an error: {error.inner_text()}"
    assert page.locator("#answer .draft").count() == 0, "the unchecked draft is still shown"
    return page.evaluate("window.qaLastResult")


def upload(page, path: Path) -> None:
    """Add a file through the page's file input and wait until its indexing job is done."""
    page.click("#tab-documents")
    page.set_input_files("#upload-input", str(path))
    job = page.locator("#jobs .job", has_text=path.name)
    job.and_(page.locator("[data-state=done], [data-state=failed]")).wait_for(timeout=INDEX_MS)
    assert job.get_attribute("data-state") == "done", job.inner_text()
    assert job.locator(".error").count() == 0, f"indexing reported errors: {job.inner_text()}"


def test_citation_opens_its_article_with_the_quote_highlighted(page):
    shown = ask(page, MISSION)
    assert shown["mode"] in {"generated", "mixed", "extractive"}
    assert "175" in shown["answer"]
    first = shown["citations"][0]
    assert page.inner_text("#answer .mode-label").lower() == shown["mode"]

    page.locator("#answer .answer-text .cite", has_text=f"[{first['n']}]").first.click()
    page.wait_for_selector("#article mark.qa-highlight")
    # the server's own answer to the same question, not what the page made of it
    served = page.evaluate(ASK_WITHOUT_STREAM, MISSION)
    assert served["citations"][0]["quote"] == first["quote"]
    assert page.evaluate(HIGHLIGHTED) == served["citations"][0]["quote"]
    assert page.inner_text("#article-title") == first["title"]
    # the whole article is there, not only the passage
    assert len(page.inner_text("#article-body")) > 3 * len(first["quote"])
    assert page.locator("#article mark.qa-highlight").first.is_visible()

    page.click("#article-close")
    assert page.locator("#article-panel").is_hidden()


BRIDGE_ARTICLE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Orrin Valley bridge opens after two years of work</title>
  <meta name="date" content="2024-09-12">
</head>
<body>
  <nav><a href="/">Home</a> | <a href="/local">Local</a></nav>
  <article>
    <h1>Orrin Valley bridge opens after two years of work</h1>
    <p class="byline">By Mara Keane, 12 September 2024</p>
    <p>The new Kessling Bridge over the Orrin River opened to traffic on 12 September 2024, after
    two years of construction.</p>
    <p>The Kessling Bridge cost 86 million euros, the regional transport office said. It is 412 metres
    long and carries two lanes of traffic and a cycle path.</p>
    <p>Residents of Haldor had waited for a crossing since the old ferry stopped running in 2019.
    Commuters to the city now save about forty minutes a day, the mayor said at the opening.</p>
  </article>
  <footer>Copyright 2024 Orrin Valley Courier</footer>
</body>
</html>
"""


def test_uploaded_article_is_indexed_and_cited(page, tmp_path):
    article = tmp_path / "kessling-bridge.html"
    article.write_text(BRIDGE_ARTICLE, encoding="utf-8")
    upload(page, article)
    row = page.locator("#documents tbody tr", has_text="Orrin Valley bridge opens")
    row.wait_for()
    assert "kessling-bridge.html" in row.inner_text()

    shown = ask(page, "How much did the Kessling Bridge cost?")
    assert shown["mode"] != "abstained", shown.get("reason")
    assert "86 million" in shown["answer"]
    cited = [c for c in shown["citations"] if c["source"].endswith("kessling-bridge.html")]
    assert cited, f"no citation of the upload: {[c['source'] for c in shown['citations']]}"
    assert cited[0]["title"] == "Orrin Valley bridge opens after two years of work"
    assert page.locator("#answer .citations", has_text="Orrin Valley bridge opens").count() == 1


SCRIPT_ARTICLE = """Council notes <img src=x onerror="window.__pwned = 2">

The council read out a message a resident had pasted into the web form:
<script>window.__pwned = 1</script> and asked the clerk to explain what it does.

The clerk said the text is harmless when shown as text, and the meeting ended at nine.
"""


def test_article_with_markup_shows_it_as_text(page, tmp_path):
    article = tmp_path / "council-notes.txt"
    article.write_text(SCRIPT_ARTICLE, encoding="utf-8")
    upload(page, article)
    row = page.locator("#documents tbody tr", has_text="council-notes.txt")
    row.wait_for()
    row.locator("button.open").click()
    page.wait_for_selector("#article-body p")

    assert page.evaluate("window.__pwned") is None
    assert page.locator("#article script, #article img").count() == 0
    shown = page.inner_text("#article")
    assert "<script>window.__pwned = 1</script>" in shown
    assert '<img src=x onerror="window.__pwned = 2">' in shown
    assert page.locator("#documents tbody img, #summary-document img").count() == 0


def test_remove_asks_first_then_removes_the_document(page, tmp_path):
    article = tmp_path / "short-lived.txt"
    article.write_text("Short-lived note\n\nThe ferry timetable changes on 3 March, the harbour office said.\n")
    upload(page, article)
    row = page.locator("#documents tbody tr", has_text="short-lived.txt")
    row.wait_for()
    before = page.inner_text("#info")

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator("button.remove").click()
    page.wait_for_timeout(500)
    assert row.count() == 1, "dismissing the confirmation removed the document"

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.remove").click()
    row.wait_for(state="detached")
    page.wait_for_function("([before]) => document.getElementById('info').textContent !== before", arg=[before])


def test_highlight_counts_characters_as_the_server_does_and_crosses_paragraphs(page):
    # offsets count code points (Python); the rocket is two UTF-16 units in JavaScript
    text = "Launch day \U0001F680\n\nThe first stage ends here.\n\nThe second stage starts here and goes on."
    start, end = text.index("ends here"), text.index(" and goes")
    stored = {"title": "Launch day", "source": "launch.txt", "date": None, "date_source": None, "text": text}
    page.evaluate("([stored, span]) => renderArticle(document.getElementById('article'), stored, span)",
                  [stored, {"start": start, "end": end}])
    pieces = page.evaluate("[...document.querySelectorAll('#article mark.qa-highlight')].map(mark => mark.textContent)")
    assert pieces == ["ends here.", "The second stage starts here"]
    assert page.locator("#article-body p").count() == 3


def test_summary_citation_opens_its_article_with_the_quote_highlighted(page):
    page.click("#tab-summarize")
    page.click("label.choice:has-text('one document')")
    page.fill("#summary-sentences", "2")
    page.click("#summary-button")
    page.wait_for_function(ANSWERED, arg=["#summary"], timeout=ANSWER_MS)
    assert page.locator("#summary .error").count() == 0, page.inner_text("#summary")
    shown = page.evaluate("window.qaLastResult")
    assert shown["mode"] != "abstained" and shown["citations"]
    last = shown["citations"][-1]
    page.locator("#summary .answer-text .cite", has_text=f"[{last['n']}]").first.click()
    page.wait_for_selector("#article mark.qa-highlight")
    assert page.evaluate(HIGHLIGHTED) == last["quote"]


def test_refused_question_shows_the_servers_reason(page):
    page.fill("#question", "???")
    page.click("#ask-button")
    message = page.locator("#answer .error")
    message.wait_for()
    assert "no words" in message.inner_text()
    assert page.locator("#ask-button").is_enabled()


def test_refused_upload_and_path_show_the_servers_reason(page, tmp_path):
    fake = tmp_path / "not-really.pdf"
    fake.write_text("plain words, not a PDF", encoding="utf-8")
    page.click("#tab-documents")
    page.set_input_files("#upload-input", str(fake))
    refused = page.locator("#jobs .job", has_text="not-really.pdf")
    refused.locator(".error").wait_for()
    assert refused.get_attribute("data-state") == "failed"
    assert "pdf" in refused.locator(".error").inner_text().lower()

    # this server was started without --allow-path: indexing by path is refused (403)
    page.fill("#path-input", str(tmp_path))
    page.click("#path-button")
    message = page.locator("#documents-error .error")
    message.wait_for()
    assert "--allow-path" in message.inner_text()
