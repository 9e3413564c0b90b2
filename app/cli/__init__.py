"""The ``ecomap`` command. Each module in this package adds its commands through ``register``."""

from __future__ import annotations

import importlib
import pkgutil

import typer

cli = typer.Typer(
    name="ecomap",
    help="创新生态云图 — build, query and serve the 六新 innovation-ecosystem graph.\n\n"
    "Configuration comes from the environment and .env (ECOMAP_BACKEND, ECOMAP_DATA_DIR, …; see README).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if module.name != "common" and not module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{module.name}").register(cli)


def main() -> None:
    cli()
