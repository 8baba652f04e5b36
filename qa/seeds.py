"""Locate the bundled demo corpus, whether qa runs from a checkout or an installed wheel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.embed import Embedder


def seeds_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "_seeds"  # a wheel ships seeds/ as qa/_seeds
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "seeds"  # a source or editable checkout
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("the bundled seeds/ corpus is missing; reinstall qa")


def fill_empty_default(settings: "Settings", embedder: "Embedder", notify: Callable[[str], None]) -> bool:
    """First run: an empty default collection is filled with the demo articles; True if it was."""
    from qa.config import DEFAULT_COLLECTION
    from qa.indexer import index_paths, manifest_for
    from qa.store.collection import Collection

    if settings.collection != DEFAULT_COLLECTION:
        return False
    store = Collection.open_reader(settings, manifest_for(settings, embedder))
    empty = store.is_empty()
    store.close()
    if empty:
        notify(f"the default collection is empty; indexing the bundled demo articles in {seeds_dir()} first")
        index_paths(settings, embedder, [str(seeds_dir())])
    return empty
