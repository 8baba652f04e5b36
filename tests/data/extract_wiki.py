#!/usr/bin/env python3
"""Extract English Wikipedia articles (April 2016 snapshot) shipped inside the
PyPI package ``gensim`` (gensim/test/test_data/enwiki-latest-pages-articles1.
xml-p000000010p000030302-shortened.bz2) into plain-text files.

Text: Wikipedia contributors, CC BY-SA 3.0 / GFDL (https://en.wikipedia.org).

Output: one UTF-8 .txt per article: title, blank line, paragraphs separated
by blank lines.  Only the standard library is used; gensim is located with
importlib (never imported, so numpy/scipy are not needed).

Usage:
  extract_wiki.py OUTDIR [--site DIR] [--dump FILE] [--max-paragraphs N]
                           [--min-paragraphs N]
"""
import argparse
import bz2
import html
import importlib.util
import os
import re
import sys
import xml.etree.ElementTree as ET

DUMP_NAME = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
SKIP_SECTIONS = {
    "references", "see also", "notes", "further reading", "external links",
    "bibliography", "sources", "citations", "footnotes", "notes and references",
    "works", "selected works", "filmography", "discography", "gallery",
    "primary sources", "secondary sources", "works cited", "literature",
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


def find_dump(site=None):
    if site:
        sys.path.insert(0, site)
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("gensim package not found (pip install --no-deps gensim, or pass --site/--dump)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "test", "test_data", DUMP_NAME)
    if not os.path.exists(path):
        sys.exit("dump not found in gensim install: " + path)
    return path


def iter_pages(path):
    for _, el in ET.iterparse(bz2.open(path)):
        if el.tag.endswith("}page"):
            ns = el.find("{*}ns").text
            title = el.find("{*}title").text
            redirect = el.find("{*}redirect") is not None
            text = el.find("{*}revision/{*}text").text or ""
            if ns == "0" and not redirect:
                yield title, text
            el.clear()


def _template(body):
    """Render the few templates that carry sentence text; drop the rest."""
    parts = [p.strip() for p in body.split("|")]
    name = parts[0].lower().replace("_", " ")
    args = [p for p in parts[1:] if "=" not in p]
    if name in ("convert", "cvt") and len(args) >= 2:
        if len(args) >= 3 and re.match(r"^[-+]?[\d.,]+$", args[2]):
            sep = args[1].replace("(-)", "")
            sep = "–" if sep in ("-", "–", "") else f" {sep} "
            return f"{args[0]}{sep}{args[2]} {args[3] if len(args) > 3 else ''}".strip()
        return f"{args[0]} {args[1]}"
    if name.startswith("lang-") and args:
        return args[-1]
    if name in ("lang", "nowrap", "nobr", "small", "transl", "em", "sic", "not a typo") and args:
        return args[-1]
    if name in ("birth date", "death date", "start date", "end date", "birth date and age",
                "death date and age", "dts", "date") and len(args) >= 3:
        try:
            y, m, d = int(args[0]), int(args[1]), int(args[2])
            return f"{MONTHS[m - 1]} {d}, {y}"
        except (ValueError, IndexError):
            return ""
    if name in ("circa", "c.") and args:
        return "c. " + args[0]
    if name in ("ndash", "snd", "spaced ndash"):
        return " – "
    if name == "mdash":
        return "—"
    return ""


def _link(body):
    target, _, label = body.partition("|")
    t = target.strip().lower()
    if re.match(r"^(file|image|category|media|wikt|wiktionary|[a-z]{2,3}(-[a-z]+)?):", t):
        return ""
    return (label.split("|")[-1] if label else target).strip()


def clean_wikitext(text):
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<ref[^>/]*/>", "", text)
    text = re.sub(r"<ref[^>]*>.*?</ref>", "", text, flags=re.S)
    text = re.sub(r"<(math|gallery|timeline|score|syntaxhighlight|source|imagemap|table)[^>]*>.*?</\1>",
                  "", text, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)
    for _ in range(30):  # nested links/templates, innermost first (links first: their '|' is not an arg)
        new = re.sub(r"\[\[([^\[\]{}]*)\]\]", lambda m: _link(m.group(1)), text)
        new = re.sub(r"\{\{([^{}\[\]]*)\}\}", lambda m: _template(m.group(1)), new)
        if new == text:
            break
        text = new
    for _ in range(30):  # leftover templates that contain single brackets
        new = re.sub(r"\{\{([^{}]*)\}\}", lambda m: _template(m.group(1)), text)
        if new == text:
            break
        text = new
    for _ in range(20):  # nested tables
        new = re.sub(r"\{\|(?:(?!\{\|).)*?\|\}", "", text, flags=re.S)
        if new == text:
            break
        text = new
    for _ in range(10):  # nested links, innermost first (File captions contain links)
        new = re.sub(r"\[\[([^\[\]]*)\]\]", lambda m: _link(m.group(1)), text)
        if new == text:
            break
        text = new
    text = re.sub(r"\[(?:https?:)?//\S+\s+([^\]]*)\]", r"\1", text)
    text = re.sub(r"\[(?:https?:)?//\S+\]", "", text)
    text = re.sub(r"'{2,}", "", text)
    text = html.unescape(text).replace("\xa0", " ")
    return text


def tidy(par):
    par = re.sub(r"[ \t]+", " ", par.replace("\n", " "))
    par = re.sub(r"\s*\([\s,;:]*\)", "", par)       # empty parens left by dropped templates
    par = re.sub(r"\(\s*[,;][\s,;]*", "(", par)
    par = re.sub(r"\s+([,.;:!?)])", r"\1", par)
    par = re.sub(r"([(])\s+", r"\1", par)
    par = re.sub(r",\s*,", ",", par)
    return par.strip()


def article_paragraphs(wikitext):
    text = clean_wikitext(wikitext)
    out, skip = [], False
    for block in re.split(r"\n\s*\n|\n(?==+[^=\n]+=+\s*$)", text, flags=re.M):
        lines = []
        for line in block.split("\n"):
            s = line.strip()
            h = re.match(r"^(=+)\s*(.*?)\s*\1$", s)
            if h:
                skip = h.group(2).lower() in SKIP_SECTIONS
                continue
            if not s or s[0] in "*#:;|!{}" or s.startswith("__"):
                continue
            lines.append(s)
        if skip or not lines:
            continue
        par = tidy(" ".join(lines))
        if len(par.split()) >= 20 and par[-1] in '.!?"”)' and "{{" not in par and "}}" not in par:
            out.append(par)
    return out


def safe_name(title):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_")[:100] or "untitled"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--site", help="extra sys.path dir where gensim is installed (pip --target)")
    ap.add_argument("--dump", help="path to the .xml.bz2 dump (skips the gensim lookup)")
    ap.add_argument("--max-paragraphs", type=int, default=0, help="keep at most N paragraphs (0 = all)")
    ap.add_argument("--min-paragraphs", type=int, default=3, help="skip articles with fewer paragraphs")
    a = ap.parse_args()
    dump = a.dump or find_dump(a.site)
    os.makedirs(a.outdir, exist_ok=True)
    n = words = 0
    for title, wikitext in iter_pages(dump):
        if "(disambiguation)" in title or title.startswith("List of"):
            continue
        pars = article_paragraphs(wikitext)
        if a.max_paragraphs:
            pars = pars[: a.max_paragraphs]
        if len(pars) < a.min_paragraphs:
            continue
        with open(os.path.join(a.outdir, safe_name(title) + ".txt"), "w", encoding="utf-8") as f:
            f.write(title + "\n\n" + "\n\n".join(pars) + "\n")
        n += 1
        words += sum(len(p.split()) for p in pars)
    print(f"wrote {n} articles, {words} words to {a.outdir} (source: {dump})")


if __name__ == "__main__":
    main()
