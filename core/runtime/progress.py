"""How long steps report progress: a callback told the share of the step done (0..1) and a
sentence saying what is happening."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def silent(share: float, text: str) -> None:
    """The progress callback used when nobody watches."""
