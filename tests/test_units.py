"""Tests for core.runtime.units: one decimal convention for every byte count shown."""

from __future__ import annotations

import pytest

from core.runtime.units import MB, fraction_text, size_text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1024, "1 KB"),
        (25_600, "25.6 KB"),
        (999_999, "1 MB"),
        (50 * MB, "50 MB"),
        (52_428_800, "52.4 MB"),
        (1_500_000_000, "1.5 GB"),
        (3_200_000_000, "3.2 GB"),
        (102_400_000_000, "102.4 GB"),
    ],
)
def test_size_text_uses_decimal_units_to_one_decimal_place(count: int, text: str) -> None:
    assert size_text(count) == text


def test_a_negative_byte_count_is_a_bug() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        size_text(-1)


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (256, 1024, "1/4"),
        (8, 4096, "1/512"),  # 8 of 4096 dims: never "100% less"
        (768, 1024, "75%"),  # three quarters is no "≈1/1"
        (96, 256, "37.5%"),
        (4095, 4096, "99.98%"),
        (0, 1024, "none"),
        (1024, 1024, "all"),
    ],
)
def test_fraction_text_is_exact_and_never_rounds_to_none_or_all(
    part: int, whole: int, text: str
) -> None:
    assert fraction_text(part, whole) == text
