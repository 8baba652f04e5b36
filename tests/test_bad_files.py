"""Bad and odd files through the real `qa index`: each is either refused with one clear line
naming the file and the reason, leaving the collection as it was, or indexed with its text intact
(and a note where something was repaired). Never a traceback."""

from __future__ import annotations

import errno
import io
import json
import os
import pathlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from tests.pdfs import write_pdf

ARTICLE = (
    "Harbour reopens\n\nThe harbour reopened on 3 June after repairs to the north wall. "
    "Ferries to the island resume on Friday, the port authority said.\n"
)
GOOD = "Council news\n\nThe council approved 42 new electric buses on Tuesday. The mayor welcomed the vote.\n"
SCRIPTS_ONLY = (
    "<html><head><script>var tracking = 1;</script><style>body { color: red }</style></head>"
    "<body><script>document.write('hello')</script><noscript></noscript></body></html>"
)
RUSSIAN = "Городской совет в среду одобрил покупку сорока двух электрических автобусов. " * 20


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def snapshot() -> dict:
    """What the collection holds: counts, the commit generation, and every document's identity."""
    stats = json.loads(run("stats", "--json").stdout)
    documents = json.loads(run("docs", "list", "--json").stdout)
    keep = ("documents", "passages", "sentences", "characters", "generation")
    return {"stats": {key: stats[key] for key in keep}, "documents": documents}


@pytest.fixture
def collection(tmp_path) -> dict:
    """A collection holding one article, built before the bad file arrives."""
    good = tmp_path / "prebuilt" / "harbour.txt"
    good.parent.mkdir()
    good.write_text(ARTICLE)
    result = run("index", str(good))
    assert result.exit_code == 0, result.stderr
    before = snapshot()
    assert before["stats"]["documents"] == 1
    return before


def lines_naming(output: str, prefix: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix) and name in line]


# ----- files that must be refused ---------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    name: str
    make: Callable[[Path], None]  # writes the file at the given path
    reason: str  # the words the error line must contain


def _random_without_nul(path: Path) -> None:
    rng = random.Random(11)
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(40_000)))


def _nul_after_8kb(path: Path) -> None:
    path.write_bytes(ARTICLE.encode() * 100 + b"\x00\x00\x00 trailing block of zeros")


def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)  # on paper only: refused by its size before it is read

    return make


def _encrypted_pdf(path: Path) -> None:
    import pypdf

    plain = write_pdf(path.with_name("plain-source.pdf"), [["A secret report on the harbour."]])
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()


def _truncated_pdf(path: Path) -> None:
    write_pdf(path, [["First page of a report on the harbour."], ["Second page."]])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _fifo(path: Path) -> None:
    os.mkfifo(path)


REFUSED = [
    Refused("png.txt", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "binary file"),
    Refused("nul-after-8kb.txt", _nul_after_8kb, "binary file, not text (a NUL byte at byte 14,600 of 14,627)"),
    Refused("utf16-no-bom.txt", lambda p: p.write_bytes(ARTICLE.encode("utf-16-le")), "UTF-16 without a byte-order mark?"),
    Refused("nul-in-utf16.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE + "\x00").encode("utf-16-le")), "NUL characters"),
    Refused("random.txt", _random_without_nul, "not text: 5"),
    Refused("cp1251.txt", lambda p: p.write_bytes(RUSSIAN.encode("cp1251")), "convert it to UTF-8"),
    Refused("empty.txt", lambda p: p.write_bytes(b""), "empty file"),
    Refused("whitespace.md", lambda p: p.write_bytes(b"  \r\n\t\n\r\n \xc2\xa0 \n"), "empty file"),
    Refused("bom-only.txt", lambda p: p.write_bytes(b"\xef\xbb\xbf"), "empty file"),
    Refused("punctuation.txt", lambda p: p.write_text("... --- !!! ***\n"), "no letters or digits"),
    Refused("scripts.html", lambda p: p.write_text(SCRIPTS_ONLY), "no visible text in the HTML"),
    Refused("blank.html", lambda p: p.write_text("<html><head></head><body>  </body></html>"), "no visible text in the HTML"),
    Refused("binary.html", lambda p: p.write_bytes(b"<html>\x00\x01\x02</html>"), "binary file"),
    Refused("encrypted.pdf", _encrypted_pdf, "password-protected"),
    Refused("truncated.pdf", _truncated_pdf, "damaged or truncated PDF"),
    Refused("garbage.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n" + bytes(range(1, 256)) * 40), "damaged or truncated PDF"),
    Refused("renamed.pdf", lambda p: p.write_text(ARTICLE), "not a PDF file"),
    Refused("scanned.pdf", lambda p: write_pdf(p, [[], []]), "no text layer"),
    Refused("huge.txt", _sparse(50_000_000), "50.0 MB is over the 20 MB limit"),
    Refused("pipe.txt", _fifo, "not a regular file"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_refused_alone(case: Refused, collection, tmp_path):
    path = tmp_path / case.name
    case.make(path)
    result = run("index", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == lines_naming(result.stderr, "error:", case.name) and len(errors) == 1, result.stderr
    assert case.reason in errors[0]
    assert "added 0, updated 0" in result.stderr
    assert snapshot() == collection


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_refused_in_a_batch_the_rest_is_indexed(case: Refused, collection, tmp_path):
    bad, good = tmp_path / case.name, tmp_path / "council.txt"
    case.make(bad)
    good.write_text(GOOD)
    result = run("index", str(bad), str(good))
    assert result.exit_code == 1  # a partial failure: the good file is in, the exit code says not all were
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and case.name in errors[0] and case.reason in errors[0], result.stderr
    after = snapshot()
    assert after["stats"]["documents"] == 2
    assert [doc["title"] for doc in after["documents"]] == ["Harbour reopens", "Council news"]


def _raise_on_open(target: Path) -> Callable:
    original = pathlib.Path.open

    def fake_open(self, *args, **kwargs):
        if self == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    return fake_open


def test_unreadable_file_simulated(collection, tmp_path, monkeypatch):
    """The message a user without read permission gets (simulated, so it holds when run as root)."""
    path = tmp_path / "locked.txt"
    path.write_text(ARTICLE)
    monkeypatch.setattr(pathlib.Path, "open", _raise_on_open(path))
    result = run("index", str(path))
    assert result.exit_code == 1
    assert lines_naming(result.stderr, "error:", "locked.txt") == [f"error: {path}: cannot read (Permission denied)"]
    assert snapshot() == collection


def test_unreadable_file_for_real(collection, tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text(ARTICLE)
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip("running as root, which chmod 000 does not stop; test_unreadable_file_simulated covers it")
        result = run("index", str(path))
    finally:
        path.chmod(0o644)
    assert result.exit_code == 1
    assert lines_naming(result.stderr, "error:", "locked.txt") == [f"error: {path}: cannot read (Permission denied)"]
    assert snapshot() == collection


class _GrowingHandle:
    """A file handle whose file is appended to (by 'another program') while it is being read."""

    def __init__(self, handle: io.BufferedReader, path: Path) -> None:
        self.handle = handle
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.handle.close()

    def fileno(self) -> int:
        return self.handle.fileno()

    def read(self, size: int = -1) -> bytes:
        with open(self.path, "ab") as writer:
            writer.write(b"More text arriving from the download.\n")
        time.sleep(0.01)
        return self.handle.read(size)


def test_file_changing_while_read_is_refused(collection, tmp_path, monkeypatch):
    path = tmp_path / "downloading.txt"
    path.write_text(ARTICLE)
    original = pathlib.Path.open

    def open_growing(self, *args, **kwargs):
        handle = original(self, *args, **kwargs)
        return _GrowingHandle(handle, self) if self == path else handle

    with monkeypatch.context() as patch:  # not monkeypatch.undo(): that would drop the temporary QA_HOME too
        patch.setattr(pathlib.Path, "open", open_growing)
        result = run("index", str(path))
    assert result.exit_code == 1
    errors = lines_naming(result.stderr, "error:", "downloading.txt")
    assert len(errors) == 1 and "changed while being read" in errors[0] and "index it again" in errors[0]
    assert snapshot() == collection
    assert run("index", str(path)).exit_code == 0  # once complete, it is indexed whole
    assert snapshot()["stats"]["documents"] == 2


# ----- odd files that must be indexed -----------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    name: str
    make: Callable[[Path], None]
    title: str  # the stored title
    contains: str  # words the stored text must hold
    note: str | None = None  # the words of the one note line, where something was repaired


def _deep_html(path: Path) -> None:
    article = (
        "<h1>Harbour strike ends</h1><p>Dock workers ended their strike on Monday after nine days.</p>"
        "<p>Union leaders said the new contract raises pay by 4 percent.</p><script>var ad = 'BUY NOW';</script>"
    )
    path.write_text(
        "<!DOCTYPE html><html><head><title>Harbour strike ends</title><style>.x { color: red }</style></head>"
        "<body><nav>Home | Sport | Weather</nav>" + "<div>" * 5000 + article + "</div>" * 5000 + "</body></html>"
    )


LONG_TITLE = " ".join(["harbour"] * 1250)  # 9,999 characters on one line

ACCEPTED = [
    Accepted("utf16le.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE).encode("utf-16-le")), "Harbour reopens", "north wall"),
    Accepted("utf16be.md", lambda p: p.write_bytes(("\ufeff# " + ARTICLE).encode("utf-16-be")), "Harbour reopens", "north wall"),
    Accepted("utf32le.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE).encode("utf-32-le")), "Harbour reopens", "north wall"),
    Accepted("utf32be.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE).encode("utf-32-be")), "Harbour reopens", "north wall"),
    Accepted("utf8-bom.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE).encode("utf-8")), "Harbour reopens", "north wall"),
    Accepted("utf16-odd-byte.txt", lambda p: p.write_bytes(("\ufeff" + ARTICLE).encode("utf-16-le") + b"\x41"),
             "Harbour reopens", "north wall", "not valid UTF-16-LE; 1 undecodable byte(s) replaced"),
    Accepted("latin1.txt", lambda p: p.write_bytes("Caf\u00e9 owners\n\nCaf\u00e9 owners met in Z\u00fcrich on Monday.".encode("latin-1")),
             "Caf\ufffd owners", "owners met in Z", "not valid UTF-8; 3 undecodable byte(s) replaced"),
    Accepted("crlf.txt", lambda p: p.write_bytes(ARTICLE.replace("\n", "\r\n").encode()), "Harbour reopens", "repairs to the north wall."),
    Accepted("cr.txt", lambda p: p.write_bytes(ARTICLE.replace("\n", "\r").encode()), "Harbour reopens", "repairs to the north wall."),
    Accepted("long-title.txt", lambda p: p.write_text(LONG_TITLE + "\n\nThe harbour reopened on 3 June."),
             " ".join(["harbour"] * 25) + "\u2026", "reopened on 3 June"),  # 200 characters, cut at a space
    Accepted("deep.html", _deep_html, "Harbour strike ends", "raises pay by 4 percent",
             "nested deeper than the 256 levels lxml reads"),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.name for case in ACCEPTED])
def test_odd_but_readable_files_are_indexed(case: Accepted, collection, tmp_path):
    path = tmp_path / case.name
    case.make(path)
    result = run("index", str(path))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.output
    notes = lines_naming(result.stderr, "note:", case.name)
    if case.note is None:
        assert notes == [], result.stderr
    else:
        assert len(notes) == 1 and case.note in notes[0], result.stderr
    after = snapshot()
    assert after["stats"]["documents"] == 2
    document = after["documents"][-1]
    assert document["title"] == case.title
    shown = json.loads(run("docs", "show", str(document["id"]), "--json").stdout)
    assert case.contains in shown["text"]
    assert "\r" not in shown["text"] and "\ufeff" not in shown["text"]
    for passage in shown["passage_list"]:
        assert passage["text"] in shown["text"]
    if case.name == "deep.html":  # the fallback keeps scripts, styles and the menu out
        assert "BUY NOW" not in shown["text"] and "color: red" not in shown["text"] and "Sport" not in shown["text"]


@pytest.mark.slow
def test_two_thousand_page_pdf(collection, tmp_path):
    pages = [[f"Page {n} of the harbour inquiry records the testimony of witness {n}.", "The hearing then adjourned."]
             for n in range(1, 2001)]
    path = write_pdf(tmp_path / "inquiry.pdf", pages)
    started = time.monotonic()
    result = run("index", str(path))
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert seconds < 60, f"a 2,000-page PDF took {seconds:.1f} s"
    hits = json.loads(run("search", "testimony of witness 1999", "--json").stdout)["hits"]
    assert any("witness 1999." in hit["text"] for hit in hits)
    assert snapshot()["stats"]["documents"] == 2


@pytest.mark.slow
def test_ten_megabyte_line_without_sentence_breaks(collection, tmp_path):
    """pysbd alone needs hours for this (its time grows with the square of its input); read a
    window at a time it takes under a minute, pysbd's rate on any 10 MB of text."""
    rng = random.Random(5)
    words = ["harbour", "ferry", "council", "strike", "wall", "repairs", "island", "port", "authority", "vote"]
    line = " ".join(rng.choice(words) for _ in range(1_600_000))[:10_000_000]
    assert len(line) == 10_000_000 and "." not in line
    path = tmp_path / "one-line.txt"
    path.write_text(line)
    started = time.monotonic()
    result = run("index", str(path))
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert seconds < 300, f"a 10 MB line took {seconds:.1f} s"
    stats = snapshot()["stats"]
    assert stats["documents"] == 2
    assert stats["sentences"] - collection["stats"]["sentences"] >= 5_000  # pieces of at most 2,000 characters
    assert stats["characters"] - collection["stats"]["characters"] == 10_000_000
