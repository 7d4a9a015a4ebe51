"""The everyday, narrative and game-help sources on their real fetched assets (scripts/test.sh fetches the small
ones: freedink, freeciv, openttd, pingus, frozen-bubble, emoji-names, cldr-names, ddtp; the others are read when
fetched): each reader's count, and the pitfalls DATA.md names."""

import itertools

import pytest

from wordbridge import asset_paths
from wordbridge.text.everyday_corpora import SOURCES
from wordbridge.text.named_corpora import open_corpus
from wordbridge.text.skips import SkipCounter

pytestmark = pytest.mark.assets

MINIMUM = {  # distinct pairs, about 80% of what was read on 2026-12-06 (docs/data-everyday.md)
    "wesnoth": 14000, "fillets": 1250, "freedink": 2000, "gcompris": 2900, "gcompris-words": 1000,
    "emoji-names": 1700, "cldr-names": 1400, "freeciv": 8500, "freecol": 3100, "openttd": 2200, "supertux": 850,
    "flare": 1000, "pingus": 240, "frozen-bubble": 100,
}


def need(name):
    if not asset_paths.is_cached(name):
        pytest.skip(f"asset {name} not fetched (run `wordbridge fetch {name}`)")


@pytest.mark.parametrize("source", [s.name for s in SOURCES])
def test_real_everyday_source_reads_cleanly(source):
    need(next(s.asset for s in SOURCES if s.name == source))
    counter = SkipCounter()
    pairs = set(open_corpus(source, on_skip=counter.for_source(source)))
    assert len(pairs) >= MINIMUM[source] and not counter.counts
    assert all(fr != en and fr.strip() == fr for fr, en in pairs)


def test_real_wesnoth_has_no_prefixes_or_markup_and_short_sentences():
    need("wesnoth")
    pairs = set(open_corpus("wesnoth"))
    assert not [p for p in pairs if "^" in p[1] or "<i>" in p[0] + p[1] or "</span>" in p[0] + p[1]]
    assert max(len(en) for _, en in pairs) <= 400  # story paragraphs cut into sentences or capped


def test_real_everyday_words_are_there():
    for source, pair in [("fillets", ("Je suis gelée.", "I’m cold.")), ("gcompris-words", ("une gare", "train station")),
                         ("emoji-names", ("pomme rouge", "red apple")), ("cldr-names", ("Allemagne", "Germany"))]:
        if asset_paths.is_cached(source):
            assert pair in set(open_corpus(source)), source


def test_real_ddtp_pairs_package_descriptions():
    need("ddtp")
    pairs = list(itertools.islice(open_corpus("ddtp"), 2000))
    assert len(pairs) == 2000 and sum(len(en.split()) <= 30 for _, en in pairs) > 1500
