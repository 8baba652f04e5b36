import pytest

from qa.ingest.readers import UnreadableDocument, read_bytes, read_path
from tests.pdfs import write_pdf

LIMIT = 20_000_000


def test_txt_title_is_first_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("\nHeadline here\nBody sentence one. Body two.\n")
    raw = read_path(path, LIMIT)
    assert raw.title == "Headline here"
    assert raw.format == "txt"
    assert raw.text.startswith("\nHeadline")


def test_markdown_title_from_heading(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("Intro line\n\n# The Real Title\n\nText.")
    assert read_path(path, LIMIT).title == "The Real Title"


def test_crlf_is_normalized(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Line one.\r\nLine two.\r\n")
    assert read_path(path, LIMIT).text == "Line one.\nLine two.\n"


def test_html_main_text_title_and_date(tmp_path):
    path = tmp_path / "a.html"
    body = " ".join(["The council approved 42 new buses for the city on Tuesday."] * 3)
    path.write_text(
        "<html><head><title>Buses approved</title>"
        '<meta property="article:published_time" content="2025-03-18"></head>'
        "<body><nav>Home | Sport | Weather</nav><article><h1>Buses approved</h1>"
        f"<p>{body}</p><p>The mayor said the fleet will be electric by 2030.</p></article>"
        "<footer>Copyright 2025</footer></body></html>"
    )
    raw = read_path(path, LIMIT)
    assert raw.title == "Buses approved"
    assert raw.date == "2025-03-18"
    assert "42 new buses" in raw.text and "electric by 2030" in raw.text
    assert "Home | Sport" not in raw.text


def test_pdf_keeps_pages(tmp_path):
    path = write_pdf(tmp_path / "a.pdf", [["First page says 175 prisoners."], [], ["Third page text."]])
    raw = read_path(path, LIMIT)
    assert [span.page for span in raw.pages] == [1, 3]
    for span in raw.pages:
        assert raw.text[span.start : span.end].strip()
    assert "175 prisoners" in raw.text[raw.pages[0].start : raw.pages[0].end]


def test_pdf_without_text_layer(tmp_path):
    path = write_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(UnreadableDocument, match="no text layer"):
        read_path(path, LIMIT)


def test_fake_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("not a pdf at all")
    with pytest.raises(UnreadableDocument, match="not a PDF"):
        read_path(path, LIMIT)


def test_binary_file_rejected(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(UnreadableDocument, match="binary file"):
        read_path(path, LIMIT)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n")
    with pytest.raises(UnreadableDocument, match="empty file"):
        read_path(path, LIMIT)


def test_undecodable_bytes_replaced_with_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Café in Zürich.".encode("latin-1"))
    raw = read_path(path, LIMIT)
    assert "\ufffd" in raw.text and raw.text.startswith("Caf")
    assert raw.warnings and "2 undecodable" in raw.warnings[0]


def test_too_large_file_refused_without_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing read
    with pytest.raises(UnreadableDocument, match="over the 20 MB limit"):
        read_path(path, LIMIT)


def test_stdin_bytes():
    raw = read_bytes("stdin:x", b"Hello there. General Kenobi.")
    assert raw.text == "Hello there. General Kenobi."
    assert raw.source == "stdin:x"
