"""``veille train`` never trains on an erased author's CM corrections, and does not train on
corrections it cannot check against the erasures."""

from __future__ import annotations

import pytest
import typer

from pipeline.commands.train import _without_erased
from pipeline.privacy import ErasureSet, new_erasure
from pipeline.settings import Settings
from pipeline.stack import free_port
from pipeline.tagging.feedback import FeedbackRecord


def test_train_erasures_feedback_of_erased_authors_is_left_out(monkeypatch):
    async def erasures(settings, timeout=30.0):
        erased = ErasureSet()
        erased.add(new_erasure("victim"))
        return erased

    monkeypatch.setattr("pipeline.privacy.load_erasures", erasures)
    feedback = [FeedbackRecord(id="mastodon:1", text="texte de la victime", author_id="victim", platform="mastodon"),
                FeedbackRecord(id="mastodon:2", text="un autre auteur", author_id="other", platform="mastodon")]
    assert [r.text for r in _without_erased(Settings(), feedback)] == ["un autre auteur"]


def test_train_erasures_unreadable_topic_stops_the_command(capsys):
    settings = Settings(kafka_brokers=f"127.0.0.1:{free_port()}")
    with pytest.raises(typer.Exit) as stopped:
        _without_erased(settings, [FeedbackRecord(text="x", author_id="a")])
    assert stopped.value.exit_code == 1
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and "--no-feedback" in error
