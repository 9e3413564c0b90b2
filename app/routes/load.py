"""``POST /api/load``: upload data files (editor), validated and loaded all-or-nothing like `ecomap load`."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile

from app.auth import Principal, rate_limited
from app.deps import get_store
from app.errors import ApiError
from app.schemas import LoadOut, error_responses
from app.settings import Role
from graph.store import GraphStore
from loaders import LoadRejected, load_paths

router = APIRouter(prefix="/api", tags=["load"])

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
EXTENSIONS = (".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".yaml", ".yml")


@router.post("/load", response_model=LoadOut, responses=error_responses(400, 401, 403, 413, 422, 429, 503))
def load(
    files: list[UploadFile] = File(..., description="Data files (CSV, TSV, XLSX, JSON, JSON Lines, YAML)."),
    dry_run: bool = Query(False, description="Validate and report what would change without writing."),
    principal: Principal = Depends(rate_limited("load", Role.EDITOR)),
    store: GraphStore = Depends(get_store),
) -> dict:
    """Validate every uploaded file and load them together, or nothing when any row is rejected
    (422 with the full list of problems, each naming file, row and column)."""
    with tempfile.TemporaryDirectory(prefix="ecomap-upload-") as tmp:
        paths = []
        for upload in files:
            name = _safe_name(upload.filename or "upload")
            if not name.lower().endswith(EXTENSIONS):
                raise ApiError(422, "unsupported_file", f"{name}: unsupported file type; use one of "
                               f"{', '.join(EXTENSIONS)}.", {"file": name})
            path = Path(tmp) / name
            if path.exists():
                raise ApiError(422, "duplicate_file", f"{name} was uploaded twice.", {"file": name})
            size = 0
            with open(path, "wb") as out:
                while chunk := upload.file.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        raise ApiError(413, "upload_too_large", f"{name} is larger than {MAX_UPLOAD_BYTES >> 20} MB; "
                                       "load it with `ecomap load`.", {"file": name})
                    out.write(chunk)
            paths.append(path)
        try:
            report = load_paths(store, paths, dry_run=dry_run)
        except LoadRejected as exc:
            problems = [_relative(p.to_json(), tmp) for p in exc.problems]
            raise ApiError(422, "load_rejected", f"The upload was rejected with {len(problems)} problem(s); "
                           "nothing was loaded.", problems) from None
        summary = _relative(report.to_json(), tmp)
    return {"dry_run": dry_run, "files": [p.name for p in paths], "summary": summary}


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
