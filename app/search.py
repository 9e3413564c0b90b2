"""Entity search: Chinese substring, pinyin (全拼 and initials) and aliases, in process.

The graph engines' full-text indexes do not segment Chinese, so the API keeps its own
index of every entity's names. It is built from the store on first use and rebuilt when
``store.version()`` changes; pinyin is cached per string, so a rebuild after a small change is cheap.

Ranking: exact > prefix > substring (on the name, English name or an alias) > pinyin 全拼 > initials;
within a rank shorter names come first.

Examples
--------
>>> index = SearchIndex.from_rows([["tisco", ["Entity", "Enterprise"], "太原钢铁（集团）有限公司", None,
...                                 ["太钢"], ["新材料"], "太原市"]], {})
>>> [(hit.entry.id, hit.match) for hit in index.search("taigang")]
[('tisco', 'pinyin')]
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from pypinyin import Style, lazy_pinyin

from graph.ontology import type_label
from graph.store import GraphStore

ENTRY_QUERY = ("MATCH (n:Entity) RETURN n.id AS id, labels(n) AS labels, n.name AS name, n.name_en AS name_en, "
               "n.aliases AS aliases, n.liuxin AS liuxin, n.region AS region")
SOURCE_QUERY = "MATCH (s:Source) RETURN s.id AS id, s.title AS title, s.sections AS sections"

_RANKS = ("exact", "prefix", "substring", "pinyin", "initials")


@lru_cache(maxsize=500_000)
def pinyin_keys(text: str) -> tuple[str, str]:
    """全拼 and initials of ``text``, lowercase, without separators (``太钢`` → ``taigang``, ``tg``)."""
    full = "".join(lazy_pinyin(text, errors="default")).lower()
    initials = "".join(s[:1] for s in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    return _ASCII_ALNUM.sub("", full), _ASCII_ALNUM.sub("", initials)


_ASCII_ALNUM = re.compile(r"[^0-9a-z]")


def _normalise(text: str) -> str:
    return "".join(text.split()).replace("'", "").lower()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [str(value)]


@dataclass(frozen=True)
class Entry:
    id: str
    type: str | None
    name: str | None
    name_en: str | None
    aliases: list[str]
    liuxin: list[str]
    region: str | None


@dataclass(frozen=True)
class Hit:
    entry: Entry
    match: str


class _Blob:
    """Many short strings joined by newlines, each owned by an entry: substring search in C speed."""

    def __init__(self, lines: list[tuple[str, int]]) -> None:
        self.text = "\n".join(line for line, _ in lines) + "\n"
        self.starts: list[int] = []
        self.owners: list[int] = []
        pos = 0
        for line, owner in lines:
            self.starts.append(pos)
            self.owners.append(owner)
            pos += len(line) + 1

    def find(self, needle: str) -> dict[int, int]:
        """Entries with a line containing ``needle`` → best kind (0 exact, 1 prefix, 2 substring)."""
        best: dict[int, int] = {}
        if not needle or "\n" in needle:
            return best
        pos = self.text.find(needle)
        while pos != -1:
            line = bisect.bisect_right(self.starts, pos) - 1
            start = self.starts[line]
            end = self.text.index("\n", start)
            if pos + len(needle) <= end:
                kind = 2 if pos > start else (0 if end - start == len(needle) else 1)
                owner = self.owners[line]
                if kind < best.get(owner, 3):
                    best[owner] = kind
            pos = self.text.find(needle, pos + 1)
        return best


class SearchIndex:
    """The names of every entity at one graph version, plus the Source nodes (for provenance)."""

    def __init__(self, entries: list[Entry], sources: dict[str, tuple[str | None, list[str]]],
                 version: int = 0) -> None:
        self.version = version
        self.entries = sorted(entries, key=lambda e: (e.name or "", e.id))
        self.sources = sources
        texts: list[tuple[str, int]] = []
        pinyins: list[tuple[str, int]] = []
        initials: list[tuple[str, int]] = []
        for i, e in enumerate(self.entries):
            for key in filter(None, [e.name, e.name_en, *e.aliases]):
                texts.append((_normalise(key), i))
                if not key.isascii():
                    full, short = pinyin_keys(key)
                    pinyins.append((full, i))
                    initials.append((short, i))
        self._text, self._pinyin, self._initials = _Blob(texts), _Blob(pinyins), _Blob(initials)

    @classmethod
    def from_rows(cls, rows: list[list[Any]], sources: dict[str, tuple[str | None, list[str]]],
                  version: int = 0) -> SearchIndex:
        entries = [Entry(id=str(r[0]), type=type_label(r[1] or []), name=r[2], name_en=r[3],
                         aliases=_as_list(r[4]), liuxin=_as_list(r[5]), region=r[6]) for r in rows if r[0]]
        return cls(entries, sources, version)

    @classmethod
    def build(cls, store: GraphStore) -> SearchIndex:
        version = store.version()
        rows = store.read(ENTRY_QUERY, row_cap=10_000_000).rows
        sources = {str(r[0]): (r[1], _as_list(r[2])) for r in store.read(SOURCE_QUERY, row_cap=100_000).rows}
        return cls.from_rows(rows, sources, version)

    def search(self, q: str = "", *, types: set[str] | None = None, liuxin: set[str] | None = None,
               region: str | None = None) -> list[Hit]:
        """Every entry matching ``q`` (all entries when empty) and the filters, best first."""

        def keep(e: Entry) -> bool:
            return ((not types or e.type in types) and (not liuxin or not liuxin.isdisjoint(e.liuxin))
                    and (region is None or e.region == region))

        needle = _normalise(q)
        if not needle:
            return [Hit(e, "filter") for e in self.entries if keep(e)]
        # entry index -> (rank, kind within the rank): text kinds are ranks 0-2 themselves.
        ranked: dict[int, tuple[int, int]] = {i: (kind, 0) for i, kind in self._text.find(needle).items()}
        if needle.isascii() and needle.isalnum():
            for rank, blob in ((3, self._pinyin), (4, self._initials)):
                for i, kind in blob.find(needle).items():
                    ranked.setdefault(i, (rank, kind))
        order = sorted(ranked, key=lambda i: (*ranked[i], len(self.entries[i].name or ""), i))
        return [Hit(self.entries[i], _RANKS[ranked[i][0]]) for i in order if keep(self.entries[i])]


class IndexHolder:
    """The current ``SearchIndex`` of a store, rebuilt (once, under a lock) when the graph changed."""

    def __init__(self) -> None:
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()

    def get(self, store: GraphStore) -> SearchIndex:
        version = store.version()
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._lock:
            if self._index is None or self._index.version != version:
                self._index = SearchIndex.build(store)
            return self._index


def get_search_index(request: Request) -> SearchIndex:
    """Dependency: the app's search index, fresh for the store's current version."""
    from app.deps import services_of

    services = services_of(request)
    return services.search.get(services.store)
