"""Byte counts as people read them, in one convention everywhere (limits and their messages, the
memory budget, the fidelity page's storage): decimal units, 1 KB = 1,000 bytes and
1 MB = 1,000,000 bytes."""

from __future__ import annotations

MB = 1_000_000
_UNITS = ("B", "KB", "MB", "GB", "TB", "PB", "EB")


def size_text(n: int) -> str:
    """A byte count in decimal units to one decimal place, a trailing ".0" dropped:
    "999 B", "1 KB", "25.6 KB", "1.5 GB"."""
    n = int(n)
    if n < 0:
        raise ValueError(f"byte count must be non-negative, got {n}")
    value = float(n)
    for unit in _UNITS:
        if value < 999.95 or unit == _UNITS[-1]:
            break
        value /= 1000
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def fraction_text(part: int, whole: int) -> str:
    """A part of a whole for a sentence: "1/16" when the part divides the whole, else a
    percentage to one decimal, or as many as it takes not to read as none or all ("75%",
    "37.5%", "99.98%")."""
    if part <= 0:
        return "none"
    if part >= whole:
        return "all"
    if whole % part == 0:
        return f"1/{whole // part}"
    share = 100 * part / whole
    decimals = 1
    while decimals < 6 and round(share, decimals) in (0, 100):
        decimals += 1
    return f"{share:.{decimals}f}".rstrip("0").rstrip(".") + "%"
