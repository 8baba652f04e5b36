"""The indexing pipeline: documents split in a background thread, passages embedded in groups."""

import threading
import time

import pytest

from qa import indexer
from qa.indexer import index_paths, manifest_for
from qa.store.collection import Collection
from tests.fakes import HashEmbedder


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed_passages(self, texts):
        self.calls.append(list(texts))
        return super().embed_passages(texts)


def write_articles(folder, count, shared=""):
    folder.mkdir()
    for number in range(count):
        (folder / f"{number:03}.txt").write_text(
            f"Article {number}\n\nThe council met on day {number} and voted on budget line {number}. {shared}\n"
        )
    return folder


def test_passages_of_many_documents_share_embedding_calls(settings, tmp_path):
    embedder = CountingEmbedder()
    report = index_paths(settings, embedder, [str(write_articles(tmp_path / "a", 30))])
    assert report.added == 30 and not report.errors
    # 30 documents, a handful of passages each, embedded in far fewer calls than documents
    assert len(embedder.calls) < 5 and sum(map(len, embedder.calls)) == report.passages


@pytest.mark.parametrize("group", [None, 1], ids=["in one group", "in the next group"])
def test_a_repeated_passage_is_embedded_once(settings, tmp_path, monkeypatch, group):
    """The next group starts embedding before the one ahead of it is stored: its vectors count as known."""
    if group is not None:
        monkeypatch.setattr(indexer._EmbeddingQueue, "first_group_passages", group)
        monkeypatch.setattr(indexer._EmbeddingQueue, "group_passages", group)
    folder = tmp_path / "copies"
    folder.mkdir()
    for name in ("wire.txt", "copy.txt"):
        (folder / name).write_text("Syndicated story\n\nThe same wire text ran in two papers on Monday.\n")
    embedder = CountingEmbedder()
    report = index_paths(settings, embedder, [str(folder)])
    embedded = [text for call in embedder.calls for text in call]
    assert report.added == 2 and report.passages == 2 and len(embedded) == 1
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    ids, vectors = store.all_vectors()
    assert len(ids) == report.passages and (vectors[0] == vectors[-1]).all()


def test_errors_and_documents_keep_their_order(settings, tmp_path):
    folder = write_articles(tmp_path / "mixed", 3)
    (folder / "001b.txt").write_bytes(b"")
    report = index_paths(settings, HashEmbedder(), [str(folder)])
    assert report.added == 3 and len(report.errors) == 1 and "001b.txt" in report.errors[0]


def test_a_failure_while_splitting_commits_nothing_of_its_batch(settings, tmp_path, monkeypatch):
    folder = write_articles(tmp_path / "b", 5)
    real_split = indexer._split

    def split_then_fail(raw, settings, embedder):
        if raw.source.endswith("003.txt"):
            raise RuntimeError("splitter broke")
        return real_split(raw, settings, embedder)

    monkeypatch.setattr(indexer, "_split", split_then_fail)
    with pytest.raises(RuntimeError, match="splitter broke"):
        index_paths(settings, HashEmbedder(), [str(folder)])
    store = Collection.open_reader(settings, manifest_for(settings, HashEmbedder()))
    assert store.is_empty()  # the batch in progress was never committed
    monkeypatch.setattr(indexer, "_split", real_split)
    report = index_paths(settings, HashEmbedder(), [str(folder)])
    assert report.added == 5


class RecordingProgress(indexer.Progress):
    def __init__(self) -> None:
        self.written: list[str] = []

    def advance(self, label: str, passages: int) -> None:
        if passages:
            self.written.append(label)


def test_a_group_embeds_while_the_group_before_it_is_stored(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(indexer._EmbeddingQueue, "first_group_passages", 2)
    monkeypatch.setattr(indexer._EmbeddingQueue, "group_passages", 6)
    second_call = threading.Event()
    overlapped: list[bool] = []

    class Watching(HashEmbedder):
        calls = 0
        inside = 0
        most_inside = 0

        def embed_passages(self, texts):
            Watching.calls += 1
            Watching.inside += 1
            Watching.most_inside = max(Watching.most_inside, Watching.inside)
            if Watching.calls == 2:
                second_call.set()
            time.sleep(0.05)  # long enough for a second call to overlap, were one started
            Watching.inside -= 1
            return super().embed_passages(texts)

    class Storing(RecordingProgress):
        def advance(self, label: str, passages: int) -> None:
            if not self.written:  # the first group's first document: the second group must be embedding
                overlapped.append(second_call.wait(timeout=10))
            super().advance(label, passages)

    progress, embedder = Storing(), Watching()
    report = index_paths(settings, embedder, [str(write_articles(tmp_path / "c", 12))], progress=progress)
    assert report.added == 12 and Watching.calls >= 3 and overlapped == [True]
    assert Watching.most_inside == 1  # one group in the model at a time
    assert progress.written == sorted(progress.written) and len(progress.written) == 12  # stored in order
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    ids, vectors = store.all_vectors()
    texts = [store.passages([int(i)])[int(i)].text for i in ids]
    assert (vectors == embedder.embed_passages(texts)).all()  # every passage got its own vector


def test_a_failure_while_embedding_in_the_background_reaches_the_caller(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(indexer._EmbeddingQueue, "first_group_passages", 2)
    monkeypatch.setattr(indexer._EmbeddingQueue, "group_passages", 4)

    class Failing(HashEmbedder):
        calls = 0

        def embed_passages(self, texts):
            Failing.calls += 1
            if Failing.calls == 3:
                raise MemoryError("the model ran out of memory")
            return super().embed_passages(texts)

    with pytest.raises(MemoryError, match="ran out of memory"):
        index_paths(settings, Failing(), [str(write_articles(tmp_path / "d", 12))])
    store = Collection.open_reader(settings, manifest_for(settings, HashEmbedder()))
    assert store.is_empty()  # the batch in progress was never committed
    assert index_paths(settings, HashEmbedder(), [str(tmp_path / "d")]).added == 12

