"""``ecomap story``: the stories made of saved views — list them, and write one as a single offline
HTML file (every step's map and every asset inlined; it opens from file:// with no network)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import console, fail, open_store
from app.errors import ApiError
from app.saved_views import STORY_FIELDS, load_story, story_page_html
from graph.ontology import STORY_LABEL
from graph.saved_views import list_records

story_cli = typer.Typer(help="Stories: saved views presented in order (made with POST /api/stories).",
                        no_args_is_help=True)


@story_cli.command("list")
def list_command() -> None:
    """The stories, newest first: id, title, steps, author."""
    with open_store() as store:
        records, total = list_records(store, STORY_LABEL, STORY_FIELDS, limit=500)
    for r in records:
        console.print(f"{r['id']}  {r['title']}  ({r['steps']} steps, {r['author']}, {str(r['created'])[:10]})",
                      markup=False, highlight=False)
    if not total:
        console.print("no stories yet (POST /api/stories makes one from saved views)", markup=False)


@story_cli.command("export")
def export_command(
    story_id: str = typer.Argument(..., metavar="ID", help="The story's id (s-…; `ecomap story list`)."),
    out: Path = typer.Option(..., "--out", "-o", help="The HTML file to write.", dir_okay=False, writable=True),
) -> None:
    """Write the story as ONE HTML file that presents it offline: open it from file://, step with →/←."""
    with open_store() as store:
        try:
            record = load_story(store, story_id)
        except ApiError as exc:
            fail(exc.message)
        html = story_page_html(store, record, standalone=True)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    console.print(f"wrote {out} — story {record['title']!r}, {record['steps']} steps; open it in a browser",
                  markup=False, highlight=False)


def register(cli: typer.Typer) -> None:
    cli.add_typer(story_cli, name="story")
