"""The seven newer text sources on their real fetched assets (scripts/test.sh fetches debian-reference, freedict,
manpages, gettext-apps and firefox; thunderbird and gimp-help are read when fetched): a little of each reader."""

import itertools

import pytest

from wordbridge import asset_paths
from wordbridge.text import freedict, html_blocks, manpages, mozilla
from wordbridge.text.named_corpora import open_corpus
from wordbridge.text.skips import SkipCounter

pytestmark = pytest.mark.assets


def need(name):
    if not asset_paths.is_cached(name):
        pytest.skip(f"asset {name} not fetched (run `wordbridge fetch {name}`)")
    return asset_paths.path(name)


@pytest.mark.parametrize("app", ["firefox", "thunderbird"])
def test_real_mozilla_strings_pair_by_message_id(app):
    root = need(app)
    counter = SkipCounter()
    pairs = set(mozilla.read_mozilla(root, on_skip=counter.for_source(app)))
    assert len(pairs) > 5000 and not counter.counts  # ~10k Firefox, ~13k Thunderbird
    assert not any("&lt;" in fr or "&lt;" in en for fr, en in pairs)
    assert all(fr != en and len(fr) > 1 for fr, en in pairs)


@pytest.mark.parametrize("name, minimum", [("debian-reference", 3500), ("gimp-help", 9000)])
def test_real_manuals_pair_blocks(name, minimum):
    root = need(name)
    if name == "debian-reference":  # small: read it all
        pairs = set(html_blocks.read_manual(root))
        assert len(pairs) > minimum  # 4,316 distinct on 2026-11-30
    pages = sorted(p.name for p in (root / "en").glob("*.html"))[:20]
    counts: dict[str, int] = {}
    for page in pages:
        list(html_blocks.pair_pages(root / "fr" / page, root / "en" / page, counts))
    assert counts["paired"] > 0.8 * counts["blocks"]  # same block sequence in most sections


def test_real_gettext_apps_strip_accelerators():
    need("gettext-apps")
    pairs = list(itertools.islice(open_corpus("gettext-apps"), 3000))
    assert len(pairs) == 3000
    assert sum("_" in fr for fr, _ in pairs) < 30  # mnemonics gone, names like file_name stay


def test_real_manpages_pairs_and_one_page_with_groff():
    root = need("manpages")
    pairs = list(open_corpus("manpages"))
    assert len(set(pairs)) > 4000  # 4,805 distinct on 2026-11-30
    assert not any("TRADUCTION" in fr for fr, _ in pairs)
    page = "man1/intro.1.gz"
    if (root / "fr" / page).is_file():
        lines = manpages.render(manpages.read_roff(root / "en" / page), root / page, manpages.groff())
        assert any("Linux" in line for line in lines)


def test_real_freedict_both_directions():
    root = need("freedict")
    pairs = set(freedict.read_freedict(root))
    assert len(pairs) > 15000 and ("chameau", "camel") in pairs
