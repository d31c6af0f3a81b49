"""watches.yaml: what to listen for (brands, competitors, products) and where (sources), and the matcher
that decides which watches a mention belongs to.

A watch matches a mention when the mention comes from one of the watch's sources and any of its
keywords or its boolean ``query`` matches, unless its ``exclude`` query does. Items of a source marked
``owned`` (the brand's own page, channel or subreddit) belong to every watch that follows that source
without needing a keyword. A reply whose parent or conversation was matched recently inherits the
parent's watches, so a thread about a brand is not lost after its first message.

Queries use the language of :mod:`pipeline.query` and are checked when the file is loaded: a typo
is an error naming the watch and showing the position, not a silent miss.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.query.ast import Node, Or, Phrase, Wildcard
from pipeline.query.match import MentionView, evaluate
from pipeline.query.parser import QuerySyntaxError, parse_query
from pipeline.sources.options import SourceOptions
from pipeline.sources.registry import SOURCE_TYPES, options_models
from pipeline.yaml_files import decode_utf8, one_line, parse_yaml

# A source of watches.yaml: the options model of its type (pipeline/sources/<type>/options.py).
SourceType = Literal[SOURCE_TYPES]  # type: ignore[valid-type]
SourceSpec = Annotated[Union[options_models()], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
# Where a watch's audience lives: the hours of its audience rhythm (pipeline/rhythm.py) are read there.
DEFAULT_TIMEZONE = "Europe/Paris"


class WatchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["brand", "competitor", "product", "topic"] = "brand"
    keywords: list[str] = Field(default_factory=list, description="words, phrases, @handles, #tags, wildcards (livr*)")
    query: str | None = Field(None, description="boolean query in the search language")
    exclude: str | None = Field(None, description="a mention matching this query is not this watch's")
    sources: list[str] = Field(default_factory=list, description="source names; empty: every source")
    timezone: str = Field(DEFAULT_TIMEZONE, description="IANA time zone of the audience (Europe/Paris, UTC)")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from pipeline.rhythm import time_zone

        return str(time_zone(value))

    @field_validator("keywords")
    @classmethod
    def _no_blank_keywords(cls, value: list[str]) -> list[str]:
        if any(not k.strip() for k in value):
            raise ValueError("a keyword is blank")
        return value

    @model_validator(mode="after")
    def _something_to_match(self) -> WatchSpec:
        if not self.keywords and not self.query:
            raise ValueError(f"watch {self.name}: give 'keywords' or a 'query'")
        return self


class WatchesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceSpec] = Field(default_factory=list)
    watches: list[WatchSpec]


class WatchesError(ValueError):
    """watches.yaml cannot be used; the message names the file, the watch or source and what is wrong."""


def keyword_node(keyword: str) -> Node:
    """A keyword as a query operand: ``livr*`` a wildcard, anything else a phrase (``@aquarelle`` and
    ``#Aquarelle`` match the word ``aquarelle``; ``Crème Nuage`` the two words in a row)."""
    text = keyword.strip()
    if any(c in text for c in "*?") and " " not in text:
        return Wildcard(text.lstrip("@#"))
    return Phrase(text)


class Watch:
    """One compiled watch."""

    def __init__(self, spec: WatchSpec):
        self.spec = spec
        self.name = spec.name
        parts: list[Node] = [keyword_node(k) for k in spec.keywords]
        if spec.query:
            parts.append(_parse(spec.query, f"watch {spec.name}: query"))
        self.include: Node = parts[0] if len(parts) == 1 else Or(tuple(parts))
        self.exclude: Node | None = _parse(spec.exclude, f"watch {spec.name}: exclude") if spec.exclude else None

    def follows(self, source: str) -> bool:
        return not self.spec.sources or source in self.spec.sources

    def matches(self, view: MentionView) -> bool:
        if self.exclude is not None and evaluate(self.exclude, view):
            return False
        return evaluate(self.include, view)

    def excluded(self, view: MentionView) -> bool:
        return self.exclude is not None and evaluate(self.exclude, view)


def _parse(query: str, where: str) -> Node:
    try:
        return parse_query(query)
    except QuerySyntaxError as exc:
        raise WatchesError(f"{where}: {exc.message} (at position {exc.position} of {_shown(query)})") from None


def _shown(text: object, limit: int = 80) -> str:
    """A value quoted on one line for an error message, cut when long."""
    text = str(text)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text):,} characters)"


class Watches:
    """The watches and sources of one watches.yaml, and the matcher connectors call for every mention."""

    def __init__(self, spec: WatchesFile, remember: int = 50_000):
        self.spec = spec
        self.watches = [Watch(w) for w in spec.watches]
        self.sources: dict[str, SourceOptions] = {s.name: s for s in spec.sources}
        names = [w.name for w in spec.watches]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise WatchesError(f"watch(es) declared twice: {', '.join(duplicated)}")
        source_names = [s.name for s in spec.sources]
        duplicated = sorted({n for n in source_names if source_names.count(n) > 1})
        if duplicated:
            raise WatchesError(f"source(s) declared twice: {', '.join(duplicated)}")
        for watch in spec.watches:
            unknown = [s for s in watch.sources if s not in self.sources]
            if unknown:
                raise WatchesError(f"watch {watch.name}: unknown source(s) {', '.join(unknown)}; "
                                   f"declared: {', '.join(source_names) or 'none'}")
        self._thread_watches: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._remember = remember

    @classmethod
    def from_yaml(cls, text: str, where: str = "watches.yaml") -> Watches:
        data = parse_yaml(text, where, WatchesError)
        if data is not None and not isinstance(data, dict):
            raise WatchesError(f"{where}: expected a mapping with 'watches' (and 'sources'), got {type(data).__name__}")
        try:
            spec = WatchesFile.model_validate(data or {})
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(str(p)[:60] for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            raise WatchesError(one_line(f"{where}: {details}")) from None
        except RecursionError:
            raise WatchesError(f"{where}: nested too deeply") from None
        try:
            return cls(spec)
        except WatchesError as exc:
            raise WatchesError(one_line(f"{where}: {exc}")) from None

    @classmethod
    def load(cls, path: Path) -> Watches:
        if not path.exists():
            raise WatchesError(f"{path} does not exist (set VEILLE_WATCHES_FILE or create it; see watches.yaml)")
        try:
            text = decode_utf8(path.read_bytes())
        except OSError as exc:
            raise WatchesError(f"cannot read {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise WatchesError(f"{path}: {exc}") from None
        return cls.from_yaml(text, str(path))

    def following(self, source: str) -> list[Watch]:
        return [w for w in self.watches if w.follows(source)]

    def keywords_for(self, source: str) -> list[str]:
        """The keywords of the watches following ``source``, in order, once each (search terms by default)."""
        seen: dict[str, None] = {}
        for watch in self.following(source):
            for keyword in watch.spec.keywords:
                seen.setdefault(keyword.strip(), None)
        return list(seen)

    def match(self, mention: Any, source: str, now: datetime | None = None) -> list[str]:
        """Names of the watches ``mention`` (from connector ``source``) belongs to; empty: not ours."""
        view = MentionView(mention, now)
        spec = self.sources.get(source)
        owned = spec is not None and spec.owned
        inherited = self._inherited(view)
        names = []
        for watch in self.following(source):
            if owned or watch.name in inherited:
                if not watch.excluded(view):
                    names.append(watch.name)
            elif watch.matches(view):
                names.append(watch.name)
        mention_id = view.value("id")
        if names and isinstance(mention_id, str):
            self._remember_thread(mention_id, names)
            conversation = view.value("conversation_id")
            if isinstance(conversation, str):
                self._remember_thread(conversation, names)
        return names

    def _inherited(self, view: MentionView) -> set[str]:
        found: set[str] = set()
        for key in ("parent_id", "conversation_id"):
            ref = view.value(key)
            if isinstance(ref, str) and ref in self._thread_watches:
                found.update(self._thread_watches[ref])
        return found

    def _remember_thread(self, ref: str, names: Iterable[str]) -> None:
        previous = self._thread_watches.pop(ref, ())
        self._thread_watches[ref] = tuple(dict.fromkeys([*previous, *names]))
        while len(self._thread_watches) > self._remember:
            self._thread_watches.popitem(last=False)
