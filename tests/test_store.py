import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexMismatchError
from qa.indexer import index_paths, manifest_for, remove_documents
from qa.retrieve import search
from qa.store.collection import Collection
from tests.conftest import SEEDS
from tests.fakes import HashEmbedder


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(next(SEEDS.glob("*.txt")), folder / "seed.txt")
    (folder / "buses.txt").write_text(
        "City buys buses\nThe council approved 42 electric buses on Tuesday. Delivery starts in May.\n"
    )
    return folder


def reader(settings, embedder):
    return Collection.open_reader(settings, manifest_for(settings, embedder))


def snapshot(settings, embedder):
    store = reader(settings, embedder)
    docs = {d.source.rsplit("/", 1)[-1]: d.passages for d in store.documents()}
    vectors = store.vectors().count
    fts = store.conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0]
    store.close()
    return docs, vectors, fts


def test_index_then_skip_unchanged(settings, embedder, corpus):
    first = index_paths(settings, embedder, [str(corpus)])
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    again = index_paths(settings, embedder, [str(corpus)])
    assert (again.added, again.updated, again.unchanged, again.passages) == (0, 0, 2, 0)
    docs, vectors, fts = snapshot(settings, embedder)
    assert vectors == fts == sum(docs.values())


def test_changed_document_is_replaced(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    store = reader(settings, embedder)
    old_ids = set(store.document_passage_ids(store.find_document(str(corpus / "buses.txt")).id))
    store.close()
    (corpus / "buses.txt").write_text("City buys trams\nThe council approved 7 trams instead.\n")
    report = index_paths(settings, embedder, [str(corpus)])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    store = reader(settings, embedder)
    document = store.find_document(str(corpus / "buses.txt"))
    assert document.title == "City buys trams"
    new_ids = set(store.document_passage_ids(document.id))
    assert new_ids and not (new_ids & old_ids)  # ids are never reused
    hits = search(store, embedder, "trams council", k=1)
    assert "7 trams" in hits[0].passage.text
    assert not (old_ids & {pid for pid, _ in store.vectors().search(embedder.embed(["buses"])[0], 100)})


def test_remove_by_id_and_path(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    removed = remove_documents(settings, embedder, [str(corpus / "buses.txt")])
    assert removed[0][2] > 0
    docs, vectors, fts = snapshot(settings, embedder)
    assert list(docs) == ["seed.txt"] and vectors == fts == docs["seed.txt"]
    store = reader(settings, embedder)
    seed_id = store.find_document(str(corpus / "seed.txt")).id
    store.close()
    remove_documents(settings, embedder, [str(seed_id)])
    assert snapshot(settings, embedder) == ({}, 0, 0)


def test_files_deleted_from_folder_are_removed(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    (corpus / "buses.txt").unlink()
    report = index_paths(settings, embedder, [str(corpus)])
    assert report.removed == 1
    assert list(snapshot(settings, embedder)[0]) == ["seed.txt"]


def test_manifest_mismatch_is_refused(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    other = HashEmbedder("v2")
    with pytest.raises(IndexMismatchError, match="qa index --rebuild"):
        index_paths(settings, other, [str(corpus)])
    with pytest.raises(IndexMismatchError, match="embed_fingerprint"):
        reader(settings, other)
    report = index_paths(settings, other, [], rebuild=True)
    assert report.passages > 0
    store = reader(settings, other)
    assert store.manifest().embed_model == "test-hash:v2"
    assert store.vectors().count == report.passages


def test_chunk_setting_change_is_refused(settings, embedder, corpus):
    from dataclasses import replace

    index_paths(settings, embedder, [str(corpus)])
    smaller = replace(settings, chunk=replace(settings.chunk, max_tokens=40))
    with pytest.raises(IndexMismatchError, match="chunk_max_tokens"):
        index_paths(smaller, embedder, [str(corpus)])


class Crash(Exception):
    pass


def crash():
    raise Crash()


def test_crash_before_sqlite_commit_keeps_last_state(settings, embedder, corpus, monkeypatch):
    index_paths(settings, embedder, [str(corpus / "seed.txt")])
    before = snapshot(settings, embedder)
    monkeypatch.setattr(Collection, "before_commit_hook", staticmethod(crash))
    with pytest.raises(Crash):
        index_paths(settings, embedder, [str(corpus / "buses.txt")])
    monkeypatch.setattr(Collection, "before_commit_hook", None)
    assert snapshot(settings, embedder) == before
    report = index_paths(settings, embedder, [str(corpus)])
    assert (report.added, report.unchanged) == (1, 1)
    assert not list(settings.collection_dir.glob("*.tmp"))


def test_crash_between_sqlite_commit_and_faiss_rename(settings, embedder, corpus, monkeypatch):
    index_paths(settings, embedder, [str(corpus / "seed.txt")])
    monkeypatch.setattr(Collection, "before_rename_hook", staticmethod(crash))
    with pytest.raises(Crash):
        index_paths(settings, embedder, [str(corpus / "buses.txt")])
    monkeypatch.setattr(Collection, "before_rename_hook", None)
    # the commit happened: a reader sees both documents, and search finds the new one
    docs, vectors, fts = snapshot(settings, embedder)
    assert set(docs) == {"seed.txt", "buses.txt"} and vectors == fts == sum(docs.values())
    store = reader(settings, embedder)
    assert "42 electric buses" in search(store, embedder, "electric buses council", k=1)[0].passage.text
    store.close()
    # the next writer finishes the rename
    index_paths(settings, embedder, [str(corpus)])
    generation = reader(settings, embedder).generation
    assert (settings.collection_dir / f"vectors.{generation}.delta").exists()  # a small commit's changes
    assert not list(settings.collection_dir.glob("*.tmp"))


def test_lost_vector_file_is_rebuilt_from_sqlite(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    for path in settings.collection_dir.glob("vectors.*"):
        path.unlink()
    store = reader(settings, embedder)
    assert store.vectors().count == sum(d.passages for d in store.documents())
    assert "175" in search(store, embedder, "175 prisoners exchange", k=1)[0].passage.text


def test_stored_passages_are_exact_offsets(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    store = reader(settings, embedder)
    for document in store.documents():
        text = store.document_text(document.id)
        for passage in store.passages(store.document_passage_ids(document.id)).values():
            assert passage.text == text[passage.start : passage.end]
            sentences = store.sentences(document.id, passage.first_sentence, passage.last_sentence)
            assert sentences[0].start == passage.start and sentences[-1].end == passage.end
            assert all(s.text == text[s.start : s.end] for s in sentences)


def test_vectors_in_sqlite_match_faiss(settings, embedder, corpus):
    index_paths(settings, embedder, [str(corpus)])
    store = reader(settings, embedder)
    row = store.conn.execute("SELECT passage_id, vector FROM vectors LIMIT 1").fetchone()
    stored = np.frombuffer(row[1], dtype=np.float32)
    assert store.vectors().search(stored, 1)[0][0] == row[0]


def test_second_writer_waits_for_the_lock(settings, embedder, corpus):
    import threading

    from filelock import FileLock

    index_paths(settings, embedder, [str(corpus / "seed.txt")])
    lock = FileLock(str(settings.collection_dir / "write.lock"))
    lock.acquire()
    done = threading.Event()
    worker = threading.Thread(target=lambda: (index_paths(settings, embedder, [str(corpus)]), done.set()))
    worker.start()
    try:
        assert not done.wait(0.5)  # blocked while another writer holds the lock
    finally:
        lock.release()
    worker.join(10)
    assert done.is_set()
    assert set(snapshot(settings, embedder)[0]) == {"seed.txt", "buses.txt"}


def test_overlapping_folders_remove_a_missing_file_once(settings, embedder, corpus):
    inner = corpus / "inner"
    inner.mkdir()
    (inner / "note.txt").write_text("Inner note\nThe library opens at nine on Saturdays.\n")
    index_paths(settings, embedder, [str(corpus), str(inner)])
    (inner / "note.txt").unlink()
    report = index_paths(settings, embedder, [str(corpus), str(inner)])
    assert report.removed == 1
    assert set(snapshot(settings, embedder)[0]) == {"seed.txt", "buses.txt"}


def test_a_writer_that_failed_for_want_of_space_can_try_again(settings, embedder, corpus):
    """SQLite rolls back by itself when the disk fills; the writer's in-memory vectors must be
    dropped with it, or a retry in the same process would commit the failed batch's vectors too."""
    import sqlite3

    from qa.indexer import IndexReport, Progress, _Batch, _EmbeddingQueue, _Prepared, _split
    from qa.ingest.readers import read_path

    index_paths(settings, embedder, [str(corpus / "seed.txt")])
    manifest = manifest_for(settings, embedder)
    big = corpus / "survey.txt"
    big.write_text("Housing survey\n\n" + " ".join(f"Town {n} counted {n * 7} new houses." for n in range(3000)))
    raw = read_path(big, settings.max_document_bytes)
    item = _Prepared(raw, *_split(raw, settings, embedder), doc_id=None)
    with Collection.open_writer(settings, manifest) as collection:
        pages = collection.conn.execute("PRAGMA page_count").fetchone()[0]
        collection.conn.execute(f"PRAGMA max_page_count = {pages}")
        queue = _EmbeddingQueue(embedder, _Batch(collection, manifest, 10), IndexReport(), Progress())
        queue.add(item)
        with pytest.raises(sqlite3.OperationalError, match="full"):
            queue.flush()
            queue.batch.flush()
        collection.conn.execute(f"PRAGMA max_page_count = {pages * 100}")
        queue.add(item)
        queue.flush()
        queue.batch.flush()
    docs, vectors, fts = snapshot(settings, embedder)
    assert set(docs) == {"seed.txt", "survey.txt"} and vectors == fts == sum(docs.values())


@pytest.mark.parametrize("query, lookup", [
    ("Britain to trigger Brexit process on 29 March", True),  # a headline
    ("The minister said on Tuesday that the talks would resume next week.", True),  # a pasted sentence
    ("prisoner exchange", False),  # a topic
    ("Brexit talks resume", False),  # three words: still a topic
    ("What prisoner exchanges were agreed?", False),
    ("who won the Saarland state election", False),  # a question without its question mark
    ("Did Malaysia charge the North Korean man", False),
    ("List the judges who blocked the travel ban", False),
])
def test_a_lookup_is_pasted_text_not_a_question_or_a_topic(query, lookup):
    from qa.question import is_lookup

    assert is_lookup(query, 4) is lookup


def test_fusion_weights_the_keyword_ranking_and_copies_do_not_crowd_the_top(settings, embedder, tmp_path):
    from qa.policy import RetrievalPolicy
    from qa.retrieve import fuse

    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    keyword = [(3, 9.0), (4, 8.0)]
    assert [pid for pid, _ in fuse(dense, keyword, 4, RetrievalPolicy(keyword_weight=1.0))][:1] == [3]
    assert fuse(dense, [], 2)[0][0] == 1  # one list alone keeps its order
    # the keyword ranking's weight decides a tie between a dense-only and a keyword-only first place
    assert fuse([(1, 0.9)], [(4, 8.0)], 2, RetrievalPolicy(keyword_weight=1.5))[0][0] == 4
    assert fuse([(1, 0.9)], [(4, 8.0)], 2, RetrievalPolicy(keyword_weight=0.5))[0][0] == 1
    # text pasted to find its article: the keyword ranking as it is, then what only dense found
    assert [pid for pid, _ in fuse(dense, keyword, 4, lookup=True)] == [3, 4, 1, 2]
    assert [pid for pid, _ in fuse(dense, keyword, 2, lookup=True)] == [3, 4]

    folder = tmp_path / "wire"
    folder.mkdir()
    copy = "The port of Odessa reopened on Monday after the storm, officials said."
    for name in ("agency-a", "agency-b", "agency-c"):  # one wire story, filed three times
        (folder / f"{name}.txt").write_text(f"Odessa port\n\n{copy}\n")
    (folder / "local.txt").write_text("Local report\n\nDock workers in Odessa said the port reopened slowly.\n")
    index_paths(settings, embedder, [str(folder)])
    store = reader(settings, embedder)
    texts = [hit.passage.text for hit in search(store, embedder, "Odessa port reopened", k=3)]
    assert len(texts) == 2 and len(set(texts)) == 2  # the copy once, then the other story
    store.close()


def test_an_absent_collection_reads_as_empty(settings, embedder):
    """open_reader on a collection nobody has written gives an empty reader: every read answers
    nothing, and naming a document is the usual one-line error, never an internal failure."""
    from qa.errors import NoSuchDocumentError
    from qa.filters import Filters, choose_documents
    from qa.store.collection import DocumentFilter, EmptyCollection

    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    assert isinstance(store, EmptyCollection) and store.is_empty()
    assert store.documents() == [] and store.document(1) is None and store.passages([1]) == {}
    assert store.keyword_search("prisoner exchange", 5) == [] and store.term_share("Putin") == 0.0
    assert search(store, embedder, "prisoner exchange", 5) == []
    assert store.vectors().count == 0 and store.generation == 0 and store.manifest() is None
    assert not store.rebuild_pending()
    stats = store.stats()
    assert (stats["documents"], stats["passages"], stats["disk_bytes"]) == (0, 0, 0)
    assert store.scope(DocumentFilter(sources=("*.txt",))).empty
    with pytest.raises(NoSuchDocumentError, match="no document '1'"):
        store.resolve("1")
    with pytest.raises(NoSuchDocumentError):
        choose_documents(store, Filters(docs=("seeds/a.txt",)))
    store.close()


def test_a_questions_passages_are_ordered_by_their_best_sentence(settings, embedder, tmp_path):
    """Fusion ranks the passage that repeats the question's words first; the passage whose sentence
    holds the asked-for number goes first for `qa search`. qa ask reads the fused order, and a
    topic is not re-ordered."""
    folder = tmp_path / "floods"
    folder.mkdir()
    (folder / "worry.txt").write_text(
        "Flood in Dacca\n\nPeople in Dacca died in the flood, and the flood in Dacca worried people who died "
        "of worry about the flood in Dacca, people in Dacca said.\n")
    (folder / "toll.txt").write_text("Rains\n\nOfficials said 42 people died in the flood in Dacca.\n")
    index_paths(settings, embedder, [str(folder)])
    store = reader(settings, embedder)
    question = "How many people died in the flood in Dacca?"

    def first(query: str, rescore: bool = True) -> str:
        return Path(search(store, embedder, query, k=2, rescore=rescore)[0].passage.source).name

    assert first(question, rescore=False) == "worry.txt"
    assert first(question) == "toll.txt"
    assert first("flood in Dacca people died") == "worry.txt"  # pasted text, ranked by its keywords
    store.close()


def test_a_question_reads_as_one_with_or_without_its_mark():
    from qa.question import is_question

    assert is_question("Who won the Saarland election?") and is_question("who won the Saarland election")
    assert is_question("Flood deaths?") and not is_question("flood deaths in Dacca")
