"""Bytes to text: BOMs honoured, UTF-8 first, else the encoding charset_normalizer detects;
binary data is refused rather than turned into garbage documents."""

from __future__ import annotations

import re

from core.runtime.errors import ExplorerError

_MAX_CONTROL_RATIO = 0.05
_BINARY_SAMPLE_CHARS = 65_536
_DETECT_BYTES = 65_536
_WESTERN = "cp1252"
_BINARY_SIGNATURES = {
    b"%PDF-": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive or an Office document",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "a program",
}
_BINARY_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(name: str, data: bytes) -> str:
    """Text from bytes (UTF-16 with BOM, else see _decode_8bit), newlines normalised to "\\n"."""
    if not data.strip():
        raise ExplorerError(f"{name} is empty. Upload a file that contains documents.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise binary_error(name, "its UTF-16 text is damaged") from None
    else:
        kind = next((k for sig, k in _BINARY_SIGNATURES.items() if data.startswith(sig)), None)
        if kind:
            raise binary_error(name, f"it is {kind}")
        if b"\x00" in data:
            raise binary_error(name, "it contains NUL bytes")
        text = _decode_8bit(data)
    sample = text[:_BINARY_SAMPLE_CHARS]
    if "\x00" in sample:
        raise binary_error(name, "it contains NUL characters")
    if len(_BINARY_CONTROL_CHARS.findall(sample)) > _MAX_CONTROL_RATIO * len(sample):
        raise binary_error(name, "it is mostly non-printable characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ExplorerError(f"{name} is empty. Upload a file that contains documents.")
    return text


def _decode_8bit(data: bytes) -> str:
    """UTF-8 (BOM optional) when valid; else the encoding charset_normalizer finds, preferring
    Windows-1252 when it reads the bytes as cleanly (short texts fit many code pages equally)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:_DETECT_BYTES]))
    if matches:
        cleanest = min(match.chaos for match in matches)
        western = [m for m in matches if m.encoding == _WESTERN and m.chaos <= cleanest]
        encoding = _WESTERN if western else matches[0].encoding
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("latin-1")


def binary_error(name: str, reason: str) -> ExplorerError:
    return ExplorerError(
        f"{name} looks like a binary file ({reason}), not text. "
        "Save the documents as UTF-8 text in a supported format."
    )
