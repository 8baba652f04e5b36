"""`qa eval FILE.jsonl`: retrieval and answer quality on your own questions, as a table or JSON."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from qa.cli.common import collection_option, emit_json, json_option, note, settings_for

if TYPE_CHECKING:
    from qa.evaluation import Outcome, Scores


def open_collections(names: dict[str, str]) -> dict:
    """Every collection (name -> where it is named: "FILE:LINE: " or "" for --collection), opened
    once for reading; one line for one that is missing or empty. Checked before any model is
    loaded, so a wrong name costs no wait."""
    from qa.errors import QAError
    from qa.store.collection import Collection

    stores = {}
    for name, where in names.items():
        try:
            settings = settings_for(name)
        except QAError as exc:
            raise click.ClickException(f"{where}{exc}") from None
        hint = f"index articles first: qa index PATH --collection {name}"
        if not Collection.exists(settings):
            raise click.ClickException(f"{where}collection '{name}' does not exist; {hint}")
        store = Collection.open_reader(settings)
        if store.is_empty():
            raise click.ClickException(f"{where}collection '{name}' is empty; {hint}")
        stores[name] = store
    return stores


def _share(part: int, whole: int, value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ({part}/{whole})"


def report_rows(scores: Scores, k: int) -> list[tuple[str, str]]:
    """(metric, value) rows of one column of the `qa eval` table."""
    mrr = "-" if scores.mrr is None else f"{scores.mrr:.3f}"
    return [
        ("questions", str(scores.questions)),
        (f"recall@{k}", _share(scores.retrieval_hits, scores.with_sources, scores.recall)),
        (f"MRR@{k}", mrr),
        ("all required found", _share(scores.required_met, scores.with_required, scores.required_share)),
        ("answered correctly, cited", _share(scores.answered_correctly, scores.answerable,
                                             scores.answer_rate if scores.answerable else None)),
        ("citation precision", _share(scores.citations_supported, scores.citations, scores.citation_precision)),
        ("unsupported sentences shown", str(scores.unsupported_in_answer)),
        ("abstention accuracy", _share(scores.abstained_correctly, scores.unanswerable,
                                       scores.abstain_rate if scores.unanswerable else None)),
        ("false abstentions", _share(scores.false_abstentions, scores.answerable, scores.false_abstention_rate)),
        ("s/question, median", f"{scores.median_seconds:.2f}"),
        ("s, total", f"{scores.seconds:.1f}"),
    ]


def table(groups: Mapping[str, Scores], k: int) -> str:
    """Metrics as rows, one column per collection and one for all of them."""
    columns = [(name, dict(report_rows(scores, k))) for name, scores in groups.items()]
    metrics = [metric for metric, _ in report_rows(next(iter(groups.values())), k)]
    widths = [max(len(name), *(len(values[m]) for m in metrics)) for name, values in columns]
    label_width = max(len(m) for m in metrics + ["metric"])
    lines = ["  ".join([f"{'metric':<{label_width}}", *(f"{name:>{w}}" for (name, _), w in zip(columns, widths))])]
    for metric in metrics:
        cells = (f"{values[metric]:>{w}}" for (_, values), w in zip(columns, widths))
        lines.append("  ".join([f"{metric:<{label_width}}", *cells]))
    return "\n".join(lines)


@click.command("eval")
@click.argument("gold_file", metavar="FILE.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50), help="Rank cut-off for recall@k and MRR@k (answers retrieve as qa ask does).")
@click.option("--model", metavar="PATH", help="GGUF model file (default: QA_MODEL, models/*.gguf, bundled).")
@click.option("--failures", is_flag=True, help="Also print each failing question and why it failed.")
@collection_option
@json_option
def eval_command(gold_file: str, k: int, model: str | None, failures: bool, collection: str, as_json: bool) -> None:
    """Measure retrieval and answers on the questions in FILE.jsonl.

    One JSON object per line: "question"; "kind": "answer" or "abstain" (default answer);
    optional "id", "collection" (default: --collection), "expected_sources" (document ids, paths or
    file names, matched against the end of the stored source) and "required" (regexes the answer
    must match, case-insensitive).

    Reports recall@k and MRR@k of retrieval (ranked as qa search ranks) against the expected
    sources, the share of answers with every required match, citation precision (citations whose
    quote supports the sentence, as the verifier judges) and unsupported sentences shown,
    abstention accuracy, false abstentions and time per question; per collection and overall,
    with the answer policy that produced them.
    Exit 0 whatever the scores: it is a measurement, not a test.

    \b
    Examples:
      qa eval questions.jsonl
      qa eval tests/data/gold/heldout.jsonl --collection gold --failures
      qa eval questions.jsonl -k 10 --json > report.json
    """
    from qa.embed import load_embedder
    from qa.evaluation import Engine, by_collection, evaluate, unmatched_sources
    from qa.generate import load_generator
    from qa.gold_file import in_collection, read_gold
    from qa.indexer import manifest_for
    from qa.policy import default_policy

    lines = read_gold(gold_file)
    items = in_collection(lines, collection)
    named = {item.collection: item.line for item in reversed(lines) if item.collection}  # first line naming each
    names = [item.collection or collection for item in items]  # in_collection filled in every one
    where = {name: f"{gold_file}:{named[name]}: " if name in named else "" for name in names}
    stores = open_collections(where)
    settings = settings_for(names[0])
    embedder = load_embedder(settings)
    for name, store in stores.items():
        store.check_manifest(manifest_for(settings_for(name), embedder))
    generator = load_generator(model, settings.model, threads=settings.threads)
    policy = default_policy()

    documents = {name: [(d.id, d.source) for d in store.documents()] for name, store in stores.items()}
    for item in items:
        missing = unmatched_sources(item, documents[item.collection])
        if missing:
            note(f"{gold_file}:{item.line}: no document in '{item.collection}' matches {', '.join(missing)}")

    progress = sys.stderr.isatty() and not as_json
    done = [0]

    def show_progress(_: Outcome) -> None:
        done[0] += 1
        click.echo(f"\r{done[0]}/{len(items)} questions", nl=done[0] == len(items), err=True)

    outcomes = evaluate(items, stores, Engine(embedder, generator, policy), k, show_progress if progress else None)
    groups = by_collection(outcomes, k)
    header = {"file": str(gold_file), "model": generator.name, "policy": policy.label(), "k": k}
    if as_json:
        emit_json({
            **header,
            "summary": {name: scores.as_dict() for name, scores in groups.items()},
            "questions": [outcome.as_record(k) for outcome in outcomes],
        })
        return
    click.echo(f"{gold_file}: {len(items)} questions; model {generator.name}; policy {policy.label()}; k={k}")
    click.echo(table(groups, k))
    several = len([name for name in groups if name != "overall"]) > 1  # else "overall" repeats the one
    for name, scores in groups.items():
        if scores.answer_sentences and (name != "overall" or several):
            click.echo(f"{name}: {scores.where_answers_stand()}")
    if failures:
        failing = [(o, o.problems(k)) for o in outcomes if o.problems(k)]
        click.echo(f"\nFailing questions: {len(failing)}")
        for outcome, problems in failing:
            item = outcome.item
            click.echo(f"- {item.id} (line {item.line}, {item.collection}) {item.question}")
            click.echo(f"    answer: {' '.join(outcome.result.answer.split())[:300]}")
            click.echo(f"    why: {'; '.join(problems)}")
