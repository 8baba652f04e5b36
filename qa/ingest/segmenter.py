"""pysbd 0.3.4's English sentence segmenter, six to ten times faster, to exactly the same sentences.

qa splits text into pysbd's sentences, and indexes record the splitter as "pysbd-en-3" and keep its
sentence spans. pysbd spends most of its time on work that cannot change the text (a substitution
over the whole line for every word that starts like an abbreviation, a regex compiled for every
sentence, list patterns scanned in text with no list, fixed strings replaced with re.sub, patterns
that open with a lookbehind tried at every character). The subclasses and rules here skip that
work, or do the same work another way; they override pysbd 0.3.4's own code, so with any other
version pysbd is used as it is.

What `english_segmenter().segment(text)` returns must stay identical to pysbd 0.3.4's, to the
character: tests/test_split_fastpath.py compares the two on hand-made and generated text, and
bench/split_identity.py over whole corpora (it must report 0 documents differing). pysbd is
imported, and the subclasses made, only when text is first split, so `qa --help` never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def english_segmenter() -> Any:  # pysbd has no type information
    """pysbd's English segmenter; for pysbd 0.3.4, its slowest steps done faster, to the same
    result (any other version is used as it is: the changes are written against 0.3.4's code)."""
    import pysbd

    if pysbd.__version__ != "0.3.4":
        return pysbd.Segmenter(language="en", clean=False)
    return _faster_pysbd()


def _faster_pysbd() -> Any:
    """pysbd 0.3.4's English segmenter, six to ten times faster on news text.

    Indexes record the splitter as "pysbd-en-3" and keep its sentence spans, so what this returns
    must be pysbd's to the character: each change either skips work that cannot change the text
    or does the same work another way (tests/test_split_fastpath.py and bench/split_identity.py
    compare it with pysbd itself). The subclasses are made here, as pysbd is imported only when
    text is first split.
    """
    import pysbd
    from pysbd.lang.english import English
    from pysbd.lists_item_replacer import ListItemReplacer
    from pysbd.processor import Processor
    from pysbd.utils import Text

    # pysbd applies these with re.sub, over every sentence; each one replaces a fixed string
    # with a fixed string, as str.replace does (checked here: no pattern character, no escape)
    symbols = _literal_rules(English.SubSymbolsRules.All)
    ellipses = _literal_rules(English.ReinsertEllipsisRules.All)
    single_quote = _literal_rules([English.SubSingleQuoteRule])
    signs = {
        ListItemReplacer.ALPHABETICAL_LIST_WITH_PERIODS: _LETTER_ITEM,
        ListItemReplacer.ALPHABETICAL_LIST_WITH_PARENS: _LETTER_PAREN_ITEM,
        ListItemReplacer.NUMBERED_LIST_REGEX_1: _NUMBER_ITEM,
        ListItemReplacer.NUMBERED_LIST_PARENS_REGEX: _NUMBER_PAREN_ITEM,
    }

    class ListItems(ListItemReplacer):  # type: ignore[misc]
        """Skips a list pattern's scan when the text lacks what every item it finds must show."""

        def iterate_alphabet_array(self, regex: str, parens: bool = False, roman_numeral: bool = False) -> str:
            if regex in signs and not _may_match(signs[regex], self.text):
                return self.text
            return super().iterate_alphabet_array(regex, parens, roman_numeral)

        def scan_lists(self, regex1: str, regex2: str, replacement: str, strip: bool = False) -> None:
            if regex1 in signs and not _may_match(signs[regex1], self.text):
                return
            super().scan_lists(regex1, regex2, replacement, strip)

    class FasterProcessor(Processor):  # type: ignore[misc]
        """pysbd's steps in pysbd's order; the per-sentence symbol rules as str.replace."""

        text: str

        def process(self) -> Any:  # pysbd's Processor.process, with ListItems
            if not self.text:
                return self.text
            self.text = self.text.replace("\n", "\r")
            self.text = ListItems(self.text).add_line_break()
            self.replace_abbreviations()
            self.replace_numbers()
            self.replace_continuous_punctuation()
            self.replace_periods_before_numeric_references()
            self.text = Text(self.text).apply(
                self.lang.Abbreviation.WithMultiplePeriodsAndEmailRule,
                self.lang.GeoLocationRule,
                self.lang.FileFormatRule,
            )
            return self.split_into_segments()

        def split_into_segments(self) -> list[str]:  # pysbd's, its symbol rules as str.replace
            self.check_for_parens_between_quotes()
            pieces = self.rm_none_flatten(self.text.split("\r"))
            pieces = [Text(piece).apply(self.lang.SingleNewLineRule, *self.lang.EllipsisRules.All) for piece in pieces]
            pieces = self.rm_none_flatten([self.check_for_punctuation(piece) for piece in pieces])
            sentences: list[str] = []
            for piece in pieces:
                processed = self.post_process_segments(_replace_literals(piece, symbols))
                if processed and isinstance(processed, str):
                    sentences.append(processed)
                elif isinstance(processed, list):
                    sentences.extend(processed)
            return [_replace_literals(sentence, single_quote) for sentence in sentences]

        def post_process_segments(self, txt: str) -> str | list[str]:  # pysbd's, as above
            if len(txt) > _BARE_WORD_OVER and re.search(r"\A[a-zA-Z]*\Z", txt):
                return txt
            txt = _replace_literals(txt, ellipses)
            if re.search(self.lang.QUOTATION_AT_END_OF_SENTENCE_REGEX, txt):
                return re.split(self.lang.SPLIT_SPACE_QUOTATION_AT_END_OF_SENTENCE_REGEX, txt)
            return txt.replace("\n", "").strip()

    class Abbreviations(English.AbbreviationReplacer):  # type: ignore[name-defined,misc]
        index = _abbreviation_index(English.Abbreviation.ABBREVIATIONS)

        def search_for_abbreviations_in_string(self, text: str) -> str:
            if "{" in text:
                return super().search_for_abbreviations_in_string(text)
            return _mark_abbreviations(self, text)

    class FasterEnglish(English):  # type: ignore[misc]
        """English with the steps above, and its "(?<=X)." rules written ".(?<=X.)"."""

        AbbreviationReplacer = Abbreviations
        Processor = FasterProcessor
        KommanditgesellschaftRule = _faster_rule(English.KommanditgesellschaftRule)
        GeoLocationRule = _faster_rule(English.GeoLocationRule)
        FileFormatRule = _faster_rule(English.FileFormatRule)
        NUMBERED_REFERENCE_REGEX = _character_first(English.NUMBERED_REFERENCE_REGEX)
        if English.CONTINUOUS_PUNCTUATION_REGEX == _CONTINUOUS_PUNCTUATION[0]:
            CONTINUOUS_PUNCTUATION_REGEX = _CONTINUOUS_PUNCTUATION[1]

        class Numbers(English.Numbers):  # type: ignore[name-defined,misc]
            All = [_faster_rule(rule) for rule in English.Numbers.All]

        class SingleLetterAbbreviationRules(English.SingleLetterAbbreviationRules):  # type: ignore[name-defined,misc]
            All = [_faster_rule(rule) for rule in English.SingleLetterAbbreviationRules.All]

        class AmPmRules(English.AmPmRules):  # type: ignore[name-defined,misc]
            All = [_faster_rule(rule) for rule in English.AmPmRules.All]

    class Segmenter(pysbd.Segmenter):  # type: ignore[misc]
        def sentences_with_char_spans(self, sentences: list[str]) -> list[Any]:
            if not all(sentences):
                return super().sentences_with_char_spans(sentences)
            return _locate_pieces(self.original_text, sentences)

    segmenter = Segmenter(language="en", clean=False)
    segmenter.language_module = FasterEnglish
    return segmenter


# A pattern that begins with a lookbehind is tried at every character of the text; most of
# pysbd's rules are "(?<=X)." - a "." (or "∯") after X. Written ".(?<=X.)" it matches the same
# characters (the lookbehind now ends after the one it stands before) but begins with a fixed
# character, which re finds with a fast scan: ten times faster on news text.
_LOOKBEHIND_FIRST = re.compile(r"\(\?<=(?P<behind>[^()]+)\)(?P<character>\\\.|∯|\(\\\.\|∯\))(?P<rest>.*)", re.DOTALL)
# pysbd's pattern for "!!!" and "???" and the same with the lookbehind after the first mark (its
# caller uses only the whole match)
_CONTINUOUS_PUNCTUATION = (r"(?<=\S)(!|\?){3,}(?=(\s|\Z|$))", r"[!?](?<=\S[!?])[!?]{2,}(?=(\s|\Z|$))")


def _character_first(pattern: str) -> str:
    found = _LOOKBEHIND_FIRST.fullmatch(pattern)
    if not found:
        return pattern
    character = found["character"]
    inside = "[.∯]" if character.startswith("(") else character
    return f"{character}(?<={found['behind']}{inside}){found['rest']}"


def _faster_rule(rule: Any) -> Any:
    return type(rule)(_character_first(rule.pattern), rule.replacement)


# pysbd returns a piece of letters only, longer than this, as it is
_BARE_WORD_OVER = 2
_PATTERN_CHARACTERS = frozenset(".^$*+?{}[]\\|()")


def _literal_rules(rules: Sequence[Any]) -> list[tuple[str, str]]:
    """pysbd rules as (pattern, replacement) strings, when each pattern matches only itself and
    each replacement is used as written (an error otherwise: pysbd is not what was read)."""
    pairs = [(rule.pattern, rule.replacement) for rule in rules]
    for pattern, replacement in pairs:
        if _PATTERN_CHARACTERS.intersection(pattern) or "\\" in replacement:
            raise RuntimeError(f"pysbd rule {pattern!r} is not a plain string replacement")
    return pairs


def _replace_literals(text: str, rules: list[tuple[str, str]]) -> str:
    for pattern, replacement in rules:
        if pattern in text:
            text = text.replace(pattern, replacement)
    return text


# What a list item pysbd looks for must show, at the start of the text or anywhere in it: where
# neither is found its pattern finds no item and changes nothing. Each "anywhere" begins with the
# item's "." or ")" and looks back from there, as _character_first does, so re scans for that
# one character instead of trying an alternation of lookbehinds at every position.
_LETTER_ITEM = (re.compile(r"[a-z]\."), re.compile(r"\.(?<=\s[a-z]\.)"))  # "a. ", " b. "
_LETTER_PAREN_ITEM = (  # "b) ", "(iv) "
    re.compile(r"[a-z]{1,5}\)"),
    # a lookbehind has one width: one for each length from "a)" to "xviii)"
    re.compile(
        r"\)(?:(?<=[\s(][a-z]\))|(?<=[\s(][a-z]{2}\))|(?<=[\s(][a-z]{3}\))|(?<=[\s(][a-z]{4}\))|(?<=[\s(][a-z]{5}\)))"
    ),
)
_NUMBER_ITEM = (  # "1. ", " -2. "
    re.compile(r"\d{1,2}\.[\s)]"),
    re.compile(r"\.(?:(?<=[\s\-⁃]\d\.)|(?<=[\s\-⁃]\d\d\.))(?=[\s)])"),
)
_NUMBER_PAREN_ITEM = (None, re.compile(r"\)(?<=\d\))(?=\s)"))  # "3) "


def _may_match(sign: tuple[re.Pattern[str] | None, re.Pattern[str]], text: str) -> bool:
    at_start, anywhere = sign
    return bool((at_start and at_start.match(text)) or anywhere.search(text))


@lru_cache(maxsize=1024)
def _abbreviation_finder(abbreviation: str) -> re.Pattern[str]:
    # pysbd's own pattern, unescaped as pysbd has it ("e.g" also finds "e∯g")
    return re.compile(r"(?:^|\s|\r|\n){}".format(abbreviation), re.IGNORECASE)


# The only characters that match an ASCII letter case-insensitively (as pysbd's patterns match
# abbreviations) but do not lowercase to it: "İ" and "ı" match "i", "ſ" matches "s" ("İ" is also
# the only character whose lowercase is longer). In a line without them, text.lower() shows
# every place such a pattern can match, letter for letter.
_LOWERCASE_MISMATCHES = ("\u0130", "\u0131", "\u017f")
_WORDS_BEFORE_DOT = re.compile(r"(?<!\S)[a-z]+(?=\.)")


def _abbreviation_index(abbreviations: Sequence[str]) -> tuple[dict[str, list[int]], list[int]]:
    """Positions in pysbd's list of each abbreviation, by the word a line must have right before
    a "." for it to change anything; those with a "." in them (a wildcard in pysbd's pattern)
    are listed apart, as always possible."""
    by_word: dict[str, list[int]] = {}
    dotted: list[int] = []
    for position, abbreviation in enumerate(abbreviations):
        stripped = abbreviation.strip()
        if "." in stripped:
            dotted.append(position)
        else:
            by_word.setdefault(stripped, []).append(position)
    return by_word, dotted


def _mark_abbreviations(replacer: Any, text: str) -> str:
    """pysbd's search_for_abbreviations_in_string, without the work that changes nothing.

    For every word that begins like an abbreviation ("p" finds every word starting with p) pysbd
    runs one substitution over the whole line: its time grows with the square of the line, and
    this was half of it. Each substitution turns a "." into "∯" where it follows a space and the
    word it was given, and the characters after it say so. No such condition asks for a
    character other than "." (and "∯" meets none), so a "." one left alone stays unmatched once
    other dots have become "∯": a word seen before on the line changes nothing, nor does a word
    the line never has followed by a "." - both are skipped, and so is an abbreviation the line
    never has as a word (after a space or at its start) right before a ".".

    pysbd also looks up the letter after each abbreviation, with a pattern that as written finds
    only the text "{abbreviation} "; the caller hands a line with a "{" to pysbd itself, so here
    that lookup finds nothing, as it would in pysbd.
    """
    abbreviations = replacer.lang.Abbreviation.ABBREVIATIONS
    lowered = text.lower()
    candidates: Sequence[int] = range(len(abbreviations))
    if not any(character in text for character in _LOWERCASE_MISMATCHES):
        by_word, dotted = replacer.index
        words = set(_WORDS_BEFORE_DOT.findall(lowered))
        candidates = sorted(dotted + [position for word in words for position in by_word.get(word, ())])
    for position in candidates:
        stripped = abbreviations[position].strip()
        if stripped not in lowered:  # pysbd's own test
            continue
        seen: set[str] = set()
        for match in _abbreviation_finder(stripped).findall(text):
            if match in seen:
                continue
            seen.add(match)
            # the substitution's lookbehind is the matched word, literally, right before the "."
            if match.strip() + "." in text:
                text = replacer.scan_for_replacements(text, match, 0, [])
    return text


_TRAILING_SPACE = re.compile(r"\s*")


def _locate_pieces(original: str, pieces: list[str]) -> list[Any]:
    """pysbd's sentences_with_char_spans with str.find for its regex of each piece.

    pysbd compiles re.escape(piece) followed by any space for every piece and takes the first of its
    non-overlapping matches that ends past the previous one; the compiling was a third of its
    time. Here the same matches are walked with str.find: a literal, then its trailing space.
    """
    from pysbd.utils import TextSpan

    spans = []
    prior_end = 0
    for piece in pieces:
        cursor = 0
        while (found := original.find(piece, cursor)) >= 0:
            end = _TRAILING_SPACE.match(original, found + len(piece)).end()  # type: ignore[union-attr]
            if end > prior_end:
                spans.append(TextSpan(original[found:end], found, end))
                prior_end = end
                break
            cursor = end
    return spans
