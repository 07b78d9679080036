"""End to end: the real app under `streamlit run`, driven by Debian Chromium: a query file is
uploaded on the Retrieval quality page and the chart and the recommendation appear."""

from __future__ import annotations

from core.io.corpus import load_demo_corpus
from tests.browser_support import browser_page, needs_browser, running_app
from tests.test_queries import demo_queries

pytestmark = needs_browser()


def test_an_uploaded_query_set_shows_the_chart_and_the_recommendation(tmp_path):
    queries = tmp_path / "demo_queries.csv"
    queries.write_bytes(demo_queries(load_demo_corpus()))
    bad = tmp_path / "bad_queries.csv"
    bad.write_text("query,relevant\nserve and volley,sport-tennis-001\nclay,no-such-document\n")
    log = tmp_path / "server.log"
    with running_app(log) as url, browser_page(url) as page:
        page.get_by_role("link", name="Retrieval quality").click()
        page.get_by_text("Upload a query file").first.wait_for(timeout=120_000)
        upload = page.locator('input[type="file"]').first

        upload.set_input_files(str(bad))
        error = page.locator('[data-testid="stAlert"]', has_text="no-such-document")
        error.wait_for(timeout=60_000)
        assert "row 2" in error.inner_text()

        upload.set_input_files(str(queries))
        success = page.locator('[data-testid="stAlert"]', has_text="of nDCG@10")
        success.wait_for(timeout=180_000)
        sentence = success.inner_text()
        assert "dims" in sentence and "for 1M" in sentence and "for 100M" in sentence
        page.get_by_text("120 queries from demo_queries.csv").first.wait_for(timeout=30_000)
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.wait_for(timeout=60_000)
        legend = chart.locator(".legendtext").all_text_contents()
        for name in ("float32", "int8", "binary", "binary+rescore", "Pareto frontier"):
            assert name in legend, legend
        points = chart.locator(".scatterlayer .trace .points path").count()
        assert points >= 40  # ten sizes × four precisions, plus the ringed choice
        assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in log.read_text()
