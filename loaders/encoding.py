"""Turning a text file's bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM, or
GB18030/GBK detected with charset-normalizer; or the encoding the user names.

A file is rejected, with the line and column of the first offending byte, when it holds binary
data (NUL bytes), mixes encodings (some lines UTF-8, others not), or is in an encoding that is
neither of those and was not named with ``--encoding``.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from loaders.problems import Problem

CHINESE_GUESSES = frozenset({"gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950"})
"""charset-normalizer's guesses that mean "Chinese legacy encoding": decoded as GB18030, the
national standard and a superset of GBK and GB2312 (short mainland texts are often guessed Big5)."""

_CJK = re.compile(r"[\u4e00-\u9fff]")


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of ``offset``."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _strict(data: bytes, encoding: str, file: str) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError as exc:
        line, col = position(data, exc.start)
        bad = data[exc.start:exc.start + 1].hex()
        return None, [Problem(file, line, col, f"not valid {encoding} text (byte 0x{bad}); "
                                                f"save the file as UTF-8 or give the right --encoding")]


def _mixed(data: bytes, file: str) -> Problem | None:
    """Some lines are UTF-8 Chinese text while others are not UTF-8 at all."""
    first_utf8 = first_other = None
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if first_other is None:
                first_other = (number, exc.start + 1, line[exc.start:exc.start + 1].hex())
            continue
        if first_utf8 is None and len(_CJK.findall(text)) >= 2:
            first_utf8 = number
        if first_utf8 is not None and first_other is not None:
            break
    if first_utf8 is None or first_other is None:
        return None
    line, col, byte = first_other
    return Problem(file, line, col, f"mixed encodings: line {first_utf8} is UTF-8 but this line is not "
                                    f"(byte 0x{byte}); save the whole file in one encoding (UTF-8)")


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str | None, str, list[Problem]]:
    """``(text, encoding used, problems)``; ``text`` is ``None`` when there are problems."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return None, encoding, [Problem(file, 1, 1, f"unknown encoding {encoding!r}")]
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        text, problems = _strict(data, name, file)
        return text, name, problems
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, problems = _strict(data, "utf-16", file)
        return text, "utf-16", problems
    if (nul := data.find(b"\x00")) >= 0:
        line, col = position(data, nul)
        return None, "binary", [Problem(file, line, col, "binary data (a NUL byte): this is not a text file")]
    if data.startswith(codecs.BOM_UTF8):
        text, problems = _strict(data, "utf-8-sig", file)
        return text, "utf-8-sig", problems
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if (problem := _mixed(data, file)) is not None:
        return None, "mixed", [problem]
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding not in CHINESE_GUESSES:
        guess = f" (it looks most like {best.encoding})" if best is not None else ""
        line, col = position(data, first_bad)
        return None, "unknown", [Problem(
            file, line, col, f"byte 0x{data[first_bad:first_bad + 1].hex()} is not UTF-8, and the file is not "
                             f"GB18030/GBK either{guess}; save the file as UTF-8 or give --encoding")]
    text, problems = _strict(data, "gb18030", file)
    return text, "gb18030", problems
