"""Where the pages of an entity, a cluster and a cited source section live."""

from __future__ import annotations

from urllib.parse import quote


def entity_url(entity_id: str) -> str:
    return f"/entity/{quote(entity_id, safe='')}"


def cluster_url(cluster_id: str) -> str:
    return f"/clusters/{quote(cluster_id, safe='')}"


def source_url(source_id: str, section: str | None = None) -> str:
    """A source's page, or one of its sections' page."""
    url = f"/sources/{quote(source_id, safe='')}"
    return url if section is None else f"{url}/{quote(section, safe='')}"


def citation_url(citation: str) -> str:
    """``src-sxrb#3`` → ``/sources/src-sxrb/3``; a citation without a section → ``/sources/src-sxrb``."""
    source, _, section = citation.partition("#")
    return source_url(source, section or None)
