"""``veille tag`` outputs the CM's action, deadline and scores; ``veille feedback`` stores corrections for training."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

import pipeline.settings
import pipeline.tagging
from pipeline.cli import app, load_commands
from pipeline.tagging.feedback import (
    FeedbackRecord,
    append_feedback,
    feedback_path,
    read_feedback,
)
from pipeline.tagging.rules import RuleTagger

load_commands()


@pytest.fixture
def settings(monkeypatch, tmp_path):
    settings = pipeline.settings.Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "no-model")
    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    monkeypatch.setattr(pipeline.tagging, "_TAGGER", None)
    return settings


class _PlaybookRules(RuleTagger):
    """The rules with the playbook's deadlines, as the trained tagger plans them (reply_by = created_at + delay)."""

    def tag_batch(self, items):
        from pipeline.tagging.playbook import load_playbook

        tags = super().tag_batch(items)
        for item, t in zip(items, tags, strict=True):
            plan = load_playbook().plan(t.categories, item.platform, item.created_at)
            t.action, t.priority, t.reply_by = plan.action, plan.priority, plan.reply_by
        return tags


def test_tagging_tag_command_outputs_action_deadline_and_scores(monkeypatch):
    monkeypatch.setattr(pipeline.tagging, "_TAGGER", _PlaybookRules())
    lines = [
        {"id": "twitter:1", "text": "@acme my parcel never arrived, refund please", "platform": "twitter",
         "created_at": "2026-03-02T09:00:00Z", "watch": ["acme"]},
        "not json",
        {"id": "forum:2", "text": "Just landed in Paris", "platform": "forum", "created_at": "2026-03-02T09:00:00Z"},
    ]
    stdin = "\n".join(line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines) + "\n"
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    complaint, error, neutral = out
    assert complaint["id"] == "twitter:1" and "complaint" in complaint["categories"]
    assert complaint["reply_by"] == "2026-03-02T09:38:00+00:00"  # a complaint starts mid-range (15-60 min on X)
    assert complaint["action"] and complaint["priority"] and complaint["scores"]
    assert "error" in error
    assert neutral["categories"] == ["neutral"] and neutral["reply_by"] is None


def test_tagging_feedback_command_appends_json_line(settings):
    runner = CliRunner()
    result = runner.invoke(app, ["feedback", "--id", "twitter:9", "--text", "where is my parcel @acme",
                                 "--add", "complaint", "--remove", "neutral", "--sentiment", "negative"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["feedback", "--text", "quelle bande de nuls", "--add", "troll", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    records = read_feedback(feedback_path(settings.data_dir))
    assert [r.id for r in records] == ["twitter:9", None]
    assert records[0].add == ["complaint"] and records[0].remove == ["neutral"] and records[0].sentiment == "negative"
    assert records[0].lang == "en"  # detected by the current tagger when not given
    assert records[1].lang == "fr" and records[1].add == ["troll"]


@pytest.mark.parametrize("args", [
    ["--text", "hello"],  # nothing to correct
    ["--text", "hello", "--add", "spam"],  # unknown category
    ["--text", "hello", "--add", "troll", "--remove", "troll"],
    ["--text", "hello", "--sentiment", "furious"],
])
def test_tagging_feedback_command_rejects_bad_corrections(settings, args):
    result = CliRunner().invoke(app, ["feedback", *args])
    assert result.exit_code != 0
    assert not feedback_path(settings.data_dir).exists()


def test_tagging_feedback_file_roundtrip(tmp_path):
    path = tmp_path / "feedback" / "feedback.jsonl"
    first = FeedbackRecord(text="great advice, thanks", add=["review"], sentiment="positive")
    second = FeedbackRecord(text="this is a scam", add=["counterfeit"], remove=["positive"])
    append_feedback(path, first)
    append_feedback(path, second)
    assert read_feedback(path) == [first, second]
    assert read_feedback(tmp_path / "missing.jsonl") == []


def test_tagging_tag_command_bad_date_is_one_error_and_the_batch_is_still_tagged(monkeypatch, settings):
    monkeypatch.setattr(pipeline.tagging, "_TAGGER", _PlaybookRules())
    lines = [
        {"id": "twitter:1", "text": "@acme my parcel never arrived, refund please", "created_at": "2026-03-02T09:00:00Z"},
        {"id": "twitter:2", "text": "@acme my parcel never arrived, refund please", "created_at": "9999-12-31T23:59:00Z"},
        {"id": "twitter:3", "text": "@acme scam, fake product", "created_at": "0001-01-01T00:00:00Z"},
        {"id": "twitter:4", "text": "Just landed in Paris"},
    ]
    stdin = "\n".join(orjson.dumps(line).decode() for line in lines) + "\n"
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["twitter:1", "twitter:2", "twitter:3", "twitter:4"]  # aligned with the input
    assert out[0]["categories"] and out[2]["categories"] and out[3]["categories"]
    errors = [o for o in out if "error" in o]
    assert [o["id"] for o in errors] == ["twitter:2"]
    assert result.stderr.splitlines() == [f"veille tag: {errors[0]['error']}"]
    assert "line 2" in errors[0]["error"] and "Traceback" not in result.stderr


def test_tagging_tag_command_cuts_text_like_the_agent(monkeypatch, settings):
    from pipeline.mention import MAX_TEXT_CHARS, parse_mention
    from pipeline.processing import tag_input_for

    seen = []

    class SpyRules(RuleTagger):
        def tag_batch(self, items):
            seen.extend(item.text for item in items)
            return super().tag_batch(items)

    monkeypatch.setattr(pipeline.tagging, "_TAGGER", SpyRules())
    text = "remboursement " * 5_000  # 70,000 characters
    mention = {"id": "forum:1", "platform": "forum", "native_id": "1", "source": "forum.example",
               "author": {"id": "u"}, "text": text, "created_at": "2026-03-02T09:00:00Z"}
    result = CliRunner().invoke(app, ["tag"], input=orjson.dumps(mention).decode() + "\n")
    assert result.exit_code == 0, result.output
    assert [len(t) for t in seen] == [MAX_TEXT_CHARS]
    assert seen[0] == tag_input_for(parse_mention(orjson.dumps(mention))).text
