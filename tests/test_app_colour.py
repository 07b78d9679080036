"""AppTest of Explore's Colour by and Find on the map, through the real entry point."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.schedule.background import completed
from core.viz.map_plot import HIGHLIGHT_META
from pages.resources import results
from tests.support import count_searches

APP = Path(__file__).resolve().parents[1] / "app.py"


pytestmark = pytest.mark.usefixtures("fresh_results")


def _map(at: AppTest) -> dict:
    """The figure the Explore map component was last given (plotly JSON)."""
    (component,) = at.get("component_instance")
    args = {arg.key: arg.bytes for arg in component.proto.special_args}
    return json.loads(args["figure"])


def _points(trace: dict) -> int:
    """How many points a trace draws (its customdata: int32 rows as a base64 typed array)."""
    return len(base64.b64decode(trace["customdata"]["bdata"])) // 4


def _plotly_app() -> AppTest:
    """Explore with the plotly map, as drawn where WebGL2 is missing (?map=plotly)."""
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.query_params["map"] = "plotly"
    return at


def _webgl_sent(at: AppTest) -> tuple[dict, list[str]]:
    """The WebGL map's manifest and the keys of the packs sent with it on the last run."""
    (component,) = at.get("component_instance")
    manifest = json.loads(component.proto.json_args)["manifest"]
    bundle = {arg.key: arg.bytes for arg in component.proto.special_args}.get("bundle") or b""
    keys, at_byte = [], 0
    while at_byte < len(bundle):
        (length,) = struct.unpack_from("<I", bundle, at_byte)
        keys.append(bundle[at_byte + 4 : at_byte + 4 + length].decode())
        (pack,) = struct.unpack_from("<I", bundle, at_byte + 4 + length)
        at_byte += 8 + length + pack
    return manifest, keys


def test_colour_by_on_the_webgl_map_sends_only_the_new_colours(monkeypatch):
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    completed(Pipeline(Choice(load_demo_corpus(), WORDLLAMA, "native"), store=results()))
    at.run()
    manifest, sent = _webgl_sent(at)
    assert set(manifest["sizes"].values()) <= set(sent)  # every size, once
    searches = count_searches(monkeypatch)
    at.selectbox(key="colour_by").set_value("topic").run()
    assert not at.exception
    recoloured, sent = _webgl_sent(at)
    assert recoloured["paint"] != manifest["paint"] and recoloured["paint"] in sent
    assert not set(manifest["sizes"].values()) & set(sent)  # no size's positions again
    assert searches == []


def test_colour_by_a_label_column_and_find_recolour_the_map_without_searching_again(monkeypatch):
    at = _plotly_app()
    at.run()
    assert not at.exception
    completed(Pipeline(Choice(load_demo_corpus(), WORDLLAMA, "native"), store=results()))
    at.run()
    assert _map(at)["layout"]["legend"]["title"]["text"] == "community"
    assert at.selectbox(key="colour_by").options == ["Community", "theme", "topic"]
    searches = count_searches(monkeypatch)

    at.selectbox(key="colour_by").set_value("topic").run()
    assert not at.exception
    figure = _map(at)
    topics = sorted(set(load_demo_corpus().labels))
    assert sorted(t["name"] for t in figure["data"]) == topics
    assert figure["layout"]["legend"]["title"]["text"] == "topic"
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    purity_full = float(metrics["kNN purity@10 (topic)"][0].rstrip("%"))
    assert purity_full > 60 and metrics["Purity by chance"][0] == "8.1%"

    at.select_slider(key="dim").set_value(16).run()  # the choice stays with every size
    assert at.selectbox(key="colour_by").value == "topic"
    figure = _map(at)
    assert sorted(t["name"] for t in figure["data"]) == topics and "16 of 256" in str(figure)
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    purity, delta = metrics["kNN purity@10 (topic)"]
    assert float(purity.rstrip("%")) < purity_full and delta.startswith("-")
    table = next(d.value for d in at.dataframe if "AMI" in d.value.columns)
    assert table["dim"].tolist() == [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]
    assert table["AMI"].iloc[0] > table["AMI"].iloc[-1]

    at.text_input(key="find_query").set_value("TENNIS <b>").run()
    assert any(
        "0 of 360 documents contain “TENNIS <b>”" in c.value.replace("\\", "") for c in at.caption
    )
    at.text_input(key="find_query").set_value("tennis").run()
    assert any(c.value.startswith("30 of 360 documents contain") for c in at.caption)
    figure = _map(at)
    found = [t for t in figure["data"] if t.get("meta") == HIGHLIGHT_META]
    assert sum(_points(t) for t in found) == 30
    assert {t["name"] for t in found} <= set(topics)
    assert (
        "30 of 360 documents contain" in figure["layout"]["annotations"][-1]["text"]
    )  # after the names

    at.selectbox(key="colour_by").set_value("Community").run()
    figure = _map(at)
    assert figure["layout"]["legend"]["title"]["text"] == "community"
    assert sum(_points(t) for t in figure["data"] if t.get("meta") == HIGHLIGHT_META) == 30
    assert not any(m.label.startswith("kNN purity") for m in at.metric)
    assert searches == []  # colour and search never recompute neighbours, graphs or maps
    assert not at.exception and not at.error


def test_an_uploaded_tables_columns_colour_the_map_numbers_on_a_scale():
    at = _plotly_app()
    at.run()
    at.switch_page("pages/data.py").run()
    topics = [topic for topic in ("apples", "engines", "rivers") for _ in range(12)]
    rows = ["text,topic,year,serial"] + [
        f'"{topic} note {i}: about {topic} and {topic}s, item {i}",{topic},{1990 + i},s{i}'
        for i, topic in enumerate(topics)
    ]  # a serial number per document groups nothing, so it is not offered
    at.file_uploader[0].upload("notes.csv", "\n".join(rows).encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Use these documents").click().run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception
    assert at.selectbox(key="colour_by").options == ["Community", "topic", "year"]
    at.selectbox(key="colour_by").set_value("year").run()
    assert not at.exception and not at.error
    figure = _map(at)
    (valued,) = figure["data"]
    assert valued["marker"]["colorbar"]["title"]["text"] == "year"
    assert (valued["marker"]["cmin"], valued["marker"]["cmax"]) == (1990, 2025)
    assert any("a number per document" in c.value for c in at.caption)
    assert not any(m.label.startswith("kNN purity") for m in at.metric)
