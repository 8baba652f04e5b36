"""Read article files (txt, md, html, pdf) into plain text plus title, date and page spans."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from qa.dates import date_in_text, file_date
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
    # where `date` comes from: "metadata" (HTML), "text" (a date line near the top), "file" (the
    # file's modification day, when the article gives none); None when undated
    date_source: str | None = None


def format_for(path: Path) -> str | None:
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_path(path: Path, max_bytes: int) -> RawDocument:
    """Read one supported file; raises UnreadableDocument with a one-line reason."""
    fmt = format_for(path)
    if fmt is None:
        raise UnreadableDocument(f"{path}: unsupported file type {path.suffix or '(none)'}")
    data = _read_file(path, max_bytes)
    raw = _read_pdf(str(path), data) if fmt == "pdf" else read_bytes(str(path), data, fmt)
    if raw.date is None:
        modified = file_date(path)
        if modified is not None:
            raw.date, raw.date_source = modified.isoformat(), "file"
    return raw


def read_bytes(source: str, data: bytes, fmt: str = "txt") -> RawDocument:
    """Read a document given as bytes (a file's, or stdin's)."""
    text, warnings = _decode(source, data)
    return from_text(source, fmt, data, text, warnings)


def from_text(source: str, fmt: str, data: bytes, text: str, warnings: list[str]) -> RawDocument:
    digest = content_hash(data)
    if fmt == "html":
        return _from_html(source, text, digest, warnings)
    text = _normalize_newlines(text)
    _require_words(source, text)
    title = _markdown_title(text) if fmt == "md" else None
    return _dated(RawDocument(
        source=source,
        format=fmt,
        title=title or _first_line_title(text, source),
        date=None,
        text=text,
        content_hash=digest,
        warnings=warnings,
    ))


def _dated(raw: RawDocument) -> RawDocument:
    """The article's own date: its metadata's, else a date line near the top of its text."""
    if raw.date:
        raw.date_source = "metadata"
        return raw
    found = date_in_text(raw.text)
    if found is not None:
        raw.date, raw.date_source = found.isoformat(), "text"
    return raw


def _read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes from one read. A file whose size or modification time moves while it is
    read (still being written or downloaded) is refused: half a file must not be indexed as if
    it were the article, and the next `qa index` reads it whole."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise UnreadableDocument(f"{path}: not a regular file; skipped")
        with path.open("rb") as handle:
            before = os.fstat(handle.fileno())
            if before.st_size > max_bytes:
                raise UnreadableDocument(_over_limit(path, before.st_size, max_bytes))
            data = handle.read(max_bytes + 1)
            after = os.fstat(handle.fileno())
    except OSError as exc:
        raise UnreadableDocument(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise UnreadableDocument(_over_limit(path, len(data), max_bytes))
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        raise UnreadableDocument(
            f"{path}: changed while being read ({before.st_size:,} bytes when opened, {len(data):,} read);"
            " skipped, index it again once it is complete"
        )
    return data


def _over_limit(path: Path, size: int, max_bytes: int) -> str:
    return (
        f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit per document;"
        " split it or raise QA_MAX_DOCUMENT_MB"
    )


# Checked longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Characters no article contains: control characters other than whitespace (C0, DEL, C1) and
# U+FFFD, which decoding puts in place of each byte that is not UTF-8.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")

# Share of such characters above which a file is refused as not text. Measured on the same
# articles saved in a legacy 8-bit encoding and read as UTF-8: German 3%, French 5%, Polish 5%,
# Czech 7%, Hungarian 11% (readable, with a note); random bytes 55% (21% if all below 0x80);
# Russian or Greek in cp1251/cp1253 80%+, which would be stored as mostly U+FFFD, unreadable
# and unsearchable, so refusing with "convert it to UTF-8" is the useful answer there too.
_MAX_NOT_TEXT_SHARE = 0.15


def _decode(source: str, data: bytes) -> tuple[str, list[str]]:
    """Text from bytes: by byte-order mark if there is one (UTF-8/16/32), else as UTF-8.

    The mark decides before any check for NUL bytes, which UTF-16 and UTF-32 text is full of.
    A NUL anywhere, not only in the first 8 KB, refuses the file: no text holds one, and where a
    text file has them further in (a zero-filled tail after a crash or an interrupted copy,
    binary data appended) it is damaged; stripping them would index what is left as if whole.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            data = data[len(bom) :]
            break
    if encoding == "utf-8" and (nul := data.find(b"\x00")) >= 0:
        hint = "; UTF-16 without a byte-order mark? save it as UTF-8" if _looks_like_utf16(data) else ""
        raise UnreadableDocument(
            f"{source}: binary file, not text (a NUL byte at byte {nul:,} of {len(data):,}{hint}); skipped"
        )
    try:
        text, replaced = data.decode(encoding), 0
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        # U+FFFD the file itself holds is not counted as a replaced byte
        replaced = max(1, text.count("\ufffd") - data.count("\ufffd".encode(encoding)))
    if "\x00" in text:
        raise UnreadableDocument(f"{source}: binary file, not text (NUL characters in its {encoding} text); skipped")
    _require_text(source, text)
    if replaced:
        label = "UTF-8" if encoding == "utf-8" else encoding.upper()
        return text, [f"{source}: not valid {label}; {replaced} undecodable byte(s) replaced with \ufffd"]
    return text, []


# Too few bytes to tell UTF-16 by its pattern of NULs: four characters.
_UTF16_MIN_BYTES = 8


def _looks_like_utf16(data: bytes) -> bool:
    """Mostly-ASCII UTF-16 has a NUL in every other byte; binary formats do not."""
    head = data[:4096]
    return len(head) >= _UTF16_MIN_BYTES and (head[1::2].count(0) > 0.9 * len(head[1::2]) or head[0::2].count(0) > 0.9 * len(head[0::2]))


def _require_text(source: str, text: str) -> None:
    if not text:
        return
    junk = len(text) - len(_NOT_TEXT.sub("", text))
    if junk > _MAX_NOT_TEXT_SHARE * len(text):
        raise UnreadableDocument(
            f"{source}: not text: {junk / len(text):.0%} of its characters are undecodable bytes or control"
            " characters; skipped (if it is text in another encoding, convert it to UTF-8 first)"
        )


_WORD_CHARACTER = re.compile(r"[^\W_]")


def _require_words(source: str, text: str) -> None:
    if not text.strip():
        raise UnreadableDocument(f"{source}: empty file, nothing to index")
    if not _WORD_CHARACTER.search(text):
        raise UnreadableDocument(f"{source}: no letters or digits in it, nothing to index")


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _short_title(title: str) -> str:
    """One line of at most _TITLE_MAX characters, cut at a word boundary when it is longer."""
    title = " ".join(title.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title.rfind(" ", 0, _TITLE_MAX)
    return title[: cut if cut > _TITLE_MAX // 2 else _TITLE_MAX - 1] + "\u2026"


def _first_line_title(text: str, source: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return _short_title(line)
    return Path(source).stem


def _markdown_title(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    if match is None:
        return None
    return _short_title(match.group(1)) or None


def _from_html(source: str, html: str, digest: str, warnings: list[str]) -> RawDocument:
    fields, failure = _extract_article(html)
    text = _normalize_newlines(fields.get("text") or "")
    # The page's visible text stands in for the extractor's where its result has a known defect:
    # it failed, or lxml cut the tree and the article lay below the cut (what it returns then is
    # the shallow part: the menu). Where it simply found no article, its verdict stands, so menus
    # and cookie walls are not indexed.
    cause = failure or (_lxml_depth_cut(html) and f"nested deeper than the {_LXML_MAX_DEPTH} levels lxml reads")
    if cause or not text.strip():
        visible = VisibleText.of(html)
        if not visible.text.strip():
            raise UnreadableDocument(f"{source}: no visible text in the HTML, only markup, scripts or styles")
        if not cause:
            raise UnreadableDocument(f"{source}: no article text found in the HTML, only navigation or boilerplate")
        warnings = [*warnings, f"{source}: the article extractor could not read it ({cause}); indexed the page's visible text"]
        fields = {"title": visible.title, "date": None}
        text = visible.text
    _require_words(source, text)
    title = _short_title(fields.get("title") or "") or _first_line_title(text, source)
    return _dated(RawDocument(
        source=source,
        format="html",
        title=title,
        date=fields.get("date") or None,
        text=text,
        content_hash=digest,
        warnings=warnings,
    ))


def _extract_article(html: str) -> tuple[dict, str | None]:
    """trafilatura's main text and metadata, and why it failed if it raised."""
    import trafilatura

    try:
        extracted = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception as exc:  # noqa: BLE001 - a parser bug must cost one page's boilerplate removal, not the batch
        return {}, f"{type(exc).__name__}: {_one_line(str(exc))}"
    if extracted is None:
        return {}, None
    return (extracted.as_dict() if not isinstance(extracted, dict) else extracted), None


# libxml2 stops building the tree at this depth (2048 with XML_PARSE_HUGE) and drops what lies
# deeper, so an article wrapped in more <div>s than this is invisible to trafilatura.
_LXML_MAX_DEPTH = 256


def _lxml_depth_cut(html: str) -> bool:
    import lxml.html

    parser = lxml.html.HTMLParser()
    try:
        lxml.html.document_fromstring(html, parser=parser)
    except Exception:  # noqa: BLE001 - lxml refusing the page is a cut tree too
        return True
    return any("Excessive depth" in entry.message for entry in parser.error_log)


class VisibleText(HTMLParser):
    """A page's visible text, one paragraph per block element, without scripts, styles or
    navigation. Python's tokenizer keeps no tree, so no nesting depth stops it."""

    _HIDDEN = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "select"})
    _BOILERPLATE = frozenset({"nav", "header", "footer", "aside", "form", "button"})
    _BLOCKS = frozenset(
        {
            "address", "article", "blockquote", "body", "br", "dd", "details", "dialog", "div", "dl", "dt",
            "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol",
            "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: dict[str, int] = {}
        self.blocks: list[str] = []
        self.words: list[str] = []
        self.in_title = False
        self.title = ""

    @classmethod
    def of(cls, html: str) -> VisibleText:
        parser = cls()
        parser.feed(html)
        parser.close()
        parser._end_block()
        return parser

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN or tag in self._BOILERPLATE:
            self.skipping[tag] = self.skipping.get(tag, 0) + 1
        elif tag == "title":
            self.in_title = True
        if tag in self._BLOCKS:
            self._end_block()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping.get(tag):
            self.skipping[tag] -= 1
        elif tag == "title":
            self.in_title = False
        if tag in self._BLOCKS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not any(self.skipping.values()):
            self.words.extend(data.split())

    def _end_block(self) -> None:
        if self.words:
            self.blocks.append(" ".join(self.words))
            self.words = []


def _one_line(message: str) -> str:
    return " ".join(message.split())[:300]


def _read_pdf(source: str, data: bytes) -> RawDocument:
    import logging

    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not data.startswith(b"%PDF"):
        raise UnreadableDocument(f"{source}: not a PDF file (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))  # pypdf opens with the empty user password itself
        page_texts = [_normalize_newlines(page.extract_text() or "").strip() for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except FileNotDecryptedError:
        raise UnreadableDocument(
            f"{source}: PDF is password-protected; save a decrypted copy first, e.g. qpdf --decrypt --password=..."
        ) from None
    except DependencyError as exc:  # AES-encrypted PDFs need the optional 'cryptography' package
        raise UnreadableDocument(f"{source}: encrypted PDF pypdf cannot open here ({_one_line(str(exc))})") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for damaged files
        raise UnreadableDocument(
            f"{source}: damaged or truncated PDF, cannot read it ({type(exc).__name__}: {_one_line(str(exc))})"
        ) from None
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
            f"{source}: PDF has no text layer (scanned?); run OCR on it first, e.g. ocrmypdf"
        )
    _require_text(source, text)  # fonts without a usable character map extract as control characters
    return _dated(RawDocument(
        source=source,
        format="pdf",
        title=_short_title(str(info_title)) or _first_line_title(text, source),
        date=None,
        text=text,
        content_hash=content_hash(data),
        pages=pages,
    ))
