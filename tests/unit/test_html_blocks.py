"""DocBook manuals: blocks pair by position inside sections cut at the anchors both languages share."""

from wordbridge.text import html_blocks
from wordbridge.text.skips import SkipCounter

PAGE = """<html><head><title>{title}</title></head><body>
<div class="navheader"><table><tr><th>{nav}</th></tr></table></div>
<div class="sect1"><h2><a id="intro"></a>{h}</h2><a id="{idm}" class="indexterm"></a>
<p>{p1}</p><ul><li><p>{li}</p></li></ul>
<div class="sect2"><h3 id="details">{h2}</h3>{extra}<p>{p2}</p><pre>code stays out</pre></div></div>
<div class="navfooter">{nav}</div></body></html>"""
FR = dict(title="Filtres de flou", nav="Précédent", h="1. Introduction aux filtres", idm="idm111",
          p1="Ces filtres rendent l’image floue.", li="Un élément de liste.", h2="1.1. Détails",
          extra="<p>Un paragraphe en plus.</p>", p2="Le dernier paragraphe.")
EN = dict(title="Blur Filters", nav="Prev", h="1. Introduction to filters", idm="idm999",
          p1="These filters blur the image.", li="A list item.", h2="1.1. Details", extra="",
          p2="The last paragraph.")


def write_pages(tmp_path, fr=FR, en=EN):
    for lang, values in (("fr", fr), ("en", en)):
        (tmp_path / lang).mkdir(exist_ok=True)
        (tmp_path / lang / "filters-blur.html").write_text(PAGE.format(**values), encoding="utf-8")


def test_blocks_pair_by_position_in_shared_sections_only(tmp_path):
    write_pages(tmp_path)
    pairs = list(html_blocks.read_manual(tmp_path))
    assert pairs == [
        ("Filtres de flou", "Blur Filters"),  # before the first shared anchor
        ("1. Introduction aux filtres", "1. Introduction to filters"),
        ("Ces filtres rendent l’image floue.", "These filters blur the image."),  # idm ids never cut
        ("Un élément de liste.", "A list item."),  # innermost block: the <p> inside the <li>
    ]  # the "details" section has an extra French paragraph: none of it pairs; nav and <pre> are left out


def test_generated_ids_are_recognised():
    assert html_blocks.is_generated_id("idm140234") and html_blocks.is_generated_id("id-1.2.3")
    assert not html_blocks.is_generated_id("idmap") and not html_blocks.is_generated_id("filters-blur")


def test_unparsable_page_is_skipped_with_a_warning(tmp_path):
    write_pages(tmp_path)
    (tmp_path / "fr" / "broken.html").write_bytes(b"")
    (tmp_path / "en" / "broken.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    counter = SkipCounter()
    pairs = list(html_blocks.read_manual(tmp_path, on_skip=counter.for_source("gimp-help")))
    assert counter.counts == {"gimp-help": 1} and len(pairs) == 4


def test_manual_text_gives_every_block_of_one_language(tmp_path):
    write_pages(tmp_path)
    text = list(html_blocks.manual_text(tmp_path / "en"))
    assert "The last paragraph." in text and "Prev" not in text
