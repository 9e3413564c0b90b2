"""All configuration, read once from the environment and `.env`."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.factory import Backend, ConfigError, StoreConfig, managed_server, open_store
from graph.store import DEFAULT_QUERY_MEMORY_MB, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, GraphStore

__all__ = ["Backend", "ConfigError", "Role", "Settings", "key_name", "load_settings", "parse_api_key_names",
           "parse_api_keys"]


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    EDITOR = "editor"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    backend: Backend = Field(Backend.EMBEDDED, validation_alias=_env("ECOMAP_BACKEND"))
    data_dir: Path = Field(Path("./data"), validation_alias=_env("ECOMAP_DATA_DIR"))
    graph: str = Field("ecomap", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                       validation_alias=_env("ECOMAP_GRAPH"))
    falkordb_url: str | None = Field(None, validation_alias=_env("ECOMAP_FALKORDB_URL"))
    neo4j_uri: str | None = Field(None, validation_alias=_env("NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=_env("NEO4J_USER"))
    neo4j_password: str | None = Field(None, validation_alias=_env("NEO4J_PASSWORD"))
    neo4j_database: str = Field("neo4j", validation_alias=_env("NEO4J_DATABASE"))
    host: str = Field("127.0.0.1", validation_alias=_env("ECOMAP_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("ECOMAP_PORT"))
    api_keys_raw: str = Field("", validation_alias=_env("ECOMAP_API_KEYS"))
    query_timeout_ms: int = Field(DEFAULT_TIMEOUT_MS, ge=10, le=600_000,
                                  validation_alias=_env("ECOMAP_QUERY_TIMEOUT_MS"))
    row_cap: int = Field(DEFAULT_ROW_CAP, ge=1, le=10_000_000, validation_alias=_env("ECOMAP_ROW_CAP"))
    # memory of the embedded store: the server's limit (0: half of the machine's) and one query's
    store_memory_mb: int = Field(0, ge=0, le=1 << 24, validation_alias=_env("ECOMAP_STORE_MEMORY_MB"))
    query_memory_mb: int = Field(DEFAULT_QUERY_MEMORY_MB, ge=16, le=1 << 24,
                                 validation_alias=_env("ECOMAP_QUERY_MEMORY_MB"))

    # -- request and server limits ----------------------------------------------------------------------
    # the largest request body (uploads to /api/load: max_upload_bytes), the largest request line and
    # headers together, idle seconds before a kept-alive connection is closed, seconds a request body may
    # pause before the request is dropped (408), and connections one worker serves at once (more get a 503)
    max_body_bytes: int = Field(32 << 20, ge=1024, le=1 << 32, validation_alias=_env("ECOMAP_MAX_BODY_BYTES"))
    max_upload_bytes: int = Field(200 << 20, ge=1024, le=1 << 40, validation_alias=_env("ECOMAP_MAX_UPLOAD_BYTES"))
    max_header_bytes: int = Field(32 << 10, ge=4096, le=1 << 20, validation_alias=_env("ECOMAP_MAX_HEADER_BYTES"))
    keep_alive_s: int = Field(5, ge=1, le=300, validation_alias=_env("ECOMAP_KEEP_ALIVE_S"))
    body_timeout_s: float = Field(30.0, gt=0, le=3600, validation_alias=_env("ECOMAP_BODY_TIMEOUT_S"))
    max_connections: int = Field(200, ge=1, le=100_000, validation_alias=_env("ECOMAP_MAX_CONNECTIONS"))

    # -- heavy requests (app/fairness.py tells how to size them) ----------------------------------------
    # heavy requests one key runs at once; heavy requests running at once in all (0: this machine's
    # cores minus one, leaving a store worker to light reads); seconds a heavy request waits for a slot
    heavy_per_key: int = Field(2, ge=1, le=1000, validation_alias=_env("ECOMAP_HEAVY_PER_KEY"))
    heavy_total: int = Field(0, ge=0, le=10_000, validation_alias=_env("ECOMAP_HEAVY_TOTAL"))
    heavy_wait_s: float = Field(5.0, ge=0, le=60, validation_alias=_env("ECOMAP_HEAVY_WAIT_S"))

    @field_validator("falkordb_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return v or None

    @field_validator("neo4j_uri")
    @classmethod
    def _neo4j_uri(cls, v: str | None) -> str | None:
        schemes = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        if v and not v.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return v or None

    @field_validator("api_keys_raw")
    @classmethod
    def _keys(cls, v: str) -> str:
        parse_api_keys(v)
        return v

    @cached_property
    def api_keys(self) -> dict[str, Role]:
        return parse_api_keys(self.api_keys_raw)

    @cached_property
    def api_key_names(self) -> dict[str, str]:
        """Key → the non-secret name that stands for its holder (the author of a saved view)."""
        return parse_api_key_names(self.api_keys_raw)

    @property
    def store_config(self) -> StoreConfig:
        return StoreConfig(backend=self.backend, data_dir=self.data_dir, graph=self.graph,
                           falkordb_url=self.falkordb_url, neo4j_uri=self.neo4j_uri, neo4j_user=self.neo4j_user,
                           neo4j_password=self.neo4j_password, neo4j_database=self.neo4j_database,
                           timeout_ms=self.query_timeout_ms, row_cap=self.row_cap,
                           store_memory_mb=self.store_memory_mb, query_memory_mb=self.query_memory_mb)

    def open_store(self) -> GraphStore:
        """Connect to the configured backend (starting the embedded server if needed)."""
        return open_store(self.store_config)

    def managed_server(self):
        """The store server this project starts itself for the configured backend, if any."""
        return managed_server(self.store_config)


_FIELD_TO_ENV = {name: (f.validation_alias.choices[0] if isinstance(f.validation_alias, AliasChoices) else name)
                 for name, f in Settings.model_fields.items()}


_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
"""A key's name: letters, digits and ``_ . @ -``, at most 64 characters."""


def _api_key_entries(raw: str) -> list[tuple[str | None, str, str]]:
    """(name or None, key, role text) of each comma-separated item: ``key``, ``key:role`` or
    ``name:key:role``."""
    entries = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        parts = item.split(":")
        if len(parts) > 3:
            raise ValueError(f"item {parts[0][:3]!r}… has more than three ':'-separated parts; write "
                             "key, key:role or name:key:role")
        name = parts.pop(0) if len(parts) == 3 else None
        key, role = parts[0], parts[1] if len(parts) == 2 else ""
        entries.append((name, key, role))
    return entries


def parse_api_keys(raw: str) -> dict[str, Role]:
    """``ECOMAP_API_KEYS`` is a comma-separated list of ``key:role`` or ``name:key:role`` (role defaults
    to viewer; a name is what stands for the key's holder where one is shown, e.g. a saved view's author)."""
    keys: dict[str, Role] = {}
    names: set[str] = set()
    for name, key, role in _api_key_entries(raw):
        if len(key) < 8:
            raise ValueError(f"key {key[:3]!r}… is shorter than 8 characters")
        if name is not None:
            if not _NAME.match(name):
                raise ValueError(f"key name {name[:64]!r} must be 1–64 letters, digits or _ . @ -")
            if name in names:
                raise ValueError(f"key name {name!r} is given twice")
            names.add(name)
        try:
            keys[key] = Role(role or Role.VIEWER)
        except ValueError:
            raise ValueError(f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}") from None
    return keys


def key_name(key: str) -> str:
    """The name of a key given without one: ``key-`` and the first 8 hex digits of its sha256 (never
    the key itself)."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def parse_api_key_names(raw: str) -> dict[str, str]:
    """Key → name for every key of ``ECOMAP_API_KEYS`` (its given name, else ``key_name(key)``)."""
    parse_api_keys(raw)
    return {key: name or key_name(key) for name, key, _ in _api_key_entries(raw)}


def load_settings(**overrides: object) -> Settings:
    """Read the settings; an invalid value raises ``ConfigError`` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            env = _FIELD_TO_ENV.get(field, field)
            problems.append(f"{env}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("Invalid configuration — " + "; ".join(problems)) from None
