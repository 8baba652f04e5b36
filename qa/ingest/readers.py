"""Read article files (txt, md, html, pdf) into plain text plus title, date and page spans."""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import QAError

TEXT_SUFFIXES = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md"}
HTML_SUFFIXES = {".html": "html", ".htm": "html"}
SUPPORTED_SUFFIXES = {**TEXT_SUFFIXES, **HTML_SUFFIXES, ".pdf": "pdf"}
_TITLE_MAX = 200


class UnreadableDocument(QAError):
    """A single file that cannot be indexed; the rest of the batch goes on."""


@dataclass
class PageSpan:
    page: int
    start: int
    end: int


@dataclass
class RawDocument:
    source: str
    format: str
    title: str
    date: str | None
    text: str
    content_hash: str
    pages: list[PageSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def format_for(path: Path) -> str | None:
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_path(path: Path, max_bytes: int) -> RawDocument:
    """Read one supported file; raises UnreadableDocument with a one-line reason."""
    fmt = format_for(path)
    if fmt is None:
        raise UnreadableDocument(f"{path}: unsupported file type {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDocument(f"{path}: cannot read ({exc.strerror})") from None
    if size > max_bytes:
        raise UnreadableDocument(
            f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit per document;"
            " split it or raise QA_MAX_DOCUMENT_MB"
        )
    if fmt == "pdf":
        return _read_pdf(path)
    data, text, warnings = _read_text(path)
    return from_bytes(str(path), fmt, data, text, warnings)


def read_bytes(source: str, data: bytes, fmt: str = "txt") -> RawDocument:
    """Read a document given as bytes (e.g. stdin)."""
    _reject_binary(source, data[:8192])
    text, warnings = _decode(source, data)
    return from_bytes(source, fmt, data, text, warnings)


def from_bytes(source: str, fmt: str, data: bytes, text: str, warnings: list[str]) -> RawDocument:
    digest = content_hash(data)
    if fmt == "html":
        return _from_html(source, text, digest, warnings)
    text = _normalize_newlines(text)
    if not text.strip():
        raise UnreadableDocument(f"{source}: empty file, nothing to index")
    title = _markdown_title(text) if fmt == "md" else None
    return RawDocument(
        source=source,
        format=fmt,
        title=title or _first_line_title(text, source),
        date=None,
        text=text,
        content_hash=digest,
        warnings=warnings,
    )


def _read_text(path: Path) -> tuple[bytes, str, list[str]]:
    with path.open("rb") as handle:
        head = handle.read(8192)
        _reject_binary(str(path), head)
        data = head + handle.read()
    text, warnings = _decode(str(path), data)
    return data, text, warnings


def _decode(source: str, data: bytes) -> tuple[str, list[str]]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        count = text.count("\ufffd")
        return text, [f"{source}: not valid UTF-8; {count} undecodable byte(s) replaced with \ufffd"]


def _reject_binary(source: str, head: bytes) -> None:
    if b"\x00" in head:
        raise UnreadableDocument(f"{source}: binary file, not text; skipped")


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _first_line_title(text: str, source: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:_TITLE_MAX]
    return Path(source).stem


def _markdown_title(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip()[:_TITLE_MAX] if match else None


def _from_html(source: str, html: str, digest: str, warnings: list[str]) -> RawDocument:
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    fields = extracted.as_dict() if hasattr(extracted, "as_dict") else (extracted or {})
    text = _normalize_newlines(fields.get("text") or "")
    if not text.strip():
        raise UnreadableDocument(f"{source}: no article text found in the HTML")
    title = (fields.get("title") or "").strip()[:_TITLE_MAX] or _first_line_title(text, source)
    return RawDocument(
        source=source,
        format="html",
        title=title,
        date=fields.get("date") or None,
        text=text,
        content_hash=digest,
        warnings=warnings,
    )


def _read_pdf(path: Path) -> RawDocument:
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        raise UnreadableDocument(f"{path}: not a PDF file (no %PDF header)")
    try:
        reader = pypdf.PdfReader(path)
        page_texts = [_normalize_newlines(page.extract_text() or "").strip() for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except Exception as exc:  # pypdf raises many types for damaged files
        raise UnreadableDocument(f"{path}: cannot read PDF ({type(exc).__name__}: {exc})") from None
    pages: list[PageSpan] = []
    chunks: list[str] = []
    cursor = 0
    for number, page_text in enumerate(page_texts, start=1):
        if not page_text:
            continue
        if chunks:
            chunks.append("\n\n")
            cursor += 2
        pages.append(PageSpan(number, cursor, cursor + len(page_text)))
        chunks.append(page_text)
        cursor += len(page_text)
    text = "".join(chunks)
    if not text.strip():
        raise UnreadableDocument(
            f"{path}: PDF has no text layer (scanned?); run OCR on it first, e.g. ocrmypdf"
        )
    return RawDocument(
        source=str(path),
        format="pdf",
        title=str(info_title).strip()[:_TITLE_MAX] or _first_line_title(text, str(path)),
        date=None,
        text=text,
        content_hash=content_hash(data),
        pages=pages,
    )
