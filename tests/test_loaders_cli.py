"""``ecomap load``, ``export``, ``stats`` and ``generate`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.settings import Settings

SMALL = Path(__file__).parent / "fixtures" / "small" / "small.yaml"


def run(settings: Settings, *args: str):
    env = {"ECOMAP_BACKEND": "embedded", "ECOMAP_DATA_DIR": str(settings.data_dir), "ECOMAP_GRAPH": settings.graph}
    return CliRunner().invoke(cli, list(args), env=env)


def test_load_prints_a_summary_per_type_and_a_dry_run_writes_nothing(settings: Settings) -> None:
    dry = run(settings, "load", str(SMALL), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] and report["nodes"]["Enterprise"]["created"] == 1
    assert json.loads(run(settings, "stats", "--json").stdout)["nodes"] == 0
    real = run(settings, "load", str(SMALL))
    assert real.exit_code == 0, real.output
    assert "Enterprise" in real.stdout and "MENTIONED_IN" in real.stdout and "total" in real.stdout
    stats = json.loads(run(settings, "stats", "--json").stdout)
    assert stats["nodes"] == 9 and stats["relationship_types"]["CLASSIFIED_AS"] == 3


def test_export_and_generate_write_files_that_load(settings: Settings, tmp_path: Path) -> None:
    generated = run(settings, "generate", "--nodes", "200", "--edges", "700", "--seed", "1", "--out",
                    str(tmp_path / "gen"), "--format", "jsonl")
    assert generated.exit_code == 0, generated.output
    assert run(settings, "load", str(tmp_path / "gen")).exit_code == 0
    exported = run(settings, "export", "--format", "xlsx", "--out", str(tmp_path / "g.xlsx"))
    assert exported.exit_code == 0 and (tmp_path / "g.xlsx").exists()
    again = run(settings, "load", str(tmp_path / "g.xlsx"), "--json")
    assert json.loads(again.stdout)["totals"]["nodes"]["created"] == 0


def test_bad_options_are_usage_errors(settings: Settings) -> None:
    assert run(settings, "load").exit_code == 2
    assert run(settings, "load", "--dataset", "nowhere").exit_code == 2
    assert run(settings, "export", "--format", "pdf", "--out", "x").exit_code == 2
    assert run(settings, "load", str(SMALL), "--format", "docx").exit_code == 2
