"""End to end: type a query on the Search page of the real app and see both result lists."""

from __future__ import annotations

from tests.browser_support import browser_page, metric, needs_browser, running_app

pytestmark = needs_browser()


def test_a_typed_query_shows_both_result_lists(tmp_path):
    with running_app(tmp_path / "server.log") as url, browser_page(url) as page:
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=180_000)  # Explore opens
        page.get_by_role("link", name="Search").click()
        box = page.get_by_label("Query text")
        box.wait_for(timeout=120_000)
        box.fill("a fast serve on a grass court")
        box.press("Enter")
        page.get_by_text("At full size, 256 dims").wait_for(timeout=120_000)
        # the grids draw on a canvas; their cells are also in the DOM once drawn
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                     .filter(t => t.innerHTML.includes('sport-')).length === 2""",
            timeout=60_000,
        )
        tables = page.locator('[data-testid="stDataFrame"]').all()
        assert len(tables) == 2
        assert "sport-tennis" in tables[1].evaluate("t => t.innerHTML")  # full size: tennis
        recall = metric(page, "Recall@10 at 48 dims")
        assert recall.endswith("%") and 0 <= float(recall.rstrip("%")) <= 100
        assert page.locator('[data-testid="stException"]').count() == 0
