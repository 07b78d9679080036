"""Unique names for rows and columns."""

from __future__ import annotations

from collections.abc import Collection


def unique_names(names: list[str]) -> list[str]:
    """The names with repeats renamed "name#2", "name#3", ... avoiding every name in use."""
    used = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        unique = name
        if name in seen:
            number = 2
            while f"{name}#{number}" in used:
                number += 1
            unique = f"{name}#{number}"
            used.add(unique)
        seen.add(unique)
        result.append(unique)
    return result


def free_name(name: str, taken: Collection[str]) -> str:
    """name.1, name.2, ... whichever is first not among taken."""
    number = 1
    while f"{name}.{number}" in taken:
        number += 1
    return f"{name}.{number}"
