"""Tests for core.pictures on the demo corpus: exported maps say what they show, carry the
names in two levels, and the ladder's picture appears once every size's map is made."""

from __future__ import annotations

import pytest

from core import pictures
from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.io.export import figure_bytes
from core.pipeline import Choice, Pipeline
from core.runtime.store import ResultStore


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    """The demo over three sizes, graphs and communities computed, no UMAP map yet."""
    pipe = Pipeline(
        Choice(load_demo_corpus(), WORDLLAMA, "native"),
        ladder=(256, 32, 8),
        store=ResultStore(2**32),
    )
    pipe.views()
    return pipe


def test_a_map_exported_before_its_umap_map_says_pca_preview(pipe):
    fig = pictures.map_export(pipe, 32)
    assert fig.layout.title.text.endswith("· PCA preview")
    assert pictures.ladder_figure(pipe) is None and not pictures.ladder_ready(pipe)


@pytest.mark.browser
def test_the_exported_pca_preview_file_says_so(pipe):
    svg = figure_bytes(pictures.map_export(pipe, 32), "svg").decode()
    assert "PCA preview" in svg


def test_names_come_in_two_levels_matched_by_lineage(pipe):
    levels = pictures.label_levels(pipe, 256)
    view = pipe.view(256)
    assert set(levels.names) == set(view.keywords)
    assert levels.coarse_groups is not None and len(levels.coarse_groups) == len(view.communities)
    # every fine community lies inside one coarse group: its parent at the coarse size
    for community in set(view.communities.tolist()):
        assert len(set(levels.coarse_groups[view.communities == community].tolist())) == 1
    fig = pictures.map_export(pipe, 256)
    kinds = {a.name for a in fig.layout.annotations}
    assert "label-fine" in kinds
    assert not [a for a in pictures.map_export(pipe, 256, labelled=False).layout.annotations]


def test_the_ladder_figure_once_every_map_is_made(pipe):
    pipe.layouts()
    assert pictures.ladder_ready(pipe)
    fig = pictures.ladder_figure(pipe)
    assert [trace.name for trace in fig.data] == ["256 dims", "32 dims", "8 dims"]
    assert not pictures.map_export(pipe, 32).layout.title.text.endswith("PCA preview")
