"""The ``veille`` command. Each sub-command lives in a module of :mod:`pipeline.commands` and registers
itself on :data:`app` (or on one of the groups below) when imported."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import typer

app = typer.Typer(
    name="veille",
    help="Veille: real-time social listening for community managers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stack_app = typer.Typer(help="Start, stop and inspect the embedded broker and Elasticsearch.", no_args_is_help=True)
topics_app = typer.Typer(help="Create the topics declared in topics.yaml and report drift.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def load_commands() -> None:
    import pipeline.commands as commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{module.name}")


def main() -> None:
    setup_logging()
    load_commands()
    app()


if __name__ == "__main__":
    main()
