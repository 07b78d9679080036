"""JSON (a list of records or strings, optionally wrapped) and JSON Lines (one value per line)."""

from __future__ import annotations

import json

from core.io.decode import decode_text
from core.io.formats.options import Parsed, ReadOptions, text_table
from core.io.formats.text import NONBLANK_LINE
from core.runtime.errors import ExplorerError
from core.runtime.limits import check_document_count

_WRAPPER_KEYS = ("data", "records", "documents")


def read_json_lines(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """One JSON object or string per non-blank line."""
    text = decode_text(name, data)
    check_document_count(name, len(NONBLANK_LINE.findall(text)), options.limits)
    values = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            values.append((number, _loads(line, f"{name}, line {number}:", _LINE_HINT)))
    return _records(name, values, "line")


def read_json(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """A list of objects or strings, optionally wrapped as {"data"|"records"|"documents": [...]}."""
    value = _loads(decode_text(name, data), f"{name} is", "")
    if isinstance(value, dict):
        value = next(
            (value[key] for key in _WRAPPER_KEYS if isinstance(value.get(key), list)), value
        )
    if not isinstance(value, list):
        wrappers = " or ".join(f'{{"{key}": [...]}}' for key in _WRAPPER_KEYS)
        raise ExplorerError(
            f"{name} holds {_kind(value)}, but a list of records (objects) or a list of "
            f"strings is needed, optionally wrapped as {wrappers}."
        )
    if not value:
        raise ExplorerError(f"{name} holds an empty list, so there are no documents.")
    check_document_count(name, len(value), options.limits)
    return _records(name, list(enumerate(value, 1)), "item")


_LINE_HINT = " Each line must hold one JSON object or string."


def _loads(text: str, prefix: str, hint: str) -> object:
    """json.loads with every failure (syntax, depth, numbers too long to convert) as a message
    starting with prefix ("docs.json is", "rows.jsonl, line 3:")."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if not hint and error.msg == "Extra data":
            hint = " It looks like JSON Lines (one value per line); rename it to .jsonl."
        position = "" if hint == _LINE_HINT else f" at line {error.lineno}, column {error.colno}"
        reason = f"{error.msg}{position}"
    except RecursionError:
        reason = "nested too deeply"
    except ValueError as error:  # e.g. an integer longer than Python's 4,300-digit limit
        reason = str(error).split(";")[0][:160]
    raise ExplorerError(f"{prefix} not valid JSON ({reason}).{hint}")


def _records(name: str, values: list[tuple[int, object]], unit: str) -> Parsed:
    """Rows from numbered JSON values: objects become columns, strings become "text"."""
    rows = []
    for number, value in values:
        if isinstance(value, str):
            rows.append({"text": value})
        elif isinstance(value, dict):
            rows.append({key: _cell(item) for key, item in value.items()})
        else:
            raise ExplorerError(
                f"{name}, {unit} {number}: expected a JSON object or string but found "
                f"{_kind(value)}."
            )
    return text_table(rows), [f"{name}:{number}" for number, _ in values]


def _cell(value: object) -> str:
    """A JSON value as cell text: strings as-is, null as "", anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    return "null" if value is None else kinds.get(type(value), "a number")
