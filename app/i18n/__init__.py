"""Every text a person reads in the pages, in Chinese and English, from one catalogue.

The catalogue is the YAML files in ``messages/`` (one per part of the product), each a mapping
``key: {zh: …, en: …}``; a key is defined in exactly one file. Placeholders are ``{name}``.

* Templates call ``t("key", name=…)``: it renders ``<span data-i18n="key">中文</span>``, and the page's script
  swaps the text for the other language from the same catalogue, embedded in the page (``catalogue_json``).
  ``t_text`` gives the bare Chinese text, for attributes (put ``data-i18n-<attribute>="key"`` beside it).
* Text that arrives bilingual with the data (a saved query's title, an entity's English name) is rendered
  with ``both(zh, en)``: the same swap, from the element's own ``data-i18n-zh`` / ``data-i18n-en``.
* Python code that builds a message a person reads (an error page, a form error) calls ``text`` or ``pair``.

Examples
--------
>>> text("lang.toggle", "en")
'中文'
>>> pair("page.not_found.entity", id="x")[1]
'No entity has the id “x”. Use the search box above.'
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from markupsafe import Markup, escape

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


class CatalogueError(ValueError):
    """A message file is malformed: a key defined twice, a language missing, placeholders that differ."""


def _placeholders(s: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(s) if name}


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """All messages: key → {"zh": …, "en": …}, merged from every file in ``messages/``."""
    return load_catalogue(MESSAGES_DIR)


def load_catalogue(directory: Path) -> dict[str, dict[str, str]]:
    """The messages of every ``*.yaml`` file in ``directory``; ``CatalogueError`` names the file and key."""
    merged: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise CatalogueError(f"{path.name}: expected a mapping of message keys")
        for key, entry in data.items():
            where = f"{path.name}: {key}"
            if not isinstance(key, str):  # YAML reads a bare yes/no/on/off key as a boolean
                raise CatalogueError(f"{where}: a key must be text; quote it")
            if key in merged:
                raise CatalogueError(f"{where}: already defined in {origin[key]}")
            if not isinstance(entry, dict) or set(entry) != set(LANGS) or \
                    not all(isinstance(entry[lang], str) and entry[lang] for lang in LANGS):
                raise CatalogueError(f"{where}: needs exactly a non-empty zh and en text")
            if _placeholders(entry["zh"]) != _placeholders(entry["en"]):
                raise CatalogueError(f"{where}: zh and en use different placeholders")
            merged[str(key)] = {"zh": entry["zh"], "en": entry["en"]}
            origin[str(key)] = path.name
    return merged


def _format(template: str, values: dict[str, Any]) -> str:
    return template.format_map({name: values.get(name, "") for name in _placeholders(template)})


def text(key: str, lang: Lang = "zh", **values: Any) -> str:
    """The message ``key`` in ``lang``, placeholders filled; an unknown key is an error, never shown raw."""
    try:
        entry = catalogue()[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in app/i18n/messages") from None
    return _format(entry[lang], values)


def pair(key: str, **values: Any) -> tuple[str, str]:
    """(Chinese, English) of the message ``key``."""
    return text(key, "zh", **values), text(key, "en", **values)


def t(key: str, **values: Any) -> Markup:
    """An element showing the message ``key`` (Chinese; the page's script switches it to English)."""
    attrs = f' data-i18n="{escape(key)}"'
    if values:
        attrs += f' data-i18n-vars="{escape(json.dumps(values, ensure_ascii=False, default=str))}"'
    return Markup(f"<span{attrs}>{escape(text(key, **values))}</span>")


def t_text(key: str, **values: Any) -> str:
    """The Chinese text of ``key`` alone, for an attribute (Jinja escapes it)."""
    return text(key, **values)


def both(zh: str | None, en: str | None) -> Markup:
    """A bilingual value that came with the data: Chinese shown, English when the page is switched."""
    zh = zh or en or ""
    return Markup('<span data-i18n-zh="{}" data-i18n-en="{}">{}</span>').format(zh, en or zh, zh)


@cache
def catalogue_json() -> str:
    """The catalogue as JSON for the page's script (``</`` escaped so it cannot end a ``<script>``)."""
    return json.dumps(catalogue(), ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
