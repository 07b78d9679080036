"""End to end: the four hostile uploads of a close review, sent through the Corpus & model page
of the real app in a real browser, while the server's memory is sampled. Each gets a clear
message, the loaded corpus stays, and the server stays within 1 GB of where it was."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import psutil

from tests.browser_support import browser_page, metric, needs_browser, running_app

pytestmark = needs_browser()

DEMO_PROJECT = Path(__file__).resolve().parents[1] / "core" / "data" / "demo_project"
GB = 1024**3
TWEETS = 40


class PeakMemory:
    """The peak RSS of a process, sampled every 20 ms on a thread until stopped."""

    def __init__(self, process: psutil.Process) -> None:
        self.process, self.peak, self._stop = process, process.memory_info().rss, False
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop = True
        self._thread.join()
        return self.peak


def _server(url: str) -> psutil.Process:
    port = url.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        if "streamlit" in " ".join(child.cmdline()) and port in child.cmdline():
            return child
    raise AssertionError(f"no streamlit server on port {port}")


def _zip_bomb(path: Path, zeros: int) -> None:
    """The shipped demo project with its maps table replaced by `zeros` bytes of deflated zeros
    (the manifest still gives the real table's size), written without holding it in memory."""
    block = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(DEMO_PROJECT.iterdir()):
            if member.name != "maps.parquet":
                archive.write(member, member.name)
        with archive.open("maps.parquet", "w", force_zip64=True) as out:
            for _ in range(zeros // len(block)):
                out.write(block)


def _tweets(path: Path) -> None:
    """Tweets cut at a length limit, each ending in the first half of an emoji (a lone
    surrogate escape in the JSON)."""
    topics = ("cats", "rain", "trains", "bread")
    tweets = [
        {"text": f"tweet {i} about {topics[i % 4]} and more {topics[i % 4]} \ud83d"}
        for i in range(TWEETS)
    ]
    path.write_text(json.dumps(tweets))  # ASCII: the escape stays "\ud83d"


def _vectors_with_an_id_column(path: Path) -> None:
    rows = np.random.default_rng(0).normal(size=(TWEETS, 16)).astype(np.float32)
    buffer = io.StringIO()
    buffer.write("doc_id," + ",".join(f"v{j}" for j in range(16)) + "\n")
    for i, row in enumerate(rows):
        buffer.write(f"{1000 + i}," + ",".join(f"{x:.6f}" for x in row) + "\n")
    path.write_text(buffer.getvalue())


def _alert(page, text: str, timeout_ms: int = 120_000) -> str:
    box = page.locator('[data-testid="stAlert"]', has_text=text).first
    box.wait_for(timeout=timeout_ms)
    return box.inner_text()


def _upload(page, picker_label: str, file: Path) -> None:
    picker = page.locator('[data-testid="stFileUploader"]', has_text=picker_label)
    picker.locator('input[type="file"]').set_input_files(str(file))
    # the uploader lists the file once the server holds it
    picker.get_by_text(file.name).first.wait_for(timeout=60_000)


def _documents_on_explore(page) -> str:
    page.get_by_role("link", name="Explore").click()
    page.get_by_text("Mean kNN recall@").first.wait_for(timeout=180_000)
    return metric(page, "Documents")


def test_four_hostile_uploads_get_messages_keep_the_corpus_and_bound_the_server(tmp_path):
    tweets, bomb = tmp_path / "tweets.json", tmp_path / "bomb-project.zip"
    wide, with_ids = tmp_path / "wide.npy", tmp_path / "vectors-with-ids.csv"
    _tweets(tweets)
    _zip_bomb(bomb, 2 * GB)
    assert bomb.stat().st_size < 8 * 1024 * 1024  # small enough for any upload limit
    np.save(wide, np.ones((TWEETS, 100_000), dtype=np.float32))
    _vectors_with_an_id_column(with_ids)

    with running_app(tmp_path / "server.log") as url, browser_page(url) as page:
        server = _server(url)
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=180_000)

        # 1. A cut emoji: the documents load, with a note on the characters replaced.
        page.get_by_role("link", name="Corpus & model").click()
        _upload(page, "Or upload documents", tweets)
        assert f"{TWEETS} broken character(s)" in _alert(page, "broken character")
        # one click; the page names the corpus once the click is taken
        page.get_by_role("button", name="Use these documents").click()
        page.get_by_text(f"tweets · {TWEETS} documents").first.wait_for(timeout=60_000)
        assert _documents_on_explore(page) == str(TWEETS)
        page.get_by_role("link", name="Corpus & model").click()
        page.get_by_text("Dimension ordering").first.wait_for(timeout=60_000)
        before = server.memory_info().rss
        peak = PeakMemory(server)
        try:
            # 2. A project zip bomb: refused before it is unpacked.
            _upload(page, "Open a project", bomb)
            page.get_by_role("button", name="Open this project").click()
            assert "more than its manifest says" in _alert(page, "manifest")
            page.get_by_text(f"Still using tweets ({TWEETS} documents)").wait_for(timeout=30_000)

            # 3. Vectors 100,000 wide: refused from the file's header.
            page.get_by_text("Or bring your own embeddings").click()
            _upload(page, "Embeddings file", wide)
            page.get_by_role("button", name="Use these embeddings").click()
            message = _alert(page, "100,000 dimensions")
            assert "the limit is 8,192" in message
        finally:
            highest = peak.stop()
        assert highest - before < 1 * GB, (before / GB, highest / GB)

        # 4. Vectors with an id column: the column is left out, with a note saying so.
        _upload(page, "Embeddings file", with_ids)
        page.get_by_text("Vector columns (optional)").wait_for(timeout=60_000)  # the CSV is read
        page.get_by_role("button", name="Use these embeddings").click()
        note = _alert(page, "Left out of vectors-with-ids.csv")
        assert "'doc_id'" in note
        assert _documents_on_explore(page) == str(TWEETS)
        assert metric(page, "Bytes per vector") == f"{16 * 4:,}"
    print(f"server RSS {before / GB:.2f} GB before the hostile uploads, peak {highest / GB:.2f} GB")
