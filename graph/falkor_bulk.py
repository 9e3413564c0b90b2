"""Building a graph in an empty FalkorDB store with FalkorDB's bulk command (``GRAPH.BULK``, the
command ``falkordb-bulk-insert`` uses): the graph is built at once from binary-encoded nodes and
relationships, about ten times faster for relationships than batched Cypher.

``GRAPH.BULK`` can only build a graph that does not exist, so the empty graph is dropped first and
the ontology's indexes and unique-id constraint are created again afterwards (``setup_schema``). If the build is
interrupted, the store holds part of the graph; the next load sees a non-empty store and completes
it with idempotent ``MERGE``s.

Wire format (per call): ``GRAPH.BULK <graph> [BEGIN] <node count> <relationship count> <label
blobs> <type blobs> <blobs…>``. A blob is a name (``Entity:Enterprise``; ``:`` separates labels),
a property count and property names (NUL-terminated), then one entry per node — each property as
a type byte and its value — or per relationship — source and destination node numbers (uint64, in
the order nodes were sent) and then the properties. Type bytes: 0 null (not stored), 1 bool,
2 double, 3 NUL-terminated UTF-8 string, 4 int64, 5 array (int64 length, then typed items).
"""

from __future__ import annotations

import struct
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from typing import Any

import redis

from graph.errors import StoreError
from graph.ontology import ENTITY_LABEL, PropType
from graph.store import BulkTable

CHUNK_ROWS = 50_000
"""Records per bulk call (keeps each call's payload to a few MB)."""

_NULL = b"\x00"
_TRUE, _FALSE = struct.pack("=B?", 1, True), struct.pack("=B?", 1, False)
_DOUBLE = struct.Struct("=Bd").pack
_LONG = struct.Struct("=Bq").pack


def _text(value: str) -> bytes:
    return b"\x03" + value.encode() + _NULL


def _value(value: Any) -> bytes:
    if value is None:
        return _NULL
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float):
        return _DOUBLE(2, value)
    if isinstance(value, int):
        return _LONG(4, value)
    if isinstance(value, list):
        return _LONG(5, len(value)) + b"".join(_value(v) for v in value)
    raise TypeError(f"cannot bulk-encode {type(value).__name__}")


def _column(values: list[Any], prop_type: PropType) -> list[bytes]:
    """Each value of a column encoded (validation made every value of the declared type)."""
    if prop_type is PropType.STRING:
        return [_NULL if v is None else b"\x03" + v.encode() + _NULL for v in values]
    if prop_type is PropType.BOOLEAN:
        return [_NULL if v is None else _TRUE if v else _FALSE for v in values]
    if prop_type is PropType.FLOAT:
        return [_NULL if v is None else _DOUBLE(2, v) for v in values]
    if prop_type is PropType.INTEGER:
        return [_NULL if v is None else _LONG(4, v) for v in values]
    return [_value(v) for v in values]


def _header(name: str, props: list[str]) -> bytes:
    return b"".join([name.encode(), _NULL, struct.pack("=I", len(props)), *(p.encode() + _NULL for p in props)])


def _chunks(size: int) -> Iterator[range]:
    for i in range(0, size, CHUNK_ROWS):
        yield range(i, min(size, i + CHUNK_ROWS))


def _columns(table: BulkTable, positions: range) -> list[list[bytes]]:
    return [_column(values[positions.start:positions.stop], table.prop_types[p])
            for p, values in table.columns.items()]


def _node_blob(table: BulkTable, positions: range) -> bytes:
    columns = _columns(table, positions)
    return _header(f"{ENTITY_LABEL}:{table.type}", list(table.columns)) + b"".join(
        chain.from_iterable(zip(*columns, strict=True)))


def _rel_blob(table: BulkTable, positions: range, numbers: dict[str, int]) -> bytes:
    keys = table.keys[positions.start:positions.stop]
    pairs = array("Q", map(numbers.__getitem__, chain.from_iterable(keys))).tobytes()
    if not table.columns:
        return _header(table.type, []) + pairs
    ends = [pairs[i:i + 16] for i in range(0, len(pairs), 16)]
    return _header(table.type, list(table.columns)) + b"".join(
        chain.from_iterable(zip(ends, *_columns(table, positions), strict=True)))


def build_graph(connection: redis.Redis, graph: str, nodes: Sequence[BulkTable], rels: Sequence[BulkTable],
                advance: Callable[[int], None]) -> None:
    """Build the graph ``graph`` (which is dropped first) in one bulk operation; the caller restores
    the schema afterwards.

    Calls are sent by one background thread, in order, so that the store ingests a chunk while the
    next one is encoded."""
    if not any(map(len, nodes)):
        return
    numbers: dict[str, int] = {}
    in_flight: deque[tuple[Future, int]] = deque()

    def call(args: list[Any]) -> None:
        try:
            connection.execute_command("GRAPH.BULK", *args)
        except Exception as exc:  # redis errors of every kind: the store went away or refused
            raise StoreError(f"The bulk load stopped: {exc}. The store may hold part of the graph; "
                             "run the same load again to complete it.") from exc

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            future, count = in_flight.popleft()
            future.result()
            advance(count)

    sent = 0
    with ThreadPoolExecutor(max_workers=1) as sender:
        def send(node_count: int, rel_count: int, blob: bytes) -> None:
            nonlocal sent
            args: list[Any] = [graph] + ([] if sent else ["BEGIN"])  # the first call creates the graph
            args += [node_count, rel_count, 1 if node_count else 0, 1 if rel_count else 0, blob]
            sent += 1
            in_flight.append((sender.submit(call, args), node_count + rel_count))
            settle(1)

        connection.delete(graph)
        try:
            for table in nodes:
                for positions in _chunks(len(table)):
                    first = len(numbers)
                    numbers.update(zip(table.keys[positions.start:positions.stop],
                                       range(first, first + len(positions)), strict=True))
                    send(len(positions), 0, _node_blob(table, positions))
            for table in rels:
                for positions in _chunks(len(table)):
                    send(0, len(positions), _rel_blob(table, positions, numbers))
            settle(0)
        finally:
            for future, _ in in_flight:
                future.cancel()
