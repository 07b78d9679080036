"""AppTest runs of the Two documents page through the real entry point, on the demo corpus."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.measures import MEASURES
from tests.test_app import _app, _use_uploaded_vectors

pytestmark = pytest.mark.usefixtures("fresh_results")

SIZES = [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]  # the demo's default ladder


def _pairs_page():
    at = _app()
    at.switch_page("pages/pairs.py").run()
    assert not at.exception, at.exception
    return at


def _table(at):
    return next(d.value for d in at.dataframe if "dims" in d.value.columns)


def _check_table(at) -> None:
    table = _table(at)
    assert table["dims"].tolist() == SIZES
    values = table.drop(columns="dims").to_numpy(dtype=float)
    assert np.isfinite(values).all()
    ranks = table.filter(like="list").to_numpy()
    assert (ranks >= 1).all() and (ranks <= 361).all()
    assert len(at.get("plotly_chart")) >= 2  # the curves and the ranks (and the map)
    notes = " ".join(i.value for i in at.info)
    assert "At 256 dims every prefix has the same length" in notes


def test_two_demo_documents_give_one_row_per_size():
    at = _pairs_page()
    assert not at.error
    at.multiselect(key="pair_ids").set_value(["sport-tennis-001", "cooking-baking-001"]).run()
    assert not at.exception, at.exception
    _check_table(at)
    table = _table(at)
    # two documents of different themes: B is far down A's list at full size
    assert table["B in A's list (cosine)"].iloc[0] > 50
    lines = [m.value for m in at.markdown if m.value.startswith("**Dot product**")]
    assert lines and MEASURES["dot"].truncation in lines[0]


def test_two_typed_texts():
    at = _pairs_page()
    at.radio(key="pair_mode").set_value("Two typed texts").run()
    assert not at.exception
    assert at.info and "Type two texts" in at.info[0].value
    at.text_area(key="pair_text_a").input("A tennis player served an ace on the grass court.")
    at.text_area(key="pair_text_b").input("The striker scored a late goal in the football final.")
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    _check_table(at)
    cosine = _table(at)["Cosine similarity"]
    assert (cosine.abs() <= 1 + 1e-6).all()


def test_uploaded_vectors_offer_documents_only_and_say_why():
    at = _app()
    _use_uploaded_vectors(at)
    at.switch_page("pages/pairs.py").run()
    assert not at.exception, at.exception
    assert at.radio(key="pair_mode").options == ["Two documents of the corpus"]
    assert any("no model to embed typed text" in c.value for c in at.caption)
    table = _table(at)  # the first two documents are picked to start with
    assert table["dims"].tolist() == [64, 48, 32, 24, 16, 8]  # the default ladder below 64
    assert any("At no size" in i.value for i in at.info)  # random vectors: lengths differ
