"""Locate the bundled demo corpus, whether qa runs from a checkout or an installed wheel."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def seeds_dir() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "seeds"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("qa._seeds")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise FileNotFoundError("the bundled seeds/ corpus is missing; reinstall qa")
