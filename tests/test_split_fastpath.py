"""qa's faster pysbd segmenter splits exactly as pysbd itself does.

Indexes record the splitter as "pysbd-en-3" and keep its sentence spans, so every case here
compares the two, at pysbd's level (the strings `segment` returns) and at qa's (the spans
`split_sentences` returns); bench/split_identity.py does the same over whole corpora.
"""

from __future__ import annotations

import re
import string
import sys

import pysbd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.ingest import segmenter, split

FASTER = pysbd.__version__ == "0.3.4"  # the version the faster segmenter is written against
PLAIN = pysbd.Segmenter(language="en", clean=False)


def assert_same_as_pysbd(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert segmenter.english_segmenter().segment(text) == PLAIN.segment(text)
    faster = split.split_sentences(text)
    with monkeypatch.context() as patched:
        patched.setattr(split, "_segmenter", lambda: PLAIN)
        plain = split.split_sentences(text)
    assert faster == plain


WINDOW = split._SEGMENT_WINDOW
PARAGRAPHS = {
    "abbreviations": "Mr. Smith met Dr. Jones and Sen. Warren at St. Mary's on Feb. 3. They spoke at length.",
    "country abbreviations": "The U.S. economy grew. The U.S. The E.U. and the U.K. disagreed. U.S.A. is long.",
    "abbreviation before a capital": "He lives in the U.S. He works in N.Y. She does not.",
    "decimals": "Growth was 3.5 percent in 2016. Inflation hit 2.25%. Shares fell 0.5. Then 10.75 again.",
    "ellipses": "Well... I don't know. Wait . . . what? It ended.... Then. . . . And… more… Done.",
    "quote after a full stop": 'He said "it is over." Then he left. "Go home." She did.',
    "question mark inside quotes": '"Why?" he asked. "Who knows?" she said. "Stop!" they shouted. Fine.',
    "double punctuation": "Really?! No way!? What?? Stop!! Yes!!! Why??? Ok?",
    "numbered list": "Steps: 1. Open the box. 2. Take it out. 3. Plug it in. Done.",
    "numbered list at the start": "1. First item here. 2. Second item here.",
    "numbered list with parens": "Choose 1) red 2) green 3) blue and go.",
    "numbered list after dashes": "Do this -1. open it -2. close it. Steps ⁃1. open ⁃2. close. Done.",
    "lettered list": "Options: a. one b. two c. three. Then a) four b) five. Also (i) six (ii) seven.",
    "roman numerals in parens": "See (iv) Then more. And (ix) Again.",
    "a day of the month": "Hearings begin on March 20. Committee Chairman Chuck Grassley said so. On May 7. Then.",
    "no punctuation at all": "harbour wall ferry council strike",
    "no punctuation with a quote": 'He said -" The end came without a stop',
    "times of day": "It starts at 9 a.m. Doors open at 8 P.M. Then p.m. Again at 5 A.M. Here.",
    "initials": "J. R. R. Tolkien wrote it. A. Smith read it. E. coli spread.",
    "numeric references": "This is known.[12] Another study.[3, 4] As shown.12 Then more.",
    "file names": "Open the .pdf file. Then the .docx one. Done.",
    "coordinates": "It lies at 40°. 5 minutes north. Then 30° .7 away.",
    "company": "Siemens Co. KG said. Then Acme Co. Ltd. went.",
    "possessive abbreviation": "The U.S.'s role grew. Inc.'s share fell.",
    "email and web": "Write to info@example.com. Or visit www.example.org. Thanks.",
    "parens between quotes": 'He said "one" (quietly) "two" and left. Then more.',
    "exclamation words": "Yahoo! is a company. Yum! Brands too. The !Kung people live there.",
    "single quotes": "She said 'it is fine. really' and left. It's John's.",
    "numbers before abbreviations": "See p. 5 and pp. 10-12. No. 7 won. Art. 3 applies.",
    "lines in one paragraph": "First line without stop\nSecond line. With two\nThird.",
    "a brace": "The {p} value was 3. Mr. {Mr} Smith left. Then p. 4.",
    # pysbd reads the letter after "{no} " as the one after "no", so it does not mark "no. 5"
    "a brace before a capital": "The {no} Way is long. See no. 5 for more.",
    "case folding letters": "The ſt. George, the İs. and the ıd. Kelvin K. He left. Mſ. X said.",
    # "ſ" matches "s" in pysbd's case-insensitive patterns but is not "s" in text.lower()
    "a long s before a lowercase word": "At first ſt. john left. The first ſt. george came.",
    "mixed case abbreviations": "MR. Smith and mR. Jones. Then ST. Paul and sT. Mary. P. Then.",
    "sentence starters after abbreviations": "It is in the U.S. The end. I met Jr. However he left.",
    "colons and numbers": "Gen. 1:3 says so. Then Mr. 2:30 came.",
    "empty": "",
    "only spaces": "   \n\t ",
    "one character": ".",
}


@pytest.mark.skipif(not FASTER, reason="pysbd is not 0.3.4: qa uses it as it is")
def test_the_faster_segmenter_is_in_use():
    assert split._segmenter().language_module.__name__ == "FasterEnglish"


@pytest.mark.parametrize("text", PARAGRAPHS.values(), ids=PARAGRAPHS.keys())
def test_splits_as_pysbd(text, monkeypatch):
    assert_same_as_pysbd(text, monkeypatch)


def test_text_longer_than_a_window_splits_as_pysbd(monkeypatch):
    """Windows of 2,000 characters, so the seams fall inside abbreviations, quotes and lists."""
    text = " ".join(PARAGRAPHS.values()) * 3
    assert len(text) > 2 * WINDOW
    assert_same_as_pysbd(text, monkeypatch)
    no_break = "harbour wall ferry council strike " * 200
    assert len(no_break) > 2 * WINDOW
    assert_same_as_pysbd(no_break, monkeypatch)


TOKENS = st.sampled_from(
    "Mr.|mr.|U.S.|u.s.|e.g.|i.e.|Ph.D.|p.|pp.|No.|no.|St.|Co.|KG|a.m.|P.M.|3.5|20.|1.|2.|10.|1)|2)|a.|b.|a)|b)|(i)|"
    "(ii)|iv)|-3.|⁃4.|...|…|. . .|!|?|?!|!!!|???|\"|'|“|”|‘|’|«|»|(|)|[1]|.[2]|°|.pdf|Yahoo!|{p}|{no} W|{|ſt.|İs.|"
    "ıd.|K.|The|He|I|said|and|harbour|wall|2016.|--|-|:|;|,|\n|\t".split("|")
)
SEPARATORS = st.sampled_from([" ", " ", " ", "", "  ", "\n"])
PROSE = st.lists(st.tuples(TOKENS, SEPARATORS), max_size=40).map(lambda parts: "".join(t + s for t, s in parts))


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROSE)
def test_any_mix_of_tricky_tokens_splits_as_pysbd(text):
    assert segmenter.english_segmenter().segment(text) == PLAIN.segment(text)


REWRITTEN_RULES = [
    r"(?<=\d)\.(?=\S)",
    r"(?<=\r\d)\.(?=(\s\S)|\))",
    r"(?<=^\d)\.(?=(\s\S)|\))",
    r"(?<=^\d\d)\.(?=(\s\S)|\))",
    r"(?<=Co)\.(?=\sKG)",
    r"(?<=^[A-Z])\.(?=\s)",
    r"(?<=\s[A-Z])\.(?=,?\s)",
    r"(?<= P∯M)∯(?=\s[A-Z])",
    r"(?<=[a-zA-z]°)\.(?=\s*\d+)",
    r"(?<=[^\d\s])(\.|∯)((\[(\d{1,3},?\s?-?\s?)*\b\d{1,3}\])+|((\d{1,3}\s?)?\d{1,3}))(\s)(?=[A-Z])",
]
RULE_TEXTS = st.text(alphabet=st.sampled_from(list("1.∯ \r\nCoKGAPMa°[],-)x")), max_size=40)


@pytest.mark.parametrize("pattern", REWRITTEN_RULES)
def test_a_rule_with_its_lookbehind_after_the_character_is_rewritten(pattern):
    faster = segmenter._character_first(pattern)
    assert faster != pattern and faster.startswith(("\\.", "∯", "(\\.|∯)"))


@hsettings(max_examples=400, deadline=None)
@given(RULE_TEXTS)
def test_rewritten_rules_replace_exactly_what_pysbd_replaces(text):
    for pattern in REWRITTEN_RULES:
        replacement = r"∯\2\r\7" if pattern.count("(") > 5 else "#"
        assert re.sub(segmenter._character_first(pattern), replacement, text) == re.sub(pattern, replacement, text)
    plain, faster = segmenter._CONTINUOUS_PUNCTUATION
    marks = text.replace("1", "!").replace("x", "?")
    assert [m.span() for m in re.finditer(faster, marks)] == [m.span() for m in re.finditer(plain, marks)]


@pytest.mark.parametrize("pattern", [r"(?<=\s)(\.\s){3}\.", r"\.(?=\d)", r"\.\.\.(?=\s+[A-Z])"])
def test_rules_of_another_shape_are_left_as_they_are(pattern):
    assert segmenter._character_first(pattern) == pattern


def test_only_the_listed_characters_match_an_ascii_letter_but_lowercase_to_another():
    """The abbreviation shortcut reads text.lower(); it is exact only if no other character
    matches an ASCII letter case-insensitively without lowercasing to it."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    lowercase = set(string.ascii_lowercase)
    found = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if letter.fullmatch(chr(code)) and chr(code).lower() not in lowercase
    }
    assert found == set(segmenter._LOWERCASE_MISMATCHES)
