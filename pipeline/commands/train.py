"""``veille train``: rebuild every shipped tagging model from the research sets and CM feedback, and its model card."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from pipeline.cli import app

log = logging.getLogger(__name__)


def _without_erased(settings, feedback: list) -> list:
    """The CM corrections no erasure reaches; training with an erased author's text is not an option, so
    an unreadable ``erasures`` topic stops the command (``--no-feedback`` trains without corrections)."""
    import asyncio

    from pipeline.privacy import keep_unerased_feedback, load_erasures
    from pipeline.redact import mask_credentials
    from pipeline.topics import ERASURES

    try:
        erased = asyncio.run(load_erasures(settings, timeout=30.0))
    except Exception as exc:  # noqa: BLE001 - Kafka unreachable or slow: one line, not a traceback
        typer.secho(mask_credentials(f"error: cannot read the erasures topic {settings.topic(ERASURES)} at "
                                     f"{settings.kafka.brokers} ({type(exc).__name__}: {exc}), so the CM corrections "
                                     "cannot be checked against erasures; start Kafka, or train with --no-feedback"),
                    fg="red", err=True)
        raise typer.Exit(1) from None
    kept, dropped = keep_unerased_feedback(feedback, erased)
    if dropped:
        log.info("%d feedback records left out: their authors are erased", dropped)
    return kept


@app.command("train")
def train_command(
    data: Path = typer.Option(Path("../shared/datasets"), "--data", help="folder of the labelled research sets"),
    model_dir: Path | None = typer.Option(None, help="where to write the model (default: Settings.model_dir)"),
    feedback_file: Path | None = typer.Option(None, help="CM feedback JSON lines (default: <data_dir>/feedback/feedback.jsonl)"),
    no_feedback: bool = typer.Option(False, "--no-feedback", help="train on the research sets only"),
    brand_data: Path | None = typer.Option(None, "--brand-data", help="the project's labelled brand mentions "
                                           "(default: data/brand_mentions of the source tree; its heldout folders are never read)"),
) -> None:
    """Train the language, sentiment and category heads (fixed seeds), tune thresholds on validation splits,
    measure speed and write the model and pipeline/tagging/models/MODEL_CARD.md."""
    from pipeline.settings import get_settings
    from pipeline.tagging.bundle import save_bundle
    from pipeline.tagging.feedback import feedback_path, read_feedback
    from pipeline.tagging.model_card import measure_speed, never_seen_scores, write_model_card
    from pipeline.tagging.datasets import BRAND_MENTIONS_DIR
    from pipeline.tagging.training import build_head_data, default_featurizer, train_bundle

    settings = get_settings()
    if not data.is_dir():
        raise typer.BadParameter(f"{data} is not a folder", param_hint="--data")
    brand_data = brand_data or BRAND_MENTIONS_DIR
    if not any(brand_data.glob("*.jsonl")):
        raise typer.BadParameter(f"{brand_data} holds no labelled brand mentions (*.jsonl)", param_hint="--brand-data")
    model_dir = model_dir or settings.model_dir
    feedback = [] if no_feedback else read_feedback(feedback_file or feedback_path(settings.data_dir))
    if feedback:
        feedback = _without_erased(settings, feedback)
    log.info("training from %s with %d feedback records", data, len(feedback))
    heads = build_head_data(data, feedback, brand_dir=brand_data)
    bundle = train_bundle(heads, featurizer=default_featurizer())
    bundle.report["feedback_records"] = len(feedback)
    bundle.report["speed"] = measure_speed(bundle, heads["sentiment_en"].validation["tweeteval_sentiment_val"].texts)
    bundle.report["never_seen"] = never_seen_scores(bundle)
    paths = save_bundle(bundle, model_dir)
    card = write_model_card(bundle, model_dir / "MODEL_CARD.md", paths)
    typer.echo(json.dumps({"model": [str(p) for p in paths], "model_card": str(card), "report": bundle.report}, indent=1))
