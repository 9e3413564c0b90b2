"""``ecomap load``, ``export``, ``stats`` and ``generate`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli

SMALL = Path(__file__).parent / "fixtures" / "small" / "small.yaml"


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env)


def test_load_prints_a_summary_per_type_and_a_dry_run_writes_nothing(store_env: dict[str, str]) -> None:
    dry = run(store_env, "load", str(SMALL), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] and report["nodes"]["Enterprise"]["created"] == 1
    assert json.loads(run(store_env, "stats", "--json").stdout)["nodes"] == 0
    real = run(store_env, "load", str(SMALL))
    assert real.exit_code == 0, real.output
    assert "Enterprise" in real.stdout and "MENTIONED_IN" in real.stdout and "total" in real.stdout
    stats = json.loads(run(store_env, "stats", "--json").stdout)
    assert stats["nodes"] == 9 and stats["relationship_types"]["CLASSIFIED_AS"] == 3


def test_export_and_generate_write_files_that_load(store_env: dict[str, str], tmp_path: Path) -> None:
    generated = run(store_env, "generate", "--nodes", "200", "--edges", "700", "--seed", "1", "--out",
                    str(tmp_path / "gen"), "--format", "jsonl")
    assert generated.exit_code == 0, generated.output
    assert run(store_env, "load", str(tmp_path / "gen")).exit_code == 0
    exported = run(store_env, "export", "--format", "xlsx", "--out", str(tmp_path / "g.xlsx"))
    assert exported.exit_code == 0 and (tmp_path / "g.xlsx").exists()
    again = run(store_env, "load", str(tmp_path / "g.xlsx"), "--json")
    assert json.loads(again.stdout)["totals"]["nodes"]["created"] == 0


def test_bad_options_are_usage_errors(store_env: dict[str, str]) -> None:
    assert run(store_env, "load").exit_code == 2
    assert run(store_env, "load", "--dataset", "nowhere").exit_code == 2
    assert run(store_env, "export", "--format", "pdf", "--out", "x").exit_code == 2
    assert run(store_env, "load", str(SMALL), "--format", "docx").exit_code == 2
