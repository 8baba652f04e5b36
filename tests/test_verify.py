"""Sentence verification (qa.verify) and text matching (qa.textmatch)."""

from __future__ import annotations

import pytest

from qa.question import analyze
from qa.textmatch import content_stems, coverage, name_in, names, numbers, stem
from qa.verify import Cited, number_swap, order_agreement, unsupported_facts, verify_sentence

SEED_TITLE = (
    "Putin refused a ceasefire, demanding an end to military aid to Ukraine, "
    "indicating an unwillingness to end the war - NYT"
)
RELEASE = (
    "Putin said Russia would release 23 seriously wounded Ukrainian soldiers and conduct a prisoner "
    "exchange with Ukraine later this month, during which 175 prisoners would be transferred from each side."
)
REFUSED = (
    "Russian President Vladimir Putin refused to support the 30-day cessation of hostilities proposed "
    "by the United States and Ukraine in a telephone conversation with Donald Trump."
)
REJECTED = "Putin rejected a 30-day ceasefire, insisting on a cessation of military aid to Ukraine."
STRIKES = "He is willing to limit strikes on energy infrastructure on the condition of reciprocity."
CALL = (
    "However, during a two-and-a-half-hour telephone conversation with President Trump, the Russian "
    "leader has so far refused to agree to a 30-day ceasefire proposed by US and Ukrainian officials."
)


# --- textmatch ------------------------------------------------------------------------------

def test_numbers_normalize_digits_commas_and_words():
    assert numbers("about 1,000 troops") == {"1000"}
    assert numbers("twenty-three soldiers") >= {"23"}
    assert "23" in numbers("twenty three soldiers")
    assert numbers("24.3 million") == {"24300000"} == numbers("24,300,000")
    assert numbers("one of the soldiers") == set()


def test_names_skip_ordinary_sentence_starts():
    assert names("However, the talks failed.") == set()
    assert names("The talks failed. According to him, it ended.") == set()
    assert names("However, Putin met Donald Trump.") == {"Putin", "Donald", "Trump"}


def test_name_in_handles_abbreviations_and_demonyms():
    assert name_in("proposed by U.S. officials", "US")
    assert name_in("wounded Ukrainian soldiers", "Ukraine")
    assert name_in("attacks on Ukraine", "Ukrainian")
    assert not name_in("attacks on Ukraine", "France")
    assert not name_in("the USSR collapsed", "US")


@pytest.mark.parametrize("text, name, found", [
    ("Beyoncé was nominated for nine Grammys", "Beyonce", True),
    ("Beyonce was nominated", "Beyoncé", True),
    # the archive's own damage (news 1093.html): two replacement characters where "é" was
    ("Beyonc\ufffd\ufffd levitates at the Grammys", "Beyonce", True),
    ("the T\ufffdnaiste said", "Tanaiste", True),
    ("Beyonc\ufffd\ufffd levitates at the Grammys", "Beyoncx", True),  # one lost letter may be any letter
    ("Bey\ufffd\ufffdc\ufffd levitates", "Beyonce", False),  # but only one
    ("\ufffd\ufffd\ufffd said", "Tom", False),  # lost characters alone spell no name
    ("Beyonc\ufffd\ufffd", "Adele", False),
])
def test_a_name_with_accents_or_lost_characters(text, name, found):
    assert name_in(text, name) is found


@pytest.mark.parametrize("text, name, found", [
    ("the left-wing GroenLinks (Green Left) party", "GreenLeft", True),  # Qwen 1.5B, news tune
    ("a four-party coalition with the Green-Left", "GreenLeft", True),
    ("the GreenLeft party won 14 seats", "Green Left", True),
    ("the Left and the Greens", "GreenLeft", False),  # the words, but not as one name in its order
    ("Left Green", "GreenLeft", False),
])
def test_a_name_written_as_one_word_or_two(text, name, found):
    assert name_in(text, name) is found


def test_stem_and_coverage():
    assert stem("exchanges") == stem("exchange")
    assert stem("soldiers") == stem("soldier")
    assert "ceasefire" not in content_stems("However, the ceasefire")  # stemmed
    assert content_stems("However, the ceasefire") == {stem("ceasefire")}
    assert coverage(set(), {"x"}) == 1.0
    assert coverage({"a", "b"}, {"a"}) == 0.5


# --- unsupported_facts ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "claim, source",
    [
        ("Russia would release 23 soldiers.", RELEASE),
        ("About 1,000 soldiers were released.", "about 1000 soldiers were released"),
        ("About 1000 soldiers were released.", "about 1,000 soldiers were released"),
        ("Russia would release 23 soldiers.", "Russia would release twenty-three soldiers."),
    ],
)
def test_matching_numbers_are_supported(claim, source):
    assert unsupported_facts(claim, [Cited(source)]) == []


def test_number_words_match_digits_in_cited_text():
    assert unsupported_facts("Russia would release twenty-three soldiers.", [Cited(RELEASE)]) == []


def test_number_absent_from_cited_text_fails():
    assert unsupported_facts("Russia would release 24 soldiers.", [Cited(RELEASE)]) == ["number 24 not in cited text"]


def test_name_absent_from_cited_text_fails():
    assert unsupported_facts("Putin said France would release soldiers.", [Cited(RELEASE)]) == [
        "name France not in cited text"
    ]


def test_us_matches_abbreviation_and_ukrainian_matches_ukraine():
    assert unsupported_facts("The US proposed a ceasefire.", [Cited("The ceasefire was proposed by the U.S. and Kyiv.")]) == []
    assert unsupported_facts("Ukrainian officials proposed it.", [Cited("It was proposed by Ukraine.")]) == []


def test_sentence_start_ordinary_words_are_not_names():
    assert unsupported_facts("However, the ceasefire failed.", [Cited("the ceasefire failed")]) == []
    assert unsupported_facts("The ceasefire failed.", [Cited("the ceasefire failed")]) == []


# --- verify_sentence ------------------------------------------------------------------------

def test_faithful_paraphrase_in_order_is_supported():
    claim = "Putin said Russia would release 23 wounded Ukrainian soldiers."
    assert order_agreement(claim, RELEASE) == 1.0
    verdict = verify_sentence(claim, [Cited(RELEASE)], similarity=0.8)
    assert verdict.supported, verdict.reasons
    assert verdict.reasons == []


def test_no_citations_rejected():
    claim = "Putin said Russia would release 23 wounded Ukrainian soldiers."
    assert verify_sentence(claim, [], 0.9).reasons == ["no valid citation"]


def test_too_short_rejected_without_a_question_it_answers():
    verdict = verify_sentence("Putin refused.", [Cited(REFUSED)], 0.9)
    assert not verdict.supported
    assert verdict.reasons == ["too short to be a claim"]
    asked = analyze("Who proposed the ceasefire that Putin refused to support?")
    assert not verify_sentence("Putin refused.", [Cited(REFUSED)], 0.9, asked).supported


def test_low_similarity_and_low_coverage_rejected():
    verdict = verify_sentence("the harvest was poor because of drought.", [Cited(RELEASE)], similarity=0.3)
    assert not verdict.supported
    assert any(r.startswith("similarity 0.30 below") for r in verdict.reasons)
    assert any("of its words are in the cited text" in r for r in verdict.reasons)


def test_low_similarity_alone_tolerated_when_every_word_is_cited():
    # lexical coverage 1.0 overrides a low similarity score
    verdict = verify_sentence("Putin said Russia would release 23 wounded soldiers.", [Cited(RELEASE)], 0.3)
    assert verdict.supported, verdict.reasons


def test_recombined_claim_rejected():
    claim = "The ceasefire was proposed by Vladimir Putin."
    source = "Vladimir Putin refused the ceasefire proposed by the United States."
    verdict = verify_sentence(claim, [Cited(source)], similarity=0.9)
    assert not verdict.supported
    assert verdict.reasons == ["who did 'proposed' differs from the cited text"]


def test_passive_rewording_keeps_order():
    source = "The rebels would free ten hostages on Monday."
    assert order_agreement("Ten hostages will be freed by the rebels on Monday.", source) == 1.0
    assert verify_sentence("Ten hostages will be freed by the rebels on Monday.", [Cited(source)], 0.85).supported
    assert not verify_sentence("The hostages would free the rebels on Monday.", [Cited(source)], 0.85).supported


def test_order_agreement_uses_best_cited_text():
    claim = "Putin said Russia would release 23 wounded Ukrainian soldiers."
    verdict = verify_sentence(claim, [Cited(STRIKES), Cited(RELEASE)], 0.8)
    assert verdict.supported, verdict.reasons


def test_order_agreement_empty_claim_is_zero():
    assert order_agreement("the and of", RELEASE) == 0.0


def test_sentence_that_only_repeats_question_rejected():
    question = analyze("How many seriously wounded Ukrainian soldiers did Putin say Russia would release?")
    claim = "Putin said Russia would release seriously wounded Ukrainian soldiers."
    verdict = verify_sentence(claim, [Cited(RELEASE)], similarity=0.9, question=question)
    assert not verdict.supported
    assert verdict.reasons == ["only repeats the question"]
    # the same sentence with the answer added is fine
    answered = "Putin said Russia would release 23 seriously wounded Ukrainian soldiers."
    assert verify_sentence(answered, [Cited(RELEASE)], similarity=0.9, question=question).supported




DUTCH = (
    "With more than 93 percent of votes counted, Rutte's liberal VVD party was set to win 33 seats, making it the"
    " largest in the new 150-seat parliament, with Wilders and his Freedom Party (PVV) beaten into second place with"
    " 20 seats, the Dutch national broadcaster NOS said on Thursday."
)


@pytest.mark.parametrize(
    "claim",
    [
        # the default model's draft on the news archive: PVV's 20 given to the VVD
        "With more than 93 percent of votes counted, Rutte's liberal VVD party was set to win 20 seats in the Dutch"
        " parliament, with Wilders and his Freedom Party (PVV) beaten into second place with 20 seats.",
        "Rutte's VVD party was set to win 150 seats.",
    ],
)
def test_a_number_moved_into_another_numbers_frame_is_rejected(claim):
    verdict = verify_sentence(claim, [Cited(DUTCH)], 0.9)
    assert not verdict.supported
    assert any("where the cited text has 'VVD ... win 33 seats'" in reason for reason in verdict.reasons)


@pytest.mark.parametrize(
    "claim",
    [
        "Rutte's liberal VVD party was set to win 33 seats in the new 150-seat parliament.",
        "Wilders and his Freedom Party (PVV) were beaten into second place with 20 seats.",
        "The PVV was set to win 20 seats.",  # another name: not the VVD's frame
    ],
)
def test_numbers_in_their_own_frames_are_not_swaps(claim):
    assert number_swap(claim, DUTCH) is None


# --- an answer framed by its question -------------------------------------------------------

TRY = ("A first-half try from Iain Henderson and eight points from the boot of a battered Johnny Sexton "
       "established a lead that England never looked like closing.")
TRY_TITLE = "Six Nations 2017: Ireland 13-9 England"


def test_an_answer_framed_by_its_question_is_supported():
    """The question's words around the cited answer are the user's frame, not new claims; its
    numbers and names must still be in the cited sentence or its title."""
    asked = analyze("Who scored Ireland's try when they beat England 13-9 in the Six Nations?")
    claim = "Iain Henderson scored Ireland's try when they beat England 13-9 in the Six Nations."
    verdict = verify_sentence(claim, [Cited(TRY, title=TRY_TITLE)], 0.7, asked)
    assert verdict.supported, verdict.reasons
    assert not verify_sentence(claim, [Cited(TRY, title=TRY_TITLE)], 0.7).supported  # no question, no frame


@pytest.mark.parametrize("question, claim, reason", [
    # the wrong name: Sexton is in the cited sentence, but not beside "try"
    ("Who scored Ireland's try when they beat England 13-9 in the Six Nations?",
     "Johnny Sexton scored Ireland's try when they beat England 13-9 in the Six Nations.", "adds what"),
    # a number from the question that neither the sentence nor its title gives
    ("Who scored Ireland's try when they beat England 20-9 in the Six Nations?",
     "Iain Henderson scored Ireland's try when they beat England 20-9 in the Six Nations.", "number 20"),
    # a yes/no question restated is not an answer framed by it
    ("Did Iain Henderson score Ireland's try when they beat England 13-9?",
     "Yes, Iain Henderson scored Ireland's try when they beat England 13-9.", ""),
])
def test_a_frame_does_not_carry_a_wrong_answer(question, claim, reason):
    verdict = verify_sentence(claim, [Cited(TRY, title=TRY_TITLE)], 0.7, analyze(question))
    assert not verdict.supported
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_a_date_the_article_backs_is_not_an_added_word():
    cited = Cited("Senator Leila de Lima, a fierce critic of the president, was arrested on drug charges on Friday.",
                  title="Philippine senator arrested", date="2017-02-24")
    verdict = verify_sentence("Leila de Lima was arrested on drug charges in February 2017.", [cited], 0.8)
    assert verdict.supported, verdict.reasons
    wrong = verify_sentence("Leila de Lima was arrested on drug charges in March 2016.", [cited], 0.8)
    assert any("date March 2016" in r for r in wrong.reasons)


def test_a_framed_answer_must_pass_the_wording_proxies_itself():
    """Leaning on the question's frame, a sentence that fails only a wording proxy (here word
    order) is not handed to a model's reading (soft_only): readings accepted recombined claims
    that way."""
    asked = analyze("Who scored Ireland's try when they beat England 13-9 in the Six Nations?")
    claim = ("Ireland beat England 13-9 in the Six Nations as Sexton kicked eight points from the boot and "
             "Iain Henderson scored the try.")
    verdict = verify_sentence(claim, [Cited(TRY, title=TRY_TITLE)], 0.85, asked)
    assert not verdict.supported and not verdict.soft_only
    assert len(verdict.reasons) == 1 and "recombined claim" in verdict.reasons[0]


@pytest.mark.parametrize("claim", [
    "England scored the try when Iain Henderson beat Ireland 13-9 in the Six Nations.",
    "In the Six Nations Iain Henderson beat England 13-9 when Ireland scored the try.",
])
def test_a_frame_with_its_names_swapped_is_no_frame(claim):
    """Word order cannot see who beat whom when only two names change places; the question's
    names must keep the question's order for its words to count as the frame."""
    asked = analyze("Who scored Ireland's try when they beat England 13-9 in the Six Nations?")
    verdict = verify_sentence(claim, [Cited(TRY, title=TRY_TITLE)], 0.5, asked)
    assert not verdict.supported
    assert any("adds what" in r for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize("claim, source", [
    ("The plant will burn about 20,000,000 tons of coal annually.", "The plant will burn about 20 million tons of coal annually."),
    ("Russia has seven thousand warheads, according to the fund.", "Russia has 7,000 warheads, according to the fund."),
])
def test_a_number_written_another_way_is_not_an_added_word(claim, source):
    verdict = verify_sentence(claim, [Cited(source)], 0.8)
    assert verdict.supported, verdict.reasons
    wrong = verify_sentence(claim.replace("20,000,000", "30,000,000").replace("seven", "eight"), [Cited(source)], 0.8)
    assert not wrong.supported


@pytest.mark.parametrize("claim", [
    "Since April 8, 2006, Churkin had been Russia's UN ambassador.",
    "Einstein did not go back to Germany after Hitler came to power.",
])
def test_clauses_in_the_other_order_keep_the_cited_order(claim):
    sources = {
        "Churkin": "Churkin had been Russia's UN ambassador since April 8, 2006, representing the country.",
        "Einstein": "Einstein was visiting the United States when Hitler came to power in 1933 and did not go back to Germany.",
    }
    source = next(text for name, text in sources.items() if name in claim)
    assert order_agreement(claim, source) >= 0.85  # as written, only 50-57 % of its words follow
    assert verify_sentence(claim, [Cited(source)], 0.85).supported


def test_clauses_swapped_still_catch_a_recombined_clause():
    source = "Vladimir Putin refused the ceasefire proposed by the United States, officials said."
    assert order_agreement("After the call, the United States refused the ceasefire proposed by Putin.", source) < 0.75


def test_a_bare_number_among_two_beside_the_asked_words_is_rejected():
    asked = analyze("How many of the seven countries in the travel ban order did Kelly call nearly failed states?")
    source = ("He said five of the seven countries named in the order are \"nearly failed states\" and four "
              "of them don't have U.S. embassies.")
    for claim in ("4.", "Five."):
        assert not verify_sentence(claim, [Cited(source)], 0.6, asked).supported


@pytest.mark.parametrize("question, claim, cited", [
    ("Which party came out on top in the Dutch election?",
     "The Freedom Party came out on top in the Dutch election.",
     "His party came far ahead of the next three parties, including the anti-immigration Freedom Party, "
     "which each got 19 seats."),
    ("Which party won the Saarland state election?",
     "The Left party won the Saarland state election.",
     "Now, for the third time, he is running as the head of the Left party in the state elections."),
])
def test_a_which_question_is_no_frame(question, claim, cited):
    """A name beside "party" or "election" is too often in another role: the question's words do
    not become the cited text's for a "which X" answer (Qwen 1.5B's answers, news tune)."""
    verdict = verify_sentence(claim, [Cited(cited, title="Dutch and German elections")], 0.75, analyze(question))
    assert not verdict.supported
    assert any("adds what" in r or "not in cited text" in r for r in verdict.reasons), verdict.reasons


def test_an_intention_the_cited_text_does_not_state_is_rejected():
    cited = [Cited("In February 2014, the Russian resort city of Sochi hosted the Winter Olympic Games, officials said.")]
    claim = "Russian cities want to host the Winter Olympic Games, officials said."
    verdict = verify_sentence(claim, cited, 0.8)
    assert "says 'want to', an intention the cited text does not state" in verdict.reasons
    planned = [Cited("Russian cities want to host the Winter Olympic Games, officials said on Tuesday.")]
    assert verify_sentence(claim, planned, 0.9).supported


def test_words_in_another_script_must_be_in_the_cited_text():
    """qa's word rules read Latin letters only: a model's "St.Петербург" for "St. Petersburg" was
    otherwise invisible to every check."""
    cited = [Cited("The cities ready to host the Olympics are Kazan, Sochi and St. Petersburg, Zhukov said.")]
    verdict = verify_sentence("The cities ready to host the Olympics are Kazan, Sochi and St.Петербург, Zhukov said.", cited, 0.95)
    assert not verdict.supported
    assert verdict.reasons == ["words in another script the cited text does not have (Петербург)"]
    quoted = [Cited("Zhukov said Санкт-Петербург was ready to host the Olympics.")]
    assert verify_sentence("Zhukov said Санкт-Петербург was ready to host the Olympics.", quoted, 0.95).supported


def test_a_word_of_its_own_is_a_synonym_only_in_a_close_paraphrase():
    """One added word passes as a synonym in a sentence that reads as its cited text; in a looser
    one it may be the answer itself ("... was sarin" where the cited text names no agent)."""
    cited = [Cited("Deadly nerve agent used to kill Kim Jong-nam at Kuala Lumpur airport")]
    claim = "The deadly nerve agent used to kill Kim Jong-nam at Kuala Lumpur airport was sarin."
    assert not verify_sentence(claim, cited, 0.74).supported
    assert any("adds what the cited text does not say (sarin)" in r for r in verify_sentence(claim, cited, 0.74).reasons)


def test_a_verb_joined_by_and_has_the_first_verbs_doer():
    cited = [Cited("The White House said Tuesday President Donald Trump earned more than $150 million in income "
                   "and paid $38 million in taxes.")]
    wrong = verify_sentence("The White House paid $38 million in taxes.", cited, 0.8)
    assert "who did 'paid' differs from the cited text" in wrong.reasons
    assert verify_sentence("President Donald Trump paid $38 million in taxes.", cited, 0.85).supported


def test_a_name_found_by_its_last_word_needs_its_other_words_in_the_article():
    cited = [Cited("Aldous Huxley (26 July 1894 - 22 November 1963) was an English writer and novelist.",
                   title="Aldous Huxley")]
    garbled = verify_sentence("Aldougad Huxley (26 July 1894 - 22 November 1963) was an English writer.", cited, 0.9)
    assert "name Aldougad Huxley not in cited text (Aldougad)" in garbled.reasons
    titled = [Cited("Steinmeier won 931 of 1,239 valid votes.", title="Frank-Walter Steinmeier elected president")]
    assert verify_sentence("Frank-Walter Steinmeier won 931 of 1,239 valid votes.", titled, 0.9).supported


def test_the_title_names_the_subject_a_sentence_leaves_unsaid():
    """The article's title is context: "Angola became independent in 1975" from "Independence was
    achieved in 1975" under the title "Angola". Only as the sentence's subject: a title's name put
    in another role is still an addition."""
    asked = analyze("When did Angola become independent?")
    cited = [Cited("Independence was achieved in 1975 after the protracted liberation war.", title="Angola")]
    assert verify_sentence("Angola became independent in 1975 after the protracted liberation war.", cited, 0.8, asked).supported
    attack = [Cited("Russia tried to have the draft resolution, which condemns the attack that hit the Syrian capital "
                    "on March 11, adopted.", title="Terror attack in Damascus timed to coincide with talks")]
    wrong = verify_sentence("The attack hit the Syrian capital on March 11, which Damascus's draft resolution condemned.", attack, 0.8)
    assert "name Damascus not in cited text" in wrong.reasons


def test_a_number_beside_a_unit_alone_does_not_frame_a_how_long_answer():
    """"a 30-day ceasefire" stands beside "day", a unit a "how long" answer comes in, but not
    beside anything the question asks about: it does not say how long the call lasted."""
    asked = analyze("How long did the phone call between Putin and Trump last?")
    verdict = verify_sentence("The phone call lasted 30 days.", [Cited(CALL, title=SEED_TITLE)], 0.36, asked)
    assert not verdict.supported
    assert any("adds what" in r for r in verdict.reasons)


@pytest.mark.parametrize("question, cited, right, wrong", [
    ("How old was Chuck Berry when he died?", "Chuck Berry has died at the age of 90, his wife of 68 years said.",
     "Chuck Berry was 90 when he died.", "Chuck Berry was 68 when he died."),
    ("How many people died in the attack?", "At least 75 people died in the attack, and 250 were injured.",
     "75 people died in the attack.", "250 people died in the attack."),
    ("How long did the strike last?", "The five-day strike ended on Friday after 300 workers returned.",
     "The strike lasted five days.", "The strike lasted 300 days."),
])
def test_a_how_many_answer_gives_the_number_cited_for_what_was_asked(question, cited, right, wrong):
    """Every word of "Chuck Berry was 68 when he died" is in its cited sentence; only the number's
    place is wrong: the number that answers is the one beside what was asked."""
    asked = analyze(question)
    assert verify_sentence(right, [Cited(cited)], 0.7, asked).supported
    verdict = verify_sentence(wrong, [Cited(cited)], 0.7, asked)
    assert not verdict.supported
    assert any("for what was asked" in r for r in verdict.reasons), verdict.reasons


def test_a_named_object_must_be_the_one_the_cited_text_gives():
    cited = [Cited("Trump welcomed Angela Merkel to the White House, where Mike Pence greeted reporters.")]
    assert verify_sentence("Trump welcomed Angela Merkel to the White House.", cited, 0.8).supported
    wrong = verify_sentence("Trump welcomed Mike Pence to the White House.", cited, 0.8)
    assert "what 'welcomed' acted on differs from the cited text" in wrong.reasons
    clause = [Cited('Lee stated the former North Korean heir had been killed with poison by "two Asian women."')]
    assert not any("acted on" in r for r in verify_sentence(
        "Lee stated that two Asian women had killed the former North Korean heir with poison.", clause, 0.9).reasons)


def test_a_when_answer_gives_the_date_cited_for_what_was_asked():
    asked = analyze("When did Steinmeier become president?")
    cited = [Cited("Steinmeier was elected president on Sunday, February 12, replacing Joachim Gauck, who took "
                   "office in 2012.", title="Germany")]
    assert verify_sentence("Steinmeier became president on February 12.", cited, 0.7, asked).supported
    wrong = verify_sentence("Steinmeier became president in 2012.", cited, 0.7, asked)
    assert "gives 2012, which the cited text does not give for what was asked" in wrong.reasons


TITOV = ("A number of countries have assigned personal armed guards to Russian ambassadors, Russian first "
         "deputy foreign minister Vladimir Titov said in an interview with Rossiyskaya Gazeta daily.")
EINSTEIN = "Einstein published more than 300 scientific papers along with over 150 non-scientific works."
HAWIYE = ("Khaire is a member of the Hawiye clan, as is former President Hassan Sheikh Mohamud, whom Mohamed "
          "defeated in the election earlier this month.")
MATVIYENKO = ("We have been invited by Federation Council Speaker Valentina Matviyenko, she said in reply to an "
              "invitation from parliamentarian Dmitry Sablin to visit Duma.")


@pytest.mark.parametrize("question, claim, cited, supported", [
    # the value beside the asked-about words, with the other words of its own name
    ("Who said that a number of countries have assigned armed guards to Russian ambassadors?", "Titov.", TITOV, True),
    ("Who said that a number of countries have assigned armed guards to Russian ambassadors?",
     "Vladimir Titov.", TITOV, True),
    # a name the text gives elsewhere, or a name run that the answer only borrows from
    ("Who said that a number of countries have assigned armed guards to Russian ambassadors?",
     "Rossiyskaya Gazeta.", TITOV, False),
    ("Who invited the Syrian parliamentarians to Moscow?", "Federation Council Speaker Dmitry Sablin.", MATVIYENKO, False),
    # a number beside only part of the asked words ("150 non-scientific works")
    ("How many scientific papers did Einstein publish?", "150 scientific papers.", EINSTEIN, False),
    # known miss: "150" also stands within reach of "scientific", so the right answer is not told
    # apart either; it fails as it did before the rule
    ("How many scientific papers did Einstein publish?", "More than 300.", EINSTEIN, False),
    # two numbers beside "votes": gemma-270m's "1,239 votes." had passed a looser version (news tune)
    ("How many votes did Steinmeier get?", "1,239 votes.",
     "Steinmeier received 931 of the 1,239 votes cast in the Federal Convention.", False),
    # "composer" is a noun for who Deems Taylor is, not "composed": SmolLM2's "Deems Taylor." for
    # "Who composed An American in Paris?" had passed, re-cited to this sentence (gold tune)
    ("Who composed An American in Paris?", "Deems Taylor.",
     "Gershwin collaborated on the original program notes with the critic and composer Deems Taylor.", False),
    ("Who composed An American in Paris?", "Gershwin.",
     "An American in Paris was composed by Gershwin in 1928, after a visit to Paris.", True),
    # rejected only because the name the rule finds nearest the asked words is "Hassan": the rule
    # cannot tell that the sentence is about Khaire and Mohamud, not Mohamed (a known weakness)
    ("Which clan is President Mohamed with?", "The Hawiye clan.", HAWIYE, False),
])
def test_a_bare_answer_is_the_value_given_for_what_was_asked(question, claim, cited, supported):
    """A bare answer among other names or numbers of its kind passes only when it is the value the
    cited text gives beside the asked-about words, and all of its names belong to that one name."""
    assert verify_sentence(claim, [Cited(cited)], 0.5, analyze(question)).supported is supported


@pytest.mark.parametrize("claim, cited, supported", [
    ("The conversation lasted 45 minutes.",
     "Pompeo's visit came on the back of a 45-minute telephone conversation between Trump and Erdogan on Tuesday.", True),
    ("The war lasted for 3 years.", "It would mark the first cessation of attacks in the three years of the war.", True),
    ("The conversation lasted 2 and a half hours.", CALL, True),
    # another number, another thing lasting, or a length that was only proposed or refused
    ("The war lasted for 4 years.", "It would mark the first cessation of attacks in the three years of the war.", False),
    ("The phone call lasted 30 days.", "Putin refused a 30-day ceasefire after the phone call.", False),
    ("The ceasefire lasted 30 days.", CALL, False),
    ("The cessation of hostilities lasted 30 days.", REFUSED, False),
])
def test_lasted_restates_a_duration_the_cited_text_gives(claim, cited, supported):
    """"X lasted N units" from "an N-unit X" or "the N units of the X": the verb and the low
    similarity are not a claim of its own; a length proposed, refused or planned did not elapse."""
    assert verify_sentence(claim, [Cited(cited)], 0.3).supported is supported


@pytest.mark.parametrize("claim, cited, title, supported", [
    # "the agency" is the UN the title names (gemma-270m and Qwen 1.5B, pairs tune)
    ("The US is still the biggest financial backer of the UN.",
     "But the US is still the biggest financial backer of the agency.", "What is the future of US-UN relations?", True),
    ("The US is still the biggest financial backer of NATO.",
     "But the US is still the biggest financial backer of the agency.", "What is the future of US-UN relations?", False),
    # no institution named by its kind: the title's name is not the cited sentence's
    ("The US is still the biggest financial backer of the UN.",
     "But the US is still the biggest financial backer of Palestinian refugees.", "What is the future of US-UN relations?",
     False),
])
def test_an_institution_named_by_its_kind_is_the_one_the_title_names(claim, cited, title, supported):
    assert verify_sentence(claim, [Cited(cited, title=title)], 0.8).supported is supported
