"""The demo corpus's results, shipped as a project folder (core/data/demo_project) so that a new
server shows the demo's maps at once: nothing is embedded, searched or mapped for it, and UMAP is
not even imported. `python -m core.demo` rebuilds the folder; tests/test_demo.py checks that it
matches what the code computes now."""

from __future__ import annotations

from pathlib import Path

from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline, default_ordering
from core.project import read_project, write_project
from core.runtime.errors import ExplorerError
from core.runtime.store import ResultStore

DEMO_PROJECT = Path(__file__).resolve().parent / "data" / "demo_project"


def demo_pipeline(store: ResultStore | None = None) -> Pipeline:
    """The app's first pipeline: the demo corpus, the default model and ordering, default graph
    settings and ladder."""
    return Pipeline(Choice(load_demo_corpus(), WORDLLAMA, default_ordering(WORDLLAMA)), store=store)


def build(folder: Path = DEMO_PROJECT) -> list[Path]:
    """Compute the demo's results and write them as a project folder."""
    for old in folder.glob("*"):
        old.unlink()
    return write_project(demo_pipeline(), folder)


def seed(store: ResultStore, folder: Path = DEMO_PROJECT) -> bool:
    """Put the shipped demo results into `store` under the keys the app's first pipeline asks
    for; False (and nothing put) when the folder is missing, unreadable or made for another
    corpus or model, in which case the demo is computed as any corpus is."""
    try:
        project = read_project(folder, name="demo")
    except (ExplorerError, OSError):
        return False
    wanted = demo_pipeline()
    if (
        project.corpus.fingerprint != wanted.corpus.fingerprint
        or project.spec != wanted.choice.spec
    ):
        return False
    pipe = project.pipeline(store)
    store.put(pipe.keys.raw(), project.raw)  # a model-embedded pipeline asks for it by key
    return True


if __name__ == "__main__":
    for path in build():
        print(path)
