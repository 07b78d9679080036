"""AppTest runs of every page through the real entry point (st.navigation), real models."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.demo import seed as seed_demo
from pages.resources import results
from tests.support import zip_of

TIMEOUT = 300
APP = Path(__file__).resolve().parents[1] / "app.py"


pytestmark = pytest.mark.usefixtures("fresh_results")


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_explore_starts_on_demo_and_slider_changes_numbers():
    at = _app()
    metrics = _metrics(at)
    assert metrics["Documents"] == "360"
    assert metrics["Mean kNN recall@10 vs 256d"] == "100.0%"
    assert not at.error
    at.select_slider(key="dim").set_value(32).run()
    assert not at.exception
    after = _metrics(at)
    assert after["Bytes per vector (float32)"] == "128"
    assert float(after["Mean kNN recall@10 vs 256d"].rstrip("%")) < 90.0
    assert after["Edges"] != metrics["Edges"] or after["Communities"] != metrics["Communities"]
    labels = [b.label for b in at.get("download_button")]
    for wanted in ("Map PNG", "Map SVG", "Network PNG", "Network SVG", "Network HTML"):
        assert wanted in labels
    assert "Graph GraphML" in labels and "Edges CSV" in labels


def test_play_ladder_makes_the_sweep_gif_only_when_asked_then_offers_it():
    from core.demo import seed

    seed(results())  # the shipped demo maps, as a new server has them: every size is ready
    at = _app()
    at.session_state["view"] = "Play ladder"
    at.run()
    assert not at.exception
    assert {"Make sweep GIF", "Make sweep MP4"} <= {b.label for b in at.button}
    assert not any(b.label.startswith("Sweep") for b in at.get("download_button"))
    next(b for b in at.button if b.label == "Make sweep GIF").click().run()
    assert not at.exception and not at.error
    offered = [b.label for b in at.get("download_button") if b.label.startswith("Sweep")]
    assert len(offered) == 1 and offered[0].startswith("Sweep GIF (")
    assert "Make sweep MP4" in {b.label for b in at.button}


def test_explore_names_the_map_by_default_and_offers_the_ladder_once_every_map_is_made():
    ladder = {"Ladder PNG", "Ladder SVG", "Ladder PDF"}
    at = _app()  # every size's map is still being computed on the first run
    names = at.toggle(key="map_labels")
    assert names.label == "Names on the map" and names.value is True
    if not ladder <= {b.label for b in at.get("download_button")}:
        assert any("once every size's UMAP map is computed" in c.value for c in at.caption)
    results().clear()
    assert seed_demo(results())  # as the app starts: the shipped demo, every map made
    at = _app()
    assert ladder <= {b.label for b in at.get("download_button")}
    at.toggle(key="map_labels").set_value(False).run()
    assert not at.exception and at.toggle(key="map_labels").value is False


def test_above_the_graphml_limit_the_graph_downloads_as_an_edge_list_only(monkeypatch):
    from core.io import export

    monkeypatch.setattr(export, "GRAPHML_DOCUMENT_LIMIT", 100)  # the demo has 360 documents
    at = _app()
    labels = [b.label for b in at.get("download_button")]
    assert "Edges CSV" in labels and "Network HTML" in labels
    assert not {"Graph GraphML", "Graph GEXF", "Graph JSON"} & set(labels)
    assert any("CSV edge list only" in c.value for c in at.caption)


def test_k_setting_changes_edges():
    at = _app()
    edges_k10 = _metrics(at)["Edges"]
    at.slider(key="k").set_value(5).run()
    assert not at.exception
    assert _metrics(at)["Edges"] != edges_k10
    assert "Mean kNN recall@5 vs 256d" in _metrics(at)


def test_data_page_uploads_csv_and_explore_uses_it():
    at = _app()
    at.switch_page("pages/data.py").run()
    rows = ["text,topic"] + [
        f'"{topic} note {i}: about {topic} and {topic}s, item {i}",{topic}'
        for topic in ("apples", "engines", "rivers")
        for i in range(12)
    ]
    at.file_uploader[0].upload("notes.csv", "\n".join(rows).encode(), "text/csv").run()
    assert not at.exception and not at.error
    assert at.selectbox[0].value == "text"
    at.selectbox[1].set_value("topic").run()
    next(b for b in at.button if b.label == "Use these documents").click().run()
    assert not at.exception
    assert at.session_state.corpus.name == "notes"
    assert len(at.session_state.corpus) == 36
    at.switch_page("pages/explore.py").run()
    assert not at.exception
    assert _metrics(at)["Documents"] == "36"


def test_tweets_with_a_cut_emoji_load_with_a_note_on_the_replaced_characters():
    import json

    at = _app()
    at.switch_page("pages/data.py").run()
    tweets = [f"tweet {i} about {topic} \ud83d" for topic in ("cats", "rain") for i in range(6)]
    at.file_uploader[0].upload("tweets.json", json.dumps(tweets).encode()).run()
    assert not at.exception and not at.error
    assert any("12 broken character(s)" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Use these documents").click().run()
    assert not at.exception
    assert at.session_state.corpus.texts[0] == "tweet 0 about cats \ufffd"
    at.switch_page("pages/explore.py").run()
    assert not at.exception
    assert _metrics(at)["Documents"] == "12"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary"),
        ("broken.json", b'[{"text": "a"', "JSON"),
        ("escape.zip", zip_of({"../evil.txt": b"one\ntwo\nthree"}), "zip"),
    ],
)
def test_bad_upload_shows_message_and_keeps_corpus(name, content, message):
    at = _app()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload(name, content).run()
    assert not at.exception
    assert at.error, "a bad file must produce a visible error"
    assert message.lower() in at.error[0].value.lower()
    assert at.session_state.corpus.name == "demo"


@pytest.mark.model
def test_minilm_uses_pca_ordering_and_says_so():
    at = _app()
    at.switch_page("pages/data.py").run()
    model_box = next(s for s in at.selectbox if s.label == "Embedding model")
    model_box.set_value("all-MiniLM-L6-v2").run()
    assert not at.exception
    at.switch_page("pages/explore.py").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "ordered by PCA" in captions
    assert "Mean kNN recall@10 vs 384d" in _metrics(at)


def test_hub_model_without_network_shows_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = _app()
    at.session_state.model_key = "static-retrieval-mrl-en-v1"
    at.run()
    assert not at.exception
    assert at.error and "wordllama-l2-supercat" in at.error[0].value


def test_lineage_page_shows_sankey_events_and_label_agreement():
    at = _app()
    at.switch_page("pages/lineage.py").run()
    assert not at.exception
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"type":"sankey"' in spec.replace(" ", "") for spec in charts)
    events = [m.value for m in at.markdown if " dims, " in m.value]
    assert events, "the demo corpus has merges or splits along the ladder"
    assert any("merge" in e for e in events)
    frames = [d.value for d in at.dataframe]
    agreement = next(f for f in frames if "ami" in f.columns)
    assert agreement["ami"].iloc[0] > 0.6  # full-size communities follow the demo topics
    at.slider[-1].set_value(1.0).run()  # the strictest share threshold still runs
    assert not at.exception


def test_fidelity_page_recommends_a_size_and_compares_orderings():
    at = _app()
    at.switch_page("pages/fidelity.py").run()
    assert not at.exception
    assert at.success and "dims" in at.success[0].value
    table = next(d.value for d in at.dataframe if "recall_at_k" in d.value.columns)
    assert table["recall_at_k"].iloc[0] == 1.0
    assert table["recall_at_k"].iloc[-1] < 0.5
    at.slider(key="fidelity_share").set_value(0.6).run()
    sentence_60 = at.success[0].value
    assert "60%" in sentence_60
    at.toggle(key="compare_orderings").set_value(True).run()
    assert not at.exception
    assert any(m.value.startswith("**pca**") for m in at.markdown)


def test_pinned_page_follows_a_document_across_the_ladder():
    at = _app()
    at.switch_page("pages/pinned.py").run()
    assert not at.exception
    changes = next(d.value for d in at.dataframe if "kept" in d.value.columns)
    assert changes["dim"].tolist() == [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]
    assert changes["recall"].iloc[0] == 1.0
    assert changes["recall"].iloc[-1] < 1.0


def test_edited_ladder_drives_the_slider():
    at = _app()
    at.text_input(key="ladder_text").set_value("128, 32, 8, 999").run()
    assert not at.exception
    assert at.select_slider(key="dim").options == ["8", "32", "128", "256"]
    at.select_slider(key="dim").set_value(8).run()
    assert _metrics(at)["Bytes per vector (float32)"] == "32"


def test_uploaded_embeddings_replace_the_model_and_mismatches_are_explained():
    import numpy as np

    at = _app()
    at.switch_page("pages/data.py").run()
    buffer = io.BytesIO()
    np.save(buffer, np.random.default_rng(0).normal(size=(360, 64)).astype(np.float32))
    at.file_uploader[1].upload("openai.npy", buffer.getvalue()).run()
    next(b for b in at.button if b.label == "Use these embeddings").click().run()
    assert not at.exception and not at.error
    assert at.session_state.model_key.startswith("uploaded:openai:")
    at.switch_page("pages/explore.py").run()
    assert not at.exception
    assert "Mean kNN recall@10 vs 64d" in _metrics(at)
    assert "ordered by PCA" in " ".join(c.value for c in at.caption)  # not marked Matryoshka

    short = io.BytesIO()
    np.save(short, np.ones((10, 8), dtype=np.float32))
    at.switch_page("pages/data.py").run()
    at.file_uploader[1].upload("short.npy", short.getvalue()).run()
    next(b for b in at.button if b.label == "Use these embeddings").click().run()
    assert at.error and "10 rows but the corpus has 360" in at.error[0].value


def test_an_id_column_in_uploaded_vectors_is_left_out_with_a_note_or_named_away():
    import numpy as np
    import pandas as pd

    at = _app()
    at.switch_page("pages/data.py").run()
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(360, 8)))
    frame.columns = [f"e{j}" for j in range(8)]
    frame.insert(0, "id", range(360))
    at.file_uploader[1].upload("mine.csv", frame.to_csv(index=False).encode()).run()
    box = next(m for m in at.multiselect if m.label == "Vector columns (optional)")
    assert box.options == ["id", *frame.columns[1:]]
    next(b for b in at.button if b.label == "Use these embeddings").click().run()
    assert not at.exception and not at.error
    assert at.session_state.uploaded.vectors.shape == (360, 8)
    assert any("Left out of mine.csv" in i.value and "'id'" in i.value for i in at.info)

    box = next(m for m in at.multiselect if m.label == "Vector columns (optional)")
    box.set_value(["e0", "e1", "e2"]).run()
    next(b for b in at.button if b.label == "Use these embeddings").click().run()
    assert not at.exception and not at.error
    assert at.session_state.uploaded.vectors.shape == (360, 3)


def test_tiny_corpus_runs_every_page_and_reports_the_k_actually_used():
    from core.io.corpus import Corpus

    at = _app()
    texts = tuple(f"note {i} about {'cats' if i % 2 else 'engines'}" for i in range(4))
    at.session_state.corpus = Corpus("tiny", texts, tuple(f"d{i}" for i in range(4)))
    at.run()
    assert not at.exception
    assert _metrics(at)["Mean kNN recall@3 vs 256d"] == "100.0%"  # k = 10 capped at n - 1
    for page in ("pages/lineage.py", "pages/fidelity.py", "pages/pinned.py"):
        at.switch_page(page).run()
        assert not at.exception, page


def test_a_ladder_typo_is_reported_and_the_default_ladder_kept():
    at = _app()
    at.text_input(key="ladder_text").set_value("64, ²").run()
    assert not at.exception
    assert any("'²' is not a size" in e.value for e in at.sidebar.error)
    assert len(at.select_slider(key="dim").options) == 10  # the default ladder
    at.switch_page("pages/lineage.py").run()
    assert not at.exception


def _use_uploaded_vectors(at: AppTest, rows: int = 360) -> None:
    import numpy as np

    at.switch_page("pages/data.py").run()
    buffer = io.BytesIO()
    np.save(buffer, np.random.default_rng(0).normal(size=(rows, 64)).astype(np.float32))
    at.file_uploader[1].upload("mine.npy", buffer.getvalue()).run()
    next(b for b in at.button if b.label == "Use these embeddings").click().run()
    assert at.session_state.model_key.startswith("uploaded:mine:")


@pytest.mark.parametrize("switch", ["demo button", "same-size upload"])
def test_uploaded_vectors_are_dropped_with_a_note_when_the_corpus_changes(switch):
    at = _app()
    at.session_state.corpus = at.session_state.corpus.__class__(
        "other",
        tuple(f"another text {i} on topic {i % 7}" for i in range(360)),
        tuple(f"o{i}" for i in range(360)),
    )
    _use_uploaded_vectors(at)
    if switch == "demo button":
        next(b for b in at.button if b.label == "Use the built-in demo corpus").click().run()
    else:
        rows = ["text"] + [f"a fresh document number {i}" for i in range(360)]
        at.file_uploader[0].upload("fresh.csv", "\n".join(rows).encode(), "text/csv").run()
        next(b for b in at.button if b.label == "Use these documents").click().run()
    assert not at.exception
    assert len(at.session_state.corpus) == 360
    assert at.session_state.model_key == "wordllama-l2-supercat"
    assert "uploaded" not in at.session_state
    assert any("belonged to the previous corpus" in i.value for i in at.info)
    at.switch_page("pages/explore.py").run()
    assert "Mean kNN recall@10 vs 256d" in _metrics(at)  # the model's 256-d vectors, not 64-d


def test_pins_are_document_ids_and_follow_the_document_not_the_row():
    from core.io.corpus import Corpus

    at = _app()
    demo = at.session_state.corpus
    at.switch_page("pages/pinned.py").run()
    at.multiselect(key="pins").set_value([demo.ids[5]]).run()
    assert at.session_state.pins == [demo.ids[5]]
    # the same documents in another order: the pin still names document 5, now at row 0
    order = [5, *range(5), *range(6, len(demo))]
    at.session_state.corpus = Corpus(
        "shuffled", tuple(demo.texts[i] for i in order), tuple(demo.ids[i] for i in order)
    )
    at.run()
    assert not at.exception
    assert at.session_state.pins == [demo.ids[5]]
    assert at.subheader[0].value == demo.ids[5]
    at.session_state.corpus = Corpus("new", demo.texts, tuple(f"n{i}" for i in range(len(demo))))
    at.run()
    assert not at.exception
    assert at.session_state.pins == []  # ids the new corpus lacks are dropped, not re-pointed


def test_free_form_models_are_offered_only_when_the_server_allows_them(monkeypatch):
    monkeypatch.delenv("MGE_ALLOW_CUSTOM_MODELS", raising=False)
    at = _app()
    at.switch_page("pages/data.py").run()
    box = next(s for s in at.selectbox if s.label == "Embedding model")
    assert "Other hub id or local folder…" not in box.options
    at.session_state.model_key = "/etc"
    at.switch_page("pages/explore.py").run()
    assert at.error and "Only the preset models" in at.error[0].value
    monkeypatch.setenv("MGE_ALLOW_CUSTOM_MODELS", "1")
    at = _app()
    at.switch_page("pages/data.py").run()
    box = next(s for s in at.selectbox if s.label == "Embedding model")
    assert "Other hub id or local folder…" in box.options


def test_file_names_in_messages_are_shown_as_written_not_as_markdown():
    at = _app()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload("**loud**_[x].json", b'[{"text": "a"').run()
    assert at.error
    assert "\\*\\*loud\\*\\*\\_\\[x\\].json" in at.error[0].value


def test_html_pages_split_into_paragraph_passages_labelled_by_their_page():
    at = _app()
    at.switch_page("pages/data.py").run()
    pages = {
        f"{topic}.html": "".join(
            f"<p>{topic} paragraph {i}: all about {topic} and more {topic}.</p>" for i in range(6)
        ).encode()
        + b"<script>alert('never a passage')</script>"
        for topic in ("apples", "engines", "rivers")
    }
    at.file_uploader[0].upload("pages.zip", zip_of(pages), "application/zip").run()
    assert not at.exception and not at.error
    assert len(at.session_state.parsed_upload[1]) == 3  # one document per page, parsed once
    at.radio[0].set_value("one per paragraph").run()
    assert not at.exception and not at.error
    at.selectbox[1].set_value("document").run()
    next(b for b in at.button if b.label == "Use these documents").click().run()
    corpus = at.session_state.corpus
    assert len(corpus) == 18
    assert corpus.ids[0] == "apples.html#1" and corpus.ids[-1] == "rivers.html#6"
    assert corpus.labels[:7] == ("apples.html",) * 6 + ("engines.html",)
    assert not any("alert" in text for text in corpus.texts)


def test_measure_choice_changes_the_graph_and_says_when_it_ranks_like_cosine():
    at = _app()
    assert any("Each prefix is renormalised" in c.value for c in at.caption)  # cosine's line
    at.select_slider(key="dim").set_value(32).run()
    cosine = _metrics(at)
    # a sidebar change reruns the Explore fragment in AppTest, which then drops the sidebar's
    # widget state; the choice is set before the first run instead
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["measure"] = "dot"
    at.run()
    assert not at.exception
    assert any("Prefixes are not renormalised" in c.value for c in at.caption)
    assert any("except between near-ties" in c.value for c in at.caption)  # 256 dims
    at.select_slider(key="dim").set_value(32).run()
    assert not any("except between near-ties" in c.value for c in at.caption)
    dot = _metrics(at)
    assert dot["Mean kNN recall@10 vs 256d"] != cosine["Mean kNN recall@10 vs 256d"]


def test_lineage_page_with_blank_labels_says_so_instead_of_failing():
    from core.io.corpus import Corpus, load_demo_corpus

    demo = load_demo_corpus()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["corpus"] = Corpus("blank", demo.texts, demo.ids, labels=("",) * len(demo))
    at.run()
    at.switch_page("pages/lineage.py").run()
    assert not at.exception, at.exception
    assert any("No document has a label" in i.value for i in at.info)


def test_documents_refused_on_the_click_get_a_message_and_keep_the_corpus():
    at = _app()
    at.switch_page("pages/data.py").run()
    rows = ["id,text"] + [f"same,note {i} about rivers and rivers" for i in range(6)]
    at.file_uploader[0].upload("twice.csv", "\n".join(rows).encode(), "text/csv").run()
    at.selectbox[2].set_value("id").run()
    next(b for b in at.button if b.label == "Use these documents").click().run()
    assert not at.exception
    assert any("the document id 'same' repeats" in e.value for e in at.error)
    assert len(at.session_state.corpus) == 360  # still the demo
