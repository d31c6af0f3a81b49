"""The mention model: one post, comment or article that talks about a watched brand, normalised.

Every connector produces :class:`Mention`; the tag agent turns it into :class:`EnrichedMention`.
Identity is ``platform:native_id`` so that a replay or a re-fetch never makes a second copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline import categories
from pipeline.sources.registry import PLATFORMS

MAX_TEXT_CHARS = 20_000
MAX_TITLE_CHARS = 2048
MAX_AUTHOR_NAME_CHARS = 512


def is_http_url(url: str) -> bool:
    """An http(s) URL; the scheme in any case (``Https://`` is a valid URL, RFC 3986 §3.1)."""
    return url[:8].lower().startswith(("http://", "https://"))


def cut_text(text: str) -> tuple[str, bool]:
    """The text as Veille keeps and tags it: its first MAX_TEXT_CHARS characters; and whether it was cut.
    The agents (through :class:`Mention`) and ``veille tag`` both cut here, so they tag alike."""
    if len(text) > MAX_TEXT_CHARS:
        return text[:MAX_TEXT_CHARS], True
    return text, False


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Where a mention was posted: the platforms of the registered sources (pipeline/sources/registry.py).
Platform = StrEnum("Platform", {name: name for name in PLATFORMS})


class Author(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=512)
    handle: str | None = Field(None, max_length=MAX_AUTHOR_NAME_CHARS)
    name: str | None = Field(None, max_length=MAX_AUTHOR_NAME_CHARS)
    followers: int | None = Field(None, ge=0)
    # What some sources say of the account (Mastodon, X): for the likely-fake score, pipeline/authors/health.py
    created_at: datetime | None = Field(None, description="when the account was created")
    following: int | None = Field(None, ge=0, description="accounts it follows")
    posts: int | None = Field(None, ge=0, description="posts it has published in all")

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)


class Metrics(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    likes: int = Field(0, ge=0)
    shares: int = Field(0, ge=0)
    replies: int = Field(0, ge=0)
    views: int | None = Field(None, ge=0)


class Mention(BaseModel):
    """A normalised mention. Unknown extra fields are ignored; missing required ones are an error."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=3, max_length=1024, description="platform:native_id")
    platform: Platform
    native_id: str = Field(min_length=1, max_length=1000)
    source: str = Field(min_length=1, max_length=2048, description="feed URL, subreddit, instance, page …")
    author: Author
    text: str = Field(min_length=1)
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)
    language: str | None = Field(None, max_length=16, description="language declared by the source, if any")
    url: str | None = Field(None, max_length=4096)
    created_at: datetime
    fetched_at: datetime | None = None
    metrics: Metrics = Metrics()
    parent_id: str | None = Field(None, max_length=1024)
    conversation_id: str | None = Field(None, max_length=1024)
    watch: list[str] = Field(default_factory=list, description="brands, competitors or products it matched")
    truncated: bool = Field(False, description="text, title or author name was longer than its limit and was cut")

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id") and data.get("platform") and data.get("native_id"):
            data = {**data, "id": f"{data['platform']}:{data['native_id']}"}
        return data

    @model_validator(mode="before")
    @classmethod
    def _cut_long_titles_and_names(cls, data: Any) -> Any:
        """Content that is merely long is cut and flagged, not rejected (the text is cut after validation)."""
        if not isinstance(data, dict):
            return data
        title, author = data.get("title"), data.get("author")
        if isinstance(title, str) and len(title) > MAX_TITLE_CHARS:
            data = {**data, "title": title[:MAX_TITLE_CHARS], "truncated": True}
        if isinstance(author, dict):
            long = {k: v[:MAX_AUTHOR_NAME_CHARS] for k in ("handle", "name")
                    if isinstance(v := author.get(k), str) and len(v) > MAX_AUTHOR_NAME_CHARS}
            if long:
                data = {**data, "author": {**author, **long}, "truncated": True}
        return data

    @field_validator("watch", mode="before")
    @classmethod
    def _watch_as_list(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _text_not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("text is blank")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not is_http_url(value):
            raise ValueError("url must be http(s)")
        return value

    @field_validator("created_at", "fetched_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)

    @model_validator(mode="after")
    def _check_identity_and_size(self) -> Mention:
        expected = f"{self.platform.value}:{self.native_id}"
        if self.id != expected:
            raise ValueError(f"id {self.id!r} must be platform:native_id ({expected!r})")
        text, cut = cut_text(self.text)
        if cut:
            object.__setattr__(self, "text", text)
            object.__setattr__(self, "truncated", True)
        return self


Sentiment = Literal["negative", "neutral", "positive"]
CATEGORIES: tuple[str, ...] = categories.names()  # each one defined in pipeline/categories.py


class AuthorHealth(BaseModel):
    """The likely-fake/automated score of a mention's author when it was tagged (pipeline/authors/health.py)."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0.0, le=1.0)
    likely_fake: bool
    reasons: list[str] = Field(default_factory=list)


class EnrichedMention(Mention):
    """A mention with what the tagger found and what the community manager should do about it."""

    lang: str = Field(description="detected language (ISO 639-1) or 'und'")
    sentiment: Sentiment
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    categories: list[str]
    scores: dict[str, float] = Field(default_factory=dict)
    action: str | None = None
    priority: str | None = None
    reply_by: datetime | None = None
    tagged_at: datetime
    tagger: str = Field(description="name and version of the tagger that produced the tags")
    ingested_at: datetime | None = Field(None, description="when the raw mention entered Kafka (record timestamp)")
    author_health: AuthorHealth | None = Field(None, description="whether its author looks fake or automated")


class InvalidMention(ValueError):
    """A raw record that is not a valid mention; ``reason`` says why in one line."""

    def __init__(self, reason: str, mention_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.mention_id = mention_id


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "mention"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_mention(payload: bytes | str | dict) -> Mention:
    """Decode and validate one raw mention, raising :class:`InvalidMention` with a one-line reason."""
    import orjson

    data: Any = payload
    if isinstance(payload, (bytes, bytearray, str)):
        if not payload:
            raise InvalidMention("empty message")
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise InvalidMention(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidMention(f"expected a JSON object, got {type(data).__name__}")
    mention_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        return Mention.model_validate(data)
    except ValidationError as exc:
        raise InvalidMention(describe_validation_error(exc), mention_id) from None
