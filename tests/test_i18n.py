"""The message catalogue: it loads, refuses malformed files, and holds every key the pages use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.i18n import LANGS, CatalogueError, catalogue, load_catalogue, pair, t, text

ROOT = Path(__file__).resolve().parents[1]

# Literal keys as the code writes them: t("…") / t_text('…') / pair("…") / text("…") in templates and
# Python, i18n.t("…") / t("…") in scripts, data-i18n*="…" attributes in templates.
_CALLS = re.compile(r"""\b(?:t|t_text|pair|text|tr)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")
_ATTRS = re.compile(r"""data-i18n(?:-[a-z-]+)?=["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


def _used_keys() -> dict[str, str]:
    files = [*ROOT.glob("app/pages/templates/*.html"), *ROOT.glob("app/pages/static/js/*.js"),
             *ROOT.glob("app/**/*.py")]
    used: dict[str, str] = {}
    for path in files:
        source = path.read_text(encoding="utf-8")
        for key in _CALLS.findall(source) + _ATTRS.findall(source):
            used.setdefault(key, str(path.relative_to(ROOT)))
    return used


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    used = _used_keys()
    assert len(used) > 100  # the scan finds the keys: a broken pattern would make this test pass vacuously
    missing = {key: where for key, where in used.items() if key not in catalogue()}
    assert missing == {}


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    for key, entry in catalogue().items():
        assert set(entry) == set(LANGS), key
        names = [set(re.findall(r"\{(\w+)\}", entry[lang])) for lang in LANGS]
        assert names[0] == names[1], key
        # The Chinese text is Chinese: without its placeholders and the acronyms a planner also reads in
        # Chinese (API, JSON, CSV, PNG…), it has Chinese characters or no letters at all.
        bare = re.sub(r"\{\w+\}|\b[A-Z]{2,}\b", "", entry["zh"])
        assert re.search(r"[\u4e00-\u9fff]", bare) or not re.search(r"[A-Za-z]", bare), (key, entry["zh"])


def test_messages_fill_their_placeholders_and_escape_in_markup() -> None:
    zh, en = pair("page.not_found.entity", id="x<y")
    assert "x<y" in zh and "x<y" in en
    html = str(t("page.not_found.entity", id="x<y"))
    assert "x&lt;y" in html and "<y" not in html.replace("&lt;y", "")
    assert 'data-i18n="page.not_found.entity"' in html
    with pytest.raises(KeyError, match="no message"):
        text("no.such.key")


@pytest.mark.parametrize(("files", "problem"), [
    ({"a.yaml": "x.y: {zh: 甲, en: A}\n", "b.yaml": "x.y: {zh: 乙, en: B}\n"}, "already defined in a.yaml"),
    ({"a.yaml": "yes: {zh: 是, en: 'yes'}\n"}, "a key must be text"),
    ({"a.yaml": "x.y: {zh: 甲}\n"}, "exactly a non-empty zh and en"),
    ({"a.yaml": "x.y:\n  zh: '{n} 个'\n  en: '{count} items'\n"}, "different placeholders"),
    ({"a.yaml": "- just a list\n"}, "expected a mapping"),
])
def test_a_malformed_catalogue_is_refused_naming_file_and_key(tmp_path, files, problem) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueError, match=problem):
        load_catalogue(tmp_path)
