"""What colours a map (its communities or a column of the corpus), and how well a column's
categories stay apart at a size: the share of each document's kNN that shares its category, and
how closely the communities follow the categories."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.analysis.ladder import DimensionView

COMMUNITY = "Community"
MISSING = -1  # the code of a document with no category
BLANK_NAME = "(blank)"
SEPARATION_COLUMNS = ["dim", "communities", "purity", "chance", "ami"]


@dataclass(frozen=True, eq=False)
class Column:
    """A value per document: categorical (`codes` into `categories`, MISSING where blank) or
    numeric (`values`, NaN where blank)."""

    name: str
    codes: np.ndarray | None = None  # int32
    categories: tuple[str, ...] = ()
    values: np.ndarray | None = None  # float32

    def __post_init__(self) -> None:
        if (self.codes is None) == (self.values is None):
            raise ValueError("a Column holds either codes or values")
        # one dtype each, so that equal columns have equal digests
        if self.numeric:
            object.__setattr__(self, "values", np.asarray(self.values, np.float32))
        else:
            object.__setattr__(self, "codes", np.asarray(self.codes, np.int32))

    @property
    def numeric(self) -> bool:
        return self.values is not None

    def __len__(self) -> int:
        return len(self.values if self.numeric else self.codes)

    @cached_property
    def digest(self) -> str:
        """Content key of the column (name and values), for results computed from it."""
        h = hashlib.blake2b(digest_size=12)
        for part in (self.name, "\x1f".join(self.categories)):
            h.update(part.encode("utf-8", "replace") + b"\x00")
        h.update(np.ascontiguousarray(self.values if self.numeric else self.codes).tobytes())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Column) and self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def categorical_column(name: str, values: Sequence[str]) -> Column:
    """A column of categories in order of first appearance; blank values get MISSING."""
    text = pd.Series(list(values), dtype=object).fillna("").astype(str).str.strip()
    codes, categories = pd.factorize(text.where(text != ""), use_na_sentinel=True)
    return Column(name, codes=codes.astype(np.int32), categories=tuple(categories))


@dataclass(frozen=True)
class Grouping:
    """A map's colouring: `codes` (an integer per row) with their `names` and legend `title`,
    and for a numeric column its `values` (then the codes are the communities, which the
    map's other layers still use)."""

    title: str
    codes: np.ndarray
    names: dict[int, str]
    values: np.ndarray | None = None


def grouping(column: Column | None, communities: np.ndarray, names: dict[int, str]) -> Grouping:
    """The map's colouring by `column`, or by the communities (with their `names`) for None."""
    if column is None:
        return Grouping("community", communities, names)
    if column.numeric:
        return Grouping(column.name, communities, names, values=column.values)
    named = dict(enumerate(column.categories))
    if (column.codes == MISSING).any():
        named[MISSING] = BLANK_NAME
    return Grouping(column.name, column.codes, named)


def knn_purity(indices: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    """Mean share of each categorised document's k neighbours (an (n, k) index array) in its
    own category, and what neighbours drawn at random would give over the same population:
    for a categorised document of category c, a random other document (blank ones included,
    never itself) shares c with chance (n_c − 1)/(n − 1). A neighbour without a category
    counts as another category; NaN for a column without categories."""
    known = codes != MISSING
    if not known.any() or len(codes) < 2:
        return float("nan"), float("nan")
    same = codes[indices[known]] == codes[known, None]
    sizes = np.bincount(codes[known])
    chance = (sizes * (sizes - 1)).sum() / (known.sum() * (len(codes) - 1))
    return float(same.mean()), float(chance)


def size_separation(view: DimensionView, column: Column) -> dict:
    """At one size: communities, kNN purity of the column's categories (and its chance level)
    and the AMI of the communities against them (documents without a category left out)."""
    from sklearn.metrics import adjusted_mutual_info_score

    purity, chance = knn_purity(view.neighbours.indices, column.codes)
    known = column.codes != MISSING
    # integer codes: sklearn compares strings (as core.analysis.lineage.label_agreement's) far
    # slower
    ami = (
        float(adjusted_mutual_info_score(column.codes[known], view.communities[known]))
        if known.any()
        else float("nan")
    )
    return {
        "dim": view.dim,
        "communities": view.community_count,
        "purity": purity,
        "chance": chance,
        "ami": ami,
    }


def separation_table(rows: Mapping[int, dict]) -> pd.DataFrame:
    """size_separation's rows, largest size first."""
    return pd.DataFrame([rows[d] for d in sorted(rows, reverse=True)], columns=SEPARATION_COLUMNS)
