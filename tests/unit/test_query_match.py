"""The local query evaluator (watches) against hand-built mentions."""

from datetime import UTC, datetime

import pytest

from pipeline.query.match import matches, tokenize

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def mention(text, **extra):
    base = {"id": "mastodon:1", "platform": "mastodon", "native_id": "1", "source": "mastodon.social",
            "author": {"id": "42", "handle": "camille@mastodon.social", "followers": 1500},
            "text": text, "created_at": "2026-11-20T08:00:00Z", "metrics": {"likes": 12}, "watch": ["Aquarelle"]}
    return {**base, **extra}


@pytest.mark.parametrize("query, text, expected", [
    ("aquarelle", "Toujours pas reçu ma commande @aquarelle", True),
    ("aquarelle", "#Aquarelle forever", True),
    ("aquarelle", "#BoycottAquarelle", False),
    ("livraison", "Deux livraisons en retard", True),  # French stemming
    ("deliveries", "the delivery was late", True),  # English stemming
    ("creme", "La Crème Nuage me brûle", True),  # accents folded
    ('"crème nuage"', "la crème hydratante nuage", False),
    ('"crème nuage"', "LA CRÈME NUAGE !", True),
    ("livr*", "livraison offerte", True),
    ("retar?", "retard", True),
    ("livraison NEAR/4 retard", "livraison encore une fois en retard", True),
    ("livraison NEAR/3 retard", "livraison encore une fois en retard", False),
    ("retard NEAR/2 livraison", "livraison en retard", True),
    ("lumio -halo", "Lumio Halo is great", False),
    ("lumio OR nordlys", "I prefer Nordlys", True),
    ("lumio AND nordlys", "I prefer Nordlys", False),
    ("(lumio OR nordlys) NOT aurora", "Nordlys Aurora", False),
    ("l'été", "Cet été chez Aquarelle", True),
])
def test_query_match_text(query, text, expected):
    assert matches(query, mention(text), NOW) is expected


@pytest.mark.parametrize("query, expected", [
    ("platform:mastodon", True),
    ("platform:reddit", False),
    ("source:MASTODON.SOCIAL", True),
    ("watch:aquarelle", True),
    ("author:@camille@mastodon.social", True),
    ("author:42", True),
    ("author:camille*", True),
    ("followers:>1k", True),
    ("followers:>2k", False),
    ("likes:10..20", True),
    ("created:>now-24h", True),
    ("created:>now-1h", False),
    ("created:2026-11-20", True),
    ("created:>2026-11-20", False),
    ("created:<2026-11-20", False),
    ("created:>=2026-11-20", True),
    ("sentiment:negative", False),  # not tagged yet: never matches
    ("title:*", False),
    ("url:*", False),
    ("text:commande", True),
    ('text:"ma commande"', True),
])
def test_query_match_fields(query, expected):
    assert matches(query, mention("Toujours pas reçu ma commande"), NOW) is expected


def test_query_match_title_is_searched_too():
    assert matches("velours", mention("un avis", title="Rouge Velours : le test"), NOW)


def test_query_match_tokenize_drops_elisions_and_symbols():
    assert tokenize("L'Aquarelle d’été @lumio #Nordlys 3.5") == ["aquarelle", "ete", "lumio", "nordlys", "3.5"]
