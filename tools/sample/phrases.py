"""What the sample stream says, read from ``phrases.yaml`` next to this file (its header explains the templates).

The file's lists become tuples and its per-sector tables are keyed by ``(sector, language)``, the shapes the
generator picks from; the names below are the generator's vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PHRASES_FILE = Path(__file__).with_name("phrases.yaml")
FR, EN = "fr", "en"


@dataclass(frozen=True)
class Product:
    name: str  # without the brand: "Rouge Velours"
    kind: dict[str, str]  # what it is, per language: {"fr": "rouge à lèvres", "en": "lipstick"}


@dataclass(frozen=True)
class Brand:
    name: str
    handle: str  # main account, without "@"
    care_handle: str  # customer-service account, without "@"
    site: str
    sector: str  # "beauty" or "lamp": chooses the defect, praise and fraud phrases
    french_share: float  # share of the brand's mentions written in French
    products: tuple[Product, ...]
    hashtags: tuple[str, ...]
    order_prefix: str


@dataclass(frozen=True)
class Scenario:
    name: str
    categories: tuple[str, ...]
    sentiment: str
    weight: float
    texts: dict[str, tuple[str, ...]]
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sectors: tuple[str, ...] = ("beauty", "lamp")
    platforms: dict[str, float] | None = None  # None: the default platform mix
    with_competitor: bool = False  # mentions the brand and the competitor


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _by_sector_and_language(table: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(sector, lang): _tuples(value) for sector, by_lang in table.items() for lang, value in by_lang.items()}


def _brand(name: str, spec: dict[str, Any]) -> Brand:
    products = tuple(Product(p["name"], {FR: p[FR], EN: p[EN]}) for p in spec["products"])
    return Brand(name=name, handle=spec["handle"], care_handle=spec["care_handle"], site=spec["site"],
                 sector=spec["sector"], french_share=spec["french_share"], products=products,
                 hashtags=tuple(spec["hashtags"]), order_prefix=spec["order_prefix"])


def _scenario(spec: dict[str, Any], titles: dict[str, dict], mixes: dict[str, dict]) -> Scenario:
    """A scenario; ``titles`` and ``platforms`` name an entry of the file's ``titles`` and ``platform_mixes``
    or are written out in place."""
    named_titles, platforms = spec.get("titles", {}), spec.get("platforms")
    return Scenario(
        name=spec["name"], categories=tuple(spec["categories"]), sentiment=spec["sentiment"], weight=spec["weight"],
        texts=_tuples(spec["texts"]),
        titles=titles[named_titles] if isinstance(named_titles, str) else _tuples(named_titles),
        sectors=tuple(spec.get("sectors", ("beauty", "lamp"))),
        platforms=mixes[platforms] if isinstance(platforms, str) else platforms,
        with_competitor=spec.get("with_competitor", False),
    )


_data = yaml.load(PHRASES_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

BRANDS: dict[str, Brand] = {name: _brand(name, spec) for name, spec in _data["brands"].items()}
# Nordlys is the competitor: mentioned alone or next to Lumio (lamps) or Aquarelle (its Fjord serum).
COMPETITOR: str = _data["competitor"]
COMPETITOR_PRODUCT_AGAINST = _tuples(_data["competitor_product_against"])
AMBASSADORS: dict[str, str] = _data["ambassadors"]
CEOS: dict[str, str] = _data["ceos"]

FIRST_NAMES = _tuples(_data["first_names"])
LAST_NAMES = _tuples(_data["last_names"])
HANDLE_SUFFIXES = _tuples(_data["handle_suffixes"])
TROLL_HANDLES = _tuples(_data["troll_handles"])
COUNTERFEIT_SELLERS = _tuples(_data["counterfeit_sellers"])
SCAM_URLS = _tuples(_data["scam_urls"])
VIDEO_LEAK_URLS = _tuples(_data["video_leak_urls"])
MANUAL_LEAK_URLS = _tuples(_data["manual_leak_urls"])
CITIES = _tuples(_data["cities"])
CARE_AGENTS = _tuples(_data["care_agents"])
MASTODON_INSTANCES = _tuples(_data["mastodon_instances"])
NEWS_OUTLETS = {lang: tuple((o["name"], o["domain"]) for o in outlets) for lang, outlets in _data["news_outlets"].items()}

SHOPS = _by_sector_and_language(_data["shops"])
MARKETS = _by_sector_and_language(_data["markets"])
WEAKNESSES = _by_sector_and_language(_data["weaknesses"])  # the "only downside" of a review
CHEAP_THINGS = _by_sector_and_language(_data["cheap_things"])
SUBREDDITS = _by_sector_and_language(_data["subreddits"])
FORUMS = _by_sector_and_language(_data["forums"])
BLOGS = _by_sector_and_language(_data["blogs"])
DETAILS = _by_sector_and_language(_data["details"])  # what people praise
ISSUES = _by_sector_and_language(_data["issues"])  # what goes wrong with a product

EMOJI = _tuples(_data["emoji"])
SECTOR_EMOJI = _tuples(_data["sector_emoji"])

_mixes: dict[str, dict[str, float]] = _data["platform_mixes"]
SOCIAL, REVIEWING, PRESS, SELLING = (_mixes[name] for name in ("social", "reviewing", "press", "selling"))
_titles = {name: _tuples(titles) for name, titles in _data["titles"].items()}
GENERIC_TITLES = _titles["generic"]
SCENARIOS: tuple[Scenario, ...] = tuple(_scenario(spec, _titles, _mixes) for spec in _data["scenarios"])

# Replies in a thread: keyed by what they answer. "brand" replies are posted by the brand's care account.
REPLIES: dict[str, dict[str, tuple[str, ...]]] = _tuples(_data["replies"])
# (categories, sentiment) of each reply kind
REPLY_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    kind: (tuple(label["categories"]), label["sentiment"]) for kind, label in _data["reply_labels"].items()}

_crisis = _data["crisis"]
CRISIS_BRAND: str = _crisis["brand"]
CRISIS_PRODUCT: str = _crisis["product"]
CRISIS_HASHTAG: str = _crisis["hashtag"]
CRISIS_TRENDING_TERMS = _tuples(_crisis["trending_terms"])
CRISIS_VICTIM = (_crisis["victim"]["handle"], _crisis["victim"]["name"])
CRISIS_AMPLIFIER = (_crisis["amplifier"]["handle"], _crisis["amplifier"]["name"])
CRISIS_ORIGIN_TEXT: str = _crisis["origin_text"]
CRISIS_FOLLOW_UP_TEXT: str = _crisis["follow_up_text"]
CRISIS_AMPLIFIER_TEXT: str = _crisis["amplifier_text"]
CRISIS_STATEMENT: dict[str, str] = _crisis["statement"]
# (name, categories, sentiment, weight, texts)
CRISIS_SCENARIOS: tuple[tuple[str, tuple[str, ...], str, float, dict[str, tuple[str, ...]]], ...] = tuple(
    (s["name"], tuple(s["categories"]), s["sentiment"], s["weight"], _tuples(s["texts"])) for s in _crisis["scenarios"])
CRISIS_NEWS = {lang: tuple((article["title"], article["body"]) for article in articles)
               for lang, articles in _crisis["news"].items()}
CRISIS_LANGUAGE_FR: float = _crisis["language_fr"]
CRISIS_RT_PREFIXES = _tuples(_crisis["rt_prefixes"])
del _data, _crisis
