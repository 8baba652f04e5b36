"""Locate the bundled demo corpus, whether qa runs from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path


def seeds_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "_seeds"  # a wheel ships seeds/ as qa/_seeds
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "seeds"  # a source or editable checkout
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("the bundled seeds/ corpus is missing; reinstall qa")
