"""End to end: open a project file through the Corpus & model page's file picker in a real
browser, then move the slider; the numbers are the project's, not recomputed defaults."""

from __future__ import annotations

import re

from core.analysis.ladder import GraphSettings
from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.project import project_zip
from core.runtime.store import ResultStore
from tests.browser_support import (
    SLIDER_NAME,
    browser_page,
    metric,
    needs_browser,
    running_app,
    step_slider_left,
)

pytestmark = needs_browser()


def test_a_project_opens_through_the_file_picker_and_the_slider_moves(tmp_path):
    corpus = load_demo_corpus()
    # dot product, k = 60 and resolution 1.6: a session that fell back to the defaults would
    # show other numbers, and k = 60 lies past the range the k slider once had (2-50)
    pipe = Pipeline(
        Choice(corpus, WORDLLAMA, "native"),
        settings=GraphSettings(measure="dot", resolution=1.6, k=60),
        ladder=(256, 64, 32),
        store=ResultStore(),
    )
    archive = tmp_path / "demo-project.zip"
    archive.write_bytes(project_zip(pipe, "demo"))
    expected = {
        d: (f"{pipe.view(d).mean_recall:.1%}", pipe.view(d).community_count) for d in (64, 32)
    }

    with running_app(tmp_path / "server.log") as url, browser_page(url) as page:
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=180_000)
        page.get_by_role("link", name="Corpus & model").click()
        picker = page.locator('[data-testid="stFileUploader"]', has_text="Open a project")
        picker.locator('input[type="file"]').set_input_files(str(archive))
        page.get_by_role("button", name="Open this project").click()
        page.get_by_text("Opened the project").wait_for(timeout=120_000)
        page.get_by_role("link", name="Explore").click()
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=120_000)
        assert metric(page, "Documents") == "360"
        slider = page.get_by_role("slider", name=re.compile(SLIDER_NAME))
        assert slider.get_attribute("aria-valuetext") == "256"
        for dim in (64, 32):
            step_slider_left(page, f"{dim * 4:,}")
            assert metric(page, "Mean kNN recall") == expected[dim][0]
            assert metric(page, "Communities") == str(expected[dim][1])
        # the maps came with the project: no PCA stand-in is shown
        assert page.get_by_text("Showing an instant PCA map").count() == 0
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    # the project's settings reach the sidebar widgets without Streamlit's session-state warning
    assert "created with a default value" not in log
