"""What a source normaliser returns: mentions, and a :class:`Reject` for every item that could not
become one; the :class:`Collector` that validates each would-be mention.

A normaliser is a pure function ``bytes -> NormalizeResult``. It never raises on bad input: whatever
cannot become a :class:`~pipeline.mention.Mention` becomes a :class:`Reject` with a one-line reason,
and the other items still come out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from pipeline.mention import Mention, Platform, describe_validation_error, is_http_url

log = logging.getLogger(__name__)

RAW_EXCERPT_BYTES = 600


@dataclass(frozen=True, slots=True)
class Reject:
    """One item that did not become a mention. ``item_ref`` is the would-be mention id when known,
    else where the item sat in the payload (``items[3]``). ``deleted`` marks a deletion notice: the
    platform says this item no longer exists, so a live connector should retract it. ``skipped``
    marks the platform working as intended (a boost, a like, a private status, a moderation event):
    counted, never dead-lettered."""

    reason: str
    raw: bytes
    item_ref: str | None = None
    deleted: bool = False
    skipped: bool = False


@dataclass(slots=True)
class NormalizeResult:
    mentions: list[Mention] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def deletions(self) -> list[str]:
        """Ids (``platform:native_id``) the platform reported as deleted or removed."""
        return [r.item_ref for r in self.rejects if r.deleted and r.item_ref]


class Normalizer(Protocol):
    def __call__(
        self, payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
    ) -> NormalizeResult: ...


def excerpt(item: Any, limit: int = RAW_EXCERPT_BYTES) -> bytes:
    """A short byte excerpt of ``item`` for a reject: bytes and str as they are, anything else as JSON."""
    if isinstance(item, bytes):
        data = item
    elif isinstance(item, str):
        data = item.encode("utf-8", "replace")
    else:
        try:
            data = orjson.dumps(item, default=str)
        except TypeError:
            data = repr(item).encode("utf-8", "replace")
    return data if len(data) <= limit else data[:limit] + b"..."


class Collector:
    """Accumulates mentions and rejects for one payload. A mention seen twice (a re-fetch, an edit, a
    stream that repeats itself) is kept once, in its last version, at its first position."""

    def __init__(self, platform: Platform, *, fetched_at: datetime | None = None):
        self.platform = platform
        self.fetched_at = fetched_at
        self._mentions: dict[str, Mention] = {}
        self._rejects: list[Reject] = []

    def mention_id(self, native_id: Any) -> str:
        return f"{self.platform.value}:{native_id}"

    def reject(self, reason: str, raw: Any, item_ref: str | None = None, *, deleted: bool = False) -> None:
        self._rejects.append(Reject(reason=reason, raw=excerpt(raw), item_ref=item_ref, deleted=deleted))

    def skip(self, reason: str, raw: Any, item_ref: str | None = None) -> None:
        """An item that is not a mention by design (a boost, a like, a private status), not bad input."""
        self._rejects.append(Reject(reason=reason, raw=excerpt(raw), item_ref=item_ref, skipped=True))

    def add_rejects(self, rejects: Iterable[Reject]) -> None:
        self._rejects.extend(rejects)

    def deleted(self, native_id: Any, reason: str, raw: Any) -> None:
        self.reject(reason, raw, self.mention_id(native_id), deleted=True)

    def add(self, raw: Any, *, date_optional: bool = False, **fields: Any) -> Mention | None:
        """Validate one mention from ``fields`` (``native_id`` required); on failure record a reject.

        ``date_optional``: the source may legitimately omit the date (feeds); the fetch time stands in.
        """
        native_id = fields.get("native_id")
        if native_id is None or native_id == "":
            self.reject("missing id", raw)
            return None
        native_id = str(native_id)
        ref = self.mention_id(native_id)
        if fields.get("created_at") is None:
            if not date_optional or self.fetched_at is None:
                self.reject("missing or unreadable creation date", raw, ref)
                return None
            fields["created_at"] = self.fetched_at
        author = fields.get("author")
        if not isinstance(author, dict) or not author.get("id"):
            self.reject("missing author", raw, ref)
            return None
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            self.reject("no text", raw, ref)
            return None
        # Over-long or odd optional values are trimmed or dropped: none is worth losing the mention over.
        url = fields.get("url")
        if url is not None and not (
            isinstance(url, str) and is_http_url(url) and len(url) <= 4096
        ):
            fields["url"] = None
        title = fields.get("title")
        if isinstance(title, str):
            fields["title"] = title.strip()[:2048] or None
        language = fields.get("language")
        fields["language"] = language[:16] if isinstance(language, str) and language else None
        fields["author"] = {
            key: value[:512] if isinstance(value, str) else value for key, value in author.items() if value is not None
        }
        try:
            mention = Mention.model_validate(
                {
                    **fields,
                    "id": ref,
                    "native_id": native_id,
                    "platform": self.platform,
                    "fetched_at": fields.get("fetched_at", self.fetched_at),
                }
            )
        except ValidationError as exc:
            self.reject(describe_validation_error(exc), raw, ref)
            return None
        self._mentions[mention.id] = mention
        return mention

    def result(self) -> NormalizeResult:
        return NormalizeResult(mentions=list(self._mentions.values()), rejects=list(self._rejects))



class PayloadError(ValueError):
    """The payload as a whole cannot be read (the reason becomes one reject)."""




def run(
    platform: Platform, payload: bytes, fetched_at: datetime | None, body: Callable[[Collector], None]
) -> NormalizeResult:
    """Run ``body`` with a fresh collector; a payload that cannot be read at all becomes one reject."""
    collector = Collector(platform, fetched_at=fetched_at)
    try:
        body(collector)
    except PayloadError as exc:
        collector.reject(str(exc), payload[:RAW_EXCERPT_BYTES], "payload")
    except RecursionError:
        collector.reject("payload nested too deeply to walk", payload[:RAW_EXCERPT_BYTES], "payload")
    except Exception as exc:  # a shape no normaliser foresaw: keep what was read, reject the rest, never crash
        log.exception("%s normaliser failed on a payload", platform.value)
        collector.reject(f"unexpected payload shape ({type(exc).__name__}: {exc}); items before it were kept",
                         payload[:RAW_EXCERPT_BYTES], "payload")
    return collector.result()


