"""``POST /api/load``: upload data files (editor), validated and loaded all-or-nothing like `ecomap load`.

The route declares no body parameter, so FastAPI reads nothing before the key, the role and the rate
limit are checked. Only then is the multipart body streamed, part by part, into files of a temporary
folder; the total body is held to ``ECOMAP_MAX_UPLOAD_BYTES`` (the limit ``app.main`` gives this
router: a larger ``Content-Length`` is refused before anything is read, a body without one as soon as
it passes the limit) and the number of files to ``MAX_FILES``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from app.auth import Principal, rate_limited
from app.deps import get_store
from app.errors import ApiError
from app.fairness import heavy
from app.schemas import LoadOut, error_responses
from app.settings import Role
from graph.store import GraphStore
from loaders import LoadRejected, load_paths

router = APIRouter(prefix="/api", tags=["load"])

EXTENSIONS = (".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".yaml", ".yml")
FIELD = "files"
"""The multipart form field that carries the files."""
MAX_FILES = 100
"""Files in one upload: a folder with a file per node and relationship type holds about 40."""

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD],
    "properties": {FIELD: {"type": "array", "minItems": 1, "maxItems": MAX_FILES,
                           "items": {"type": "string", "format": "binary"},
                           "description": "Data files (CSV, TSV, XLSX, JSON, JSON Lines, YAML)."}}}}}}}
"""The body as OpenAPI describes it (the route reads it itself)."""


@router.post("/load", response_model=LoadOut, openapi_extra=UPLOAD_BODY,
             responses=error_responses(400, 401, 403, 409, 413, 415, 422, 429, 503))
async def load(
    request: Request,
    dry_run: bool = Query(False, description="Validate and report what would change without writing."),
    principal: Principal = Depends(rate_limited("load", Role.EDITOR)),
    _slot: None = heavy("load"),
    store: GraphStore = Depends(get_store),
) -> Any:
    """Validate every uploaded file and load them together, or nothing when any row is rejected
    (422 with the problems, each naming file, row and column: the first 1,000 in ``details``, and
    ``total`` and ``omitted`` counting all of them and those not listed)."""
    with tempfile.TemporaryDirectory(prefix="ecomap-upload-") as tmp:
        paths = await receive_files(request, Path(tmp))
        try:
            report = await run_in_threadpool(load_paths, store, paths, dry_run=dry_run)
        except LoadRejected as exc:
            return _rejected(exc, tmp)
        summary = _relative(report.to_json(), tmp)
    return {"dry_run": dry_run, "files": [p.name for p in paths], "summary": summary}


async def receive_files(request: Request, folder: Path) -> list[Path]:
    """Stream the multipart body of ``request`` into files in ``folder``; their paths, in upload order."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise ApiError(415, "unsupported_media_type", f"Send the files as multipart/form-data, in the form field "
                       f"{FIELD!r}.")
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError(400, "invalid_multipart", "The multipart/form-data content type has no boundary.")
    upload = _Upload(folder)
    try:
        parser = MultipartParser(boundary, upload.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise ApiError(400, "invalid_multipart", f"The multipart body is malformed: {exc}.") from None
    finally:
        upload.close()
    if not upload.complete:
        raise ApiError(400, "invalid_multipart", "The multipart body ends before its closing boundary; send it "
                       "again, whole.")
    if not upload.paths:
        raise ApiError(422, "no_files", f"The upload holds no files: send them in the form field {FIELD!r}.")
    return upload.paths


class _Upload:
    """The callbacks of python-multipart's streaming parser: each part of the form field ``files``
    is written to a file of its own in ``folder``, checked (name, type, count) before its data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []
        self.complete = False
        self._headers: dict[bytes, bytes] = {}
        self._name = self._value = b""
        self._out: BinaryIO | None = None

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self._headers.clear, "on_header_field": self._header_name,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._open, "on_part_data": self._write, "on_part_end": self.close,
                "on_end": self._end}

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._name.lower()] = self._value
        self._name = self._value = b""

    def _open(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        field = options.get(b"name", b"").decode("utf-8", "replace")
        if field != FIELD:
            raise ApiError(422, "unexpected_field", f"Unexpected form field {field!r}: send the data files in the "
                           f"form field {FIELD!r}, and nothing else.", {"field": field})
        filename = options.get(b"filename")
        if filename is None:
            raise ApiError(422, "not_a_file", f"A part of the form field {FIELD!r} is not a file (it has no file "
                           "name): send files.")
        if len(self.paths) == MAX_FILES:
            raise ApiError(422, "too_many_files", f"An upload holds at most {MAX_FILES} files: send the others in "
                           "another upload, or put them in a folder and load it with `ecomap load`.")
        name = _safe_name(filename.decode("utf-8", "replace"))
        if not name.lower().endswith(EXTENSIONS):
            raise ApiError(422, "unsupported_file", f"{name}: unsupported file type; use one of "
                           f"{', '.join(EXTENSIONS)}.", {"file": name})
        path = self.folder / name
        if path.exists():
            raise ApiError(422, "duplicate_file", f"{name} was uploaded twice.", {"file": name})
        self._out = open(path, "wb")  # noqa: SIM115 - closed at the part's end, or by ``close`` on failure
        self.paths.append(path)

    def _write(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])

    def _end(self) -> None:
        self.complete = True


def _rejected(exc: LoadRejected, folder: str) -> JSONResponse:
    """The 422 of a rejected upload: the error shape, with ``total`` and ``omitted`` counting the problems."""
    problems = [_relative(p.to_json(), folder) for p in exc.problems]
    listed = f"; the first {len(problems):,} are listed" if exc.omitted else ""
    message = f"The upload was rejected with {exc.total:,} problem(s){listed}; nothing was loaded."
    return JSONResponse({"error": {"code": "load_rejected", "message": message, "details": problems,
                                   "total": exc.total, "omitted": exc.omitted}}, status_code=422)


def _safe_name(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    return re.sub(r"[^\w.\-]", "_", base)[:120] or "upload"


def _relative(value: Any, folder: str) -> Any:
    """``value`` with the temporary upload folder removed from file paths (callers know their file names)."""
    if isinstance(value, str):
        return value.replace(folder + "/", "")
    if isinstance(value, dict):
        return {k: _relative(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, folder) for v in value]
    return value
