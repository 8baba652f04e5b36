"""The gold set itself: every evidence quote is in its article, every fact in its evidence."""

from tests.conftest import REPO


def test_gold_set_is_consistent():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_gold", REPO / "tests" / "data" / "check_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    errors, counts = module.check()
    assert errors == []
    answerable = sum(c for (_, is_answerable), c in counts.items() if is_answerable)
    unanswerable = sum(c for (_, is_answerable), c in counts.items() if not is_answerable)
    assert answerable >= 30 and unanswerable >= 8
    assert {corpus for corpus, _ in counts} == {"seeds", "wiki"}
