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
    from pipeline.redact import mask_log_credentials

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    mask_log_credentials()
    for noisy in ("kafka", "aiokafka", "elastic_transport", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def load_commands() -> None:
    import pipeline.commands as commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{module.name}")


def main() -> None:
    import sys

    from pipeline.redact import masked_excepthook

    sys.excepthook = masked_excepthook  # an uncaught error's traceback shows no password either
    setup_logging()
    load_commands()
    try:
        app()
    except Exception as exc:
        message = unreachable_service_message(exc)
        if message is None:
            raise
        typer.secho(f"error: {message}", fg="red", err=True)
        raise SystemExit(1) from None


def unreachable_service_message(exc: BaseException) -> str | None:
    """A one-line explanation when a command fails because Kafka or Elasticsearch cannot be reached."""
    from elastic_transport import ConnectionError as ESConnectionError
    from kafka import errors as kafka_errors

    from pipeline.settings import get_settings

    settings = get_settings()
    if isinstance(exc, ESConnectionError):
        from pipeline.redact import mask_credentials

        return (f"cannot reach Elasticsearch at {mask_credentials(settings.elasticsearch.url)}: start the embedded stack "
                f"(veille stack up) or set VEILLE_ELASTICSEARCH_URL")
    unreachable = tuple(getattr(kafka_errors, name) for name in ("NoBrokersAvailable", "KafkaConnectionError")
                        if hasattr(kafka_errors, name))  # kafka-python 3 renamed some errors
    if isinstance(exc, unreachable) or type(exc).__name__ in ("KafkaConnectionError", "NoBrokersAvailable"):
        return (f"cannot reach Kafka at {settings.kafka.brokers}: start the embedded stack (veille stack up) "
                f"or set VEILLE_KAFKA_BROKERS")
    return None

