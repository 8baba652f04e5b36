"""Screenshots of the `qa serve` page for the docs: run `python docs/screenshots.py` from the checkout.

It starts `qa serve` with the real bundled models on a temporary QA_HOME, uploads the demo articles
(seeds/) through the page, asks the mission question and writes docs/img/ask.png (the answer),
citation.png (the cited passage highlighted in its article) and documents.png. Needs chromium
(apt-get install chromium, or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH) and playwright (pip install
playwright); takes about a minute. `--out FOLDER` writes the PNGs elsewhere.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

MISSION = "What prisoner exchanges were agreed?"
VIEWPORT = {"width": 1280, "height": 800}
# The machine's network may be closed: without these, chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
READY = re.compile(r"qa serve: listening on (http://\S+)")
START_SECONDS = 180
# A collection other than the default is not seeded from the checkout, so the pictures show the
# articles at their upload paths rather than wherever this checkout happens to live.
COLLECTION = "demo"


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "QA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    for name in ("QA_EMBED_MODEL", "QA_MODEL", "QA_COLLECTION"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--port", "0", "--collection", COLLECTION],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    found: list[str] = []
    ready = threading.Event()

    def read_stderr() -> None:  # keeps reading after start-up, so a full pipe never blocks the server
        for line in process.stderr:
            sys.stderr.write(line)
            if not found and (match := READY.search(line)):
                found.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    if not ready.wait(START_SECONDS) or not found:
        process.terminate()
        sys.exit(f"qa serve did not start within {START_SECONDS} s")
    return process, found[0]


def take_screenshots(url: str, out: Path, articles: list[Path]) -> None:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH") or shutil.which("chromium")
    if not executable:
        sys.exit("chromium is not installed; install it with: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        page.goto(url)

        page.click("#tab-documents")
        page.set_input_files("#upload-input", [str(path) for path in articles])
        for path in articles:
            page.locator("#jobs .job[data-state=done]", has_text=path.name).wait_for(timeout=180_000)
        page.locator("#documents tbody tr").first.wait_for()

        page.click("#tab-ask")
        page.fill("#question", MISSION)
        page.click("#ask-button")
        page.wait_for_function("window.qaLastResult !== undefined", timeout=120_000)
        page.screenshot(path=out / "ask.png")

        page.locator("#answer .answer-text .cite").first.click()
        page.wait_for_selector("#article mark.qa-highlight")
        page.screenshot(path=out / "citation.png")

        page.click("#article-close")
        page.click("#tab-documents")
        page.screenshot(path=out / "documents.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "img",
                        help="folder for the PNGs (default: docs/img)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    from qa.seeds import seeds_dir

    articles = sorted(path for path in seeds_dir().iterdir() if path.is_file())
    with tempfile.TemporaryDirectory(prefix="qa-screenshots-") as home:
        process, url = start_server(Path(home))
        try:
            take_screenshots(url, out, articles)
        finally:
            process.terminate()
            process.wait(timeout=30)
    for name in ("ask.png", "citation.png", "documents.png"):
        print(out / name)


if __name__ == "__main__":
    main()
