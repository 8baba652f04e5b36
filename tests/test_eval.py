"""`qa eval`: gold-file scoring with the fake embedder and a scripted generator; one slow run of
the real default model on gold questions."""

import json
import re

import pytest
from click.testing import CliRunner

from qa.answer import AnswerResult, Part
from qa.cli import main
from qa.evaluation import Outcome, answer_sentence, check_citations, first_hit, source_matches, tally
from qa.evidence import Evidence
from qa.generate import register_generator
from qa.gold_file import GoldItem
from qa.policy import default_policy
from tests.conftest import REPO, SEEDS
from tests.scripted import SCRIPTS, ScriptedGenerator

ARTICLES = {
    "town": {
        "harbour.txt": "Harbour reopens\n\nThe harbour reopened on 3 June after repairs costing 4 million euros."
        " Fishing boats returned to the harbour the same week.\n",
        "library.txt": "New city library\n\nThe city library opened a new reading room with 20,000 books in March."
        " The mayor praised the library staff for the work.\n",
        "stadium.txt": "Stadium vote\n\nThe council voted to build a football stadium near the river for 50 million"
        " euros. Residents protested against the stadium plan.\n",
    },
    "zoo": {"zoo.txt": "Zoo news\n\nThe zoo welcomed two panda cubs born in August. Keepers named the panda cubs Bao and Mei.\n"},
}

# Hand-checked: every article is one passage, so a search returns one passage per document. For
# the harbour question only harbour.txt shares a keyword: it ranks first, the others follow on the
# dense side alone. So at k=1: h1 hits (rank 1), h2 misses (library.txt is not first), l1 hits
# (library.txt first), z1 hits: recall@1 3/4, MRR@1 3/4.
LINES = [
    {"id": "h1", "question": "When did the harbour reopen?", "kind": "answer",
     "expected_sources": ["harbour.txt"], "required": ["3 JUNE"]},  # regexes match case-insensitively
    {"id": "h2", "question": "When did the harbour reopen?", "kind": "answer",
     "expected_sources": ["library.txt"], "required": ["4 million"]},
    {"id": "l1", "question": "How many books are in the new library reading room?", "kind": "answer",
     "expected_sources": ["stadium.txt", "town/library.txt"]},
    {"id": "n1", "question": "Who won the 2022 World Cup?", "kind": "abstain"},
    {"id": "f1", "question": "How many tanks has France promised to Ukraine?", "kind": "answer"},
    {"id": "z1", "question": "What did keepers name the panda cubs?", "kind": "answer", "collection": "zoo",
     "expected_sources": ["zoo.txt"], "required": ["Bao"]},
]


def script(messages):
    text = messages[-1]["content"]
    if "harbour reopen" in text:
        return "The harbour reopened on 3 June. [1]"
    if "panda" in text:
        return "Keepers named the panda cubs Bao and Mei. [1]"
    return "The library opened a reading room. [1]"


@pytest.fixture
def collections(tmp_path):
    runner = CliRunner()
    for name, files in ARTICLES.items():
        folder = tmp_path / name
        folder.mkdir()
        for file_name, text in files.items():
            (folder / file_name).write_text(text)
        assert runner.invoke(main, ["index", str(folder), "-c", name]).exit_code == 0
    SCRIPTS["eval"] = script


def write_gold(tmp_path, lines, name="gold.jsonl"):
    path = tmp_path / name
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def run_eval(*args):
    return CliRunner().invoke(main, ["eval", *map(str, args), "--model", "scripted:eval"], catch_exceptions=False)


def test_table_per_collection_and_overall(collections, tmp_path):
    path = write_gold(tmp_path, LINES)
    result = run_eval(path, "-c", "town", "-k", "1")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header == f"{path}: 6 questions; model scripted:eval; policy {default_policy().label()}; k=1"
    table = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", row.strip()) for row in rows)}
    assert table["metric"] == ["town", "zoo", "overall"]
    assert table["questions"] == ["5", "1", "6"]
    assert table["recall@1"] == ["0.67 (2/3)", "1.00 (1/1)", "0.75 (3/4)"]
    assert table["MRR@1"] == ["0.667", "1.000", "0.750"]
    assert table["all required found"] == ["0.50 (1/2)", "1.00 (1/1)", "0.67 (2/3)"]
    assert table["abstention accuracy"] == ["1.00 (1/1)", "-", "1.00 (1/1)"]  # zoo has no abstain line
    assert table["false abstentions"] == ["0.25 (1/4)", "0.00 (0/1)", "0.20 (1/5)"]
    assert table["citation precision"][-1] == "1.00 (5/5)"
    assert table["unsupported sentences shown"] == ["0", "0", "0"]
    assert {"s/question, median", "s, total"} <= set(table)
    # where the sentence with each answer stood, per collection: h1 and h2 (town), z1 (zoo)
    assert rows[-3:] == ["town: the sentence with the answer: ranked first 2",
                         "zoo: the sentence with the answer: ranked first 1",
                         "overall: the sentence with the answer: ranked first 3"]
    assert "Failing questions" not in result.stdout


def test_json_records_and_summary(collections, tmp_path):
    result = run_eval(write_gold(tmp_path, LINES), "-c", "town", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"file", "model", "policy", "k", "summary", "questions"}
    assert payload["k"] == 3 and payload["model"] == "scripted:eval" and payload["policy"].startswith("default@")
    assert list(payload["summary"]) == ["town", "zoo", "overall"]
    records = {record["id"]: record for record in payload["questions"]}
    assert list(records) == ["h1", "h2", "l1", "n1", "f1", "z1"]
    assert set(records["h1"]) >= {
        "line", "collection", "kind", "question", "answer", "mode", "reason", "expected_sources", "expected_doc_ids",
        "retrieved_doc_ids", "rank", "hit", "reciprocal_rank", "required", "required_met", "citations",
        "unsupported_sentences", "correct", "seconds", "problems",
    }
    # at k=3 every document is retrieved: h2's library.txt is second or third
    assert records["h1"]["rank"] == 1 and records["h2"]["rank"] in (2, 3) and records["l1"]["rank"] == 1
    assert records["h2"]["reciprocal_rank"] == pytest.approx(1 / records["h2"]["rank"])
    assert records["l1"]["expected_doc_ids"] == sorted(records["l1"]["expected_doc_ids"]) and len(records["l1"]["expected_doc_ids"]) == 2
    assert records["n1"]["hit"] is None and records["n1"]["mode"] == "abstained" and records["n1"]["problems"] == []
    assert records["f1"]["mode"] == "abstained" and records["f1"]["problems"][0].startswith("abstained: ")
    assert records["h1"]["required_met"] is True and records["h2"]["required_met"] is False
    # the harbour sentence holds "4 million" and is ranked first: the answer chose something else
    assert records["h2"]["problems"] == ["missing required 4 million", "the sentence with the answer was ranked first"]
    assert records["h2"]["answer_sentence"] == "first" and records["n1"]["answer_sentence"] is None
    assert records["z1"]["collection"] == "zoo" and records["z1"]["required_met"] is True
    assert records["h1"]["citations"] == [
        {"sentence": "The harbour reopened on 3 June.", "citation": 1, "supported": True, "reasons": []}
    ]
    overall = payload["summary"]["overall"]
    assert overall["recall_at_k"] == 1.0 and overall["mrr_at_k"] == pytest.approx((3 + 1 / records["h2"]["rank"]) / 4, abs=1e-3)
    assert (overall["abstained_correctly"], overall["unanswerable"], overall["false_abstentions"], overall["answerable"]) == (1, 1, 1, 5)
    assert (overall["required_met"], overall["with_required"]) == (2, 3)
    assert overall["questions"] == 6 and overall["seconds_total"] >= overall["seconds_median"] >= 0
    assert payload["summary"]["town"]["answer_sentences"] == {"first": 2}  # h1, h2; l1 and f1 name no required fact


def test_failures_name_the_question_and_why(collections, tmp_path):
    result = run_eval(write_gold(tmp_path, LINES), "-c", "town", "-k", "1", "--failures")
    assert result.exit_code == 0, result.output
    failures = result.stdout.split("Failing questions: ")[1].splitlines()
    assert failures[0] == "2"
    assert failures[1] == "- h2 (line 2, town) When did the harbour reopen?"
    assert failures[3] == ("    why: no expected source in the top 1; missing required 4 million;"
                           " the sentence with the answer was ranked first")
    assert failures[4] == "- f1 (line 5, town) How many tanks has France promised to Ukraine?"
    assert failures[6].startswith("    why: abstained: the articles do not mention France")


def test_metrics_by_hand():
    """recall@k, MRR@k, required share, abstention accuracy and false abstentions on outcomes built by hand."""

    def outcome(kind, retrieved=(), expected=(), sources=(), mode="extractive", required_met=None):
        item = GoldItem("x", "q?", kind == "answer", expected_sources=tuple(sources))
        result = AnswerResult("q?", "a", mode, [], [], "m", {})
        return Outcome(item, result, mode != "abstained", 0, None, 1.0, list(retrieved), set(expected), required_met)

    outcomes = [
        outcome("answer", [7, 3, 9], {7}, ["a.txt"], required_met=True),  # rank 1
        outcome("answer", [3, 7, 9], {7, 9}, ["a.txt", "b.txt"], required_met=False),  # rank 2
        outcome("answer", [3, 3, 5], {7}, ["a.txt"], mode="abstained", required_met=False),  # missed, false abstention
        outcome("answer", [1, 2, 7], {7}, ["a.txt"]),  # rank 3
        outcome("abstain", [1], mode="abstained"),  # right
        outcome("abstain", [1], mode="extractive"),  # wrong
        outcome("answer", [1, 2]),  # no expected sources: not in recall
    ]
    scores = tally(outcomes)
    assert (scores.retrieval_hits, scores.with_sources) == (3, 4)
    assert scores.recall == 0.75
    assert scores.mrr == pytest.approx((1 + 1 / 2 + 0 + 1 / 3) / 4)
    assert (scores.required_met, scores.with_required) == (1, 3)
    assert (scores.abstained_correctly, scores.unanswerable) == (1, 2)
    assert (scores.false_abstentions, scores.answerable) == (1, 5)
    assert scores.median_seconds == 1.0 and scores.seconds == 7.0


def test_where_the_answers_go_wrong_in_counts():
    def outcome(answerable, correct, mode="extractive", cites=None):
        item = GoldItem("x", "q?", answerable, expected_sources=("a.txt",) if answerable else ())
        return Outcome(item, AnswerResult("q?", "a", mode, [], [], "m", {}), correct, 0, cites, 1.0)

    scores = tally([
        outcome(True, True, cites=True),
        outcome(True, False, cites=True),  # the right article, the wrong sentence
        outcome(True, False, cites=False),  # another article
        outcome(True, False, mode="abstained"),
        outcome(False, True, mode="abstained"),
        outcome(False, False),  # an unanswerable question answered
    ])
    assert (scores.wrong_from_expected, scores.wrong_elsewhere) == (1, 1)
    assert scores.where_wrong() == ("answerable 4: 1 correct, 1 abstained, 1 wrong from an expected article, 1 wrong"
                                    " from others; unanswerable 2: 1 answered")


class _Sentences:
    """A collection's stored sentences by document, as answer_sentence reads them."""

    def __init__(self, by_doc):
        self.by_doc = by_doc

    def sentences(self, doc_id, first, last):
        return [type("Row", (), {"text": text})() for text in self.by_doc.get(doc_id, [])[first : last + 1]]


def _ranked(*texts):
    return [Evidence(i, 7, i, "Title", "a.txt", "para. 1", 0, len(t), t, 0) for i, t in enumerate(texts)]


@pytest.mark.parametrize(("ranked", "stored", "place"), [
    (["Palmer, 48, was killed.", "Police guard Parliament."], {}, "first"),
    (["Police guard Parliament.", "Keith Palmer, 48, was killed."], {}, "runner-up"),
    (["a", "b", "c", "Keith Palmer, aged 48."], {}, "lower"),  # ranked fourth: three are shown at most
    (["Police guard Parliament."], {7: ["Keith Palmer was 48."]}, "not read"),
    (["Police guard Parliament."], {7: ["Keith Palmer died.", "He was 48."]}, "spread"),
])
def test_where_the_sentence_with_the_answer_stands(ranked, stored, place):
    item = GoldItem("x", "Which officer died, and how old was he?", True, required=("Palmer", r"\b48\b"),
                    expected_sources=("a.txt",))
    assert answer_sentence(item, lambda: _ranked(*ranked), _Sentences(stored), {7}, shown=3) == place


def test_no_place_without_required_facts_or_an_expected_article():
    def ranked():
        raise AssertionError("nothing to place: nothing is ranked")

    stored = _Sentences({})
    answerable = GoldItem("x", "q?", True, required=("Palmer",), expected_sources=("a.txt",))
    assert answer_sentence(answerable, ranked, stored, set(), shown=3) is None  # not in the collection
    assert answer_sentence(GoldItem("x", "q?", True, expected_sources=("a.txt",)), ranked, stored, {7}, shown=3) is None
    assert answer_sentence(GoldItem("x", "q?", False), ranked, stored, {7}, shown=3) is None


def test_places_are_counted_in_order():
    def outcome(place):
        item = GoldItem("x", "q?", True, expected_sources=("a.txt",))
        found = Outcome(item, AnswerResult("q?", "a", "extractive", [], [], "m", {}), False, 0, True, 1.0)
        found.answer_sentence = place
        return found

    scores = tally([outcome("lower"), outcome("first"), outcome("lower"), outcome(None)])
    assert scores.answer_sentences == {"lower": 2, "first": 1}
    assert scores.where_answers_stand() == "the sentence with the answer: ranked first 1, below the third 2"
    assert scores.as_dict()["answer_sentences"] == {"lower": 2, "first": 1}
    assert tally([outcome(None)]).where_answers_stand() == ""


@pytest.mark.parametrize(("expected", "doc_id", "source", "hit"), [
    (3, 3, "/data/a.txt", True),
    ("3", 3, "/data/a.txt", True),
    ("a.txt", 3, "/data/a.txt", True),
    ("data/a.txt", 3, "/data/a.txt", True),
    ("./data/a.txt", 3, "/data/a.txt", True),
    ("/data/a.txt", 3, "/data/a.txt", True),
    ("ta/a.txt", 3, "/data/a.txt", False),  # a path boundary, not any suffix
    ("a.tx", 3, "/data/a.txt", False),
    (4, 3, "/data/a.txt", False),
    ("", 3, "/data/a.txt", False),
])
def test_expected_sources_match_ids_paths_and_file_names(expected, doc_id, source, hit):
    assert source_matches(expected, doc_id, source) is hit


def test_citation_precision_judges_each_citation(collections, tmp_path):
    from qa.answer import answer_question
    from qa.config import Settings
    from qa.embed import load_embedder
    from qa.store.collection import Collection

    store = Collection.open_reader(Settings.from_env("town"))
    embedder = load_embedder()
    result = answer_question("When did the harbour reopen?", store, embedder, ScriptedGenerator("eval"))
    assert [c.n for c in result.citations] == [1]
    result.parts.append(Part("The mayor sold the fishing boats to Norway in 2014.", [1], True))  # not what [1] says
    checks = check_citations(result, store, embedder, default_policy())
    assert [(c.sentence, c.supported) for c in checks] == [
        ("The harbour reopened on 3 June.", True),
        ("The mayor sold the fishing boats to Norway in 2014.", False),
    ]
    assert any("2014" in reason for reason in checks[1].reasons)


def test_models_are_loaded_once_for_all_collections(collections, tmp_path):
    built = []

    def counted(name):
        built.append(name)
        return ScriptedGenerator(name)

    unregister = register_generator("counted", counted)
    path = write_gold(tmp_path, LINES)
    try:
        result = CliRunner().invoke(main, ["eval", str(path), "-c", "town", "--model", "counted:eval", "--json"])
    finally:
        unregister()
    assert result.exit_code == 0, result.output
    assert built == ["eval"]
    assert len(json.loads(result.stdout)["questions"]) == 6


def test_unknown_expected_source_is_noted(collections, tmp_path):
    path = write_gold(tmp_path, [{"question": "When did the harbour reopen?", "expected_sources": ["harbor.txt"]}])
    result = run_eval(path, "-c", "town")
    assert result.exit_code == 0
    assert f"{path}:1: no document in 'town' matches harbor.txt" in result.stderr


@pytest.mark.parametrize(("lines", "message"), [
    (['{"question": "When did the harbour reopen?"}', "not json"], ":2: not valid JSON"),
    (['{"question": "When did the harbour reopen?"}', '["a list"]'], ":2: not a JSON object"),
    (['{"kind": "answer"}'], ":1: no \"question\" field"),
    (['{"question": "   "}'], ":1: no \"question\" field"),
    (['{"question": "When?"}', '{"question": "Who?", "kind": "maybe"}'], ":2: unknown kind 'maybe'"),
    (['{"question": "Who?", "required": ["(unclosed"]}'], ":1: invalid regex '(unclosed' in \"required\""),
    (['{"question": "Who?", "required": [3]}'], ":1: \"required\" must be a list of strings"),
    (['{"question": "Who?", "collection": "nowhere"}'], ":1: collection 'nowhere' does not exist"),
    (['{"question": "Who?", "collection": "bad name!"}'], ":1: invalid collection name 'bad name!'"),
    ([""], ": no questions found"),
])
def test_bad_file_is_one_line(collections, tmp_path, lines, message):
    path = write_gold(tmp_path, lines)
    result = run_eval(path, "-c", "town")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"Error: {path}{message}")


def test_missing_and_empty_collections(collections, tmp_path):
    path = write_gold(tmp_path, ['{"question": "When did the harbour reopen?"}'])
    result = run_eval(path, "-c", "absent")
    assert result.exit_code == 1
    assert result.stderr == ("Error: collection 'absent' does not exist;"
                             " index articles first: qa index PATH --collection absent\n")
    assert CliRunner().invoke(main, ["docs", "remove", "1", "-c", "zoo"]).exit_code == 0
    result = run_eval(path, "-c", "zoo")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: collection 'zoo' is empty;")


def test_not_utf8_file(collections, tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(b'{"question": "caf\xe9?"}\n')
    result = run_eval(path, "-c", "town")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: not UTF-8 text; a gold file is JSONL, one JSON object per line\n"


@pytest.mark.slow
def test_real_model_on_gold_questions(real_env, tmp_path):
    """Four tune questions (two answerable, two not) with SmolLM2-135M and the bundled embedder."""
    gold = [json.loads(line) for line in (REPO / "tests/data/gold/tune.jsonl").read_text().splitlines()]
    chosen = [g for g in gold if g["kind"] == "abstain"][:2] + [g for g in gold if g["corpus"] == "seeds" and g["kind"] == "answer"][:2]
    assert CliRunner().invoke(main, ["index", str(SEEDS), "-c", "gold"]).exit_code == 0
    path = write_gold(tmp_path, chosen)
    result = CliRunner().invoke(main, ["eval", str(path), "-c", "gold", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    overall = payload["summary"]["overall"]
    # measured: both answered with their required facts, both abstentions right, every citation precise
    assert overall["recall_at_k"] == 1.0 and overall["required_share"] == 1.0
    assert overall["abstention_accuracy"] == 1.0 and overall["false_abstentions"] == 0
    assert overall["citation_precision"] == 1.0 and overall["unsupported_in_answer"] == 0
    table = CliRunner().invoke(main, ["eval", str(path), "-c", "gold"], catch_exceptions=False).stdout
    assert "recall@5" in table and "policy default@" in table


def test_a_copy_listed_with_a_passage_counts_at_its_rank():
    """Search folds another article's copy of a passage into it and shows it there ("also in")."""
    assert first_hit([4, 5, 6], {9}) is None
    assert first_hit([4, 5, 6], {9}, [[], [7, 9], []]) == 2
    assert first_hit([4, 9, 6], {9}, [[9], [], []]) == 1
