from datetime import UTC, datetime

import pytest

from pipeline.mention import (
    MAX_AUTHOR_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    InvalidMention,
    Mention,
    parse_mention,
)


def valid(**overrides) -> dict:
    base = {
        "platform": "mastodon", "native_id": "42", "source": "mastodon.social",
        "author": {"id": "u1", "handle": "ana", "followers": 12}, "text": "Livraison encore en retard",
        "created_at": "2026-11-21T10:00:00Z", "watch": "Aquarelle",
    }
    return {**base, **overrides}


def test_mention_id_is_derived_from_platform_and_native_id():
    mention = Mention.model_validate(valid())
    assert mention.id == "mastodon:42"
    assert mention.watch == ["Aquarelle"]
    assert mention.created_at == datetime(2026, 11, 21, 10, tzinfo=UTC)


def test_mention_naive_timestamps_are_read_as_utc():
    mention = Mention.model_validate(valid(created_at="2026-11-21T10:00:00"))
    assert mention.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty message"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (valid(id="twitter:42"), "must be platform:native_id"),
        (valid(text="   "), "text is blank"),
        (valid(platform="myspace"), "platform"),
        (valid(created_at="yesterday"), "created_at"),
        (valid(author={"id": "u1", "followers": -3}), "author.followers"),
        (valid(url="javascript:alert(1)"), "url must be http"),
        ({k: v for k, v in valid().items() if k != "author"}, "author"),
    ],
)
def test_mention_invalid_payloads_give_a_reason(payload, reason):
    with pytest.raises(InvalidMention) as error:
        parse_mention(payload)
    assert reason in error.value.reason


def test_mention_invalid_payload_keeps_its_id_for_the_dead_letter():
    with pytest.raises(InvalidMention) as error:
        parse_mention(valid(id="mastodon:42", text=""))
    assert error.value.mention_id == "mastodon:42"


def test_mention_oversized_text_is_truncated_and_flagged():
    mention = parse_mention(valid(text="a" * (MAX_TEXT_CHARS + 10)))
    assert len(mention.text) == MAX_TEXT_CHARS
    assert mention.truncated is True


def test_mention_oversized_title_and_author_names_are_truncated_and_flagged_not_rejected():
    payload = valid(title="t" * (MAX_TITLE_CHARS + 5))
    payload["author"] = {**payload["author"], "name": "n" * 600, "handle": "h" * 513}
    mention = parse_mention(payload)
    assert len(mention.title) == MAX_TITLE_CHARS
    assert (len(mention.author.name), len(mention.author.handle)) == (MAX_AUTHOR_NAME_CHARS, MAX_AUTHOR_NAME_CHARS)
    assert mention.truncated is True
    assert parse_mention(valid()).truncated is False


@pytest.mark.parametrize("url", ["Https://example.org/p/1", "HTTP://EXAMPLE.ORG/p", "https://example.org/"])
def test_mention_url_scheme_is_case_insensitive(url):
    assert parse_mention(valid(url=url)).url == url


def test_mention_url_other_schemes_still_refused_whatever_the_case():
    for url in ("JavaScript:alert(1)", "httpx://example.org", "ftp://example.org"):
        with pytest.raises(InvalidMention):
            parse_mention(valid(url=url))
