"""Does qa's sentence splitter still split exactly as pysbd does, and how much faster is it?

    python bench/split_identity.py [--articles /tmp/news] [--text tests/data/wiki] [--limit N]

Every document is split twice with `split_sentences`: once with plain `pysbd.Segmenter` (the
splitter as it was, "pysbd on everything") and once with qa's faster segmenter. Indexes record
the splitter as "pysbd-en-3" and keep its sentence spans, so any difference is a failure.

Documents: the articles in --articles read as `qa index` reads them (HTML, text, ...), the
plain-text files in --text, and, when the gensim package is installed, every article of the
Wikipedia dump in its test data (converted with tests/data/extract_wiki.py, all paragraphs).
Prints documents, sentences and differences, and the characters per second of both splitters
(splitting only; reading is not timed). Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=Path, default=Path("/tmp/news"), help="a folder of articles")
    parser.add_argument("--text", type=Path, default=REPO / "tests/data/wiki", help="a folder of .txt files")
    parser.add_argument("--limit", type=int, default=0, help="at most N documents (0: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))

    documents = list(_documents(args.articles, args.text))
    if args.limit:
        documents = documents[: args.limit]
    texts = [text for _, text in documents]
    characters = sum(len(text) for text in texts)
    print(f"{len(texts)} documents, {characters:,} characters", flush=True)

    fast, fast_seconds = _split_all(texts, plain_pysbd=False)
    plain, plain_seconds = _split_all(texts, plain_pysbd=True)
    differing = [(name, a, b) for (name, _), a, b in zip(documents, plain, fast) if a != b]
    print(f"pysbd alone {plain_seconds:6.1f} s  {characters / plain_seconds:>11,.0f} characters/s")
    print(
        f"qa          {fast_seconds:6.1f} s  {characters / fast_seconds:>11,.0f} characters/s"
        f"  ({plain_seconds / fast_seconds:.1f}x)"
    )
    sentences = sum(len(found) for found in plain)
    print(f"compared {len(texts)} documents, {sentences:,} sentences: {len(differing)} documents differ")
    for name, expected, got in differing[:5]:
        first = next(i for i, (a, b) in enumerate(zip(expected + [None], got + [None])) if a != b)
        print(f"  {name}: sentence {first}: pysbd {expected[first : first + 1]} qa {got[first : first + 1]}")
    sys.exit(1 if differing else 0)


def _documents(articles: Path, text_folder: Path) -> Iterator[tuple[str, str]]:
    from qa.ingest.readers import UnreadableDocument, read_path

    for path in sorted(p for p in articles.rglob("*") if p.is_file()) if articles.is_dir() else []:
        try:
            yield str(path), read_path(path, 10**9).text
        except UnreadableDocument:
            continue
    for path in sorted(text_folder.glob("*.txt")) if text_folder.is_dir() else []:
        yield str(path), path.read_text(encoding="utf-8")
    yield from _gensim_wikipedia()


def _gensim_wikipedia() -> Iterator[tuple[str, str]]:
    """gensim's Wikipedia test dump as plain text, when gensim is installed (never imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        print("gensim is not installed: its Wikipedia test data is not compared", file=sys.stderr)
        return
    loader = importlib.util.spec_from_file_location("extract_wiki", REPO / "tests/data/extract_wiki.py")
    assert loader is not None and loader.loader is not None
    extract_wiki = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(extract_wiki)
    for title, wikitext in extract_wiki.iter_pages(extract_wiki.find_dump()):
        paragraphs = extract_wiki.article_paragraphs(wikitext)
        if paragraphs:
            yield f"gensim:{title}", title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def _split_all(texts: list[str], plain_pysbd: bool) -> tuple[list[list], float]:
    from qa.ingest import split

    fast = split._segmenter
    if plain_pysbd:
        import pysbd

        plain = pysbd.Segmenter(language="en", clean=False)
        split._segmenter = lambda: plain  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        found = [split.split_sentences(text) for text in texts]
        return found, time.perf_counter() - started
    finally:
        split._segmenter = fast  # type: ignore[assignment]


if __name__ == "__main__":
    main()
