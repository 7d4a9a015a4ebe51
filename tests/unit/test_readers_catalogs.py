"""Game gettext catalogs (text/readers/gettext_catalogs.py), Wesnoth's cleaning (wesnoth.py), sentence alignment
(sentences.py) and DDTP Translation files (ddtp.py), on tiny files the tests write."""

import bz2
import lzma

import polib

from wordbridge.text.readers import ddtp, gettext_catalogs, sentences, wesnoth


class Skips(list):
    def __call__(self, path, why):
        self.append((path.name, why))


def write_po(path, entries, mo: bool = False) -> None:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for entry in entries:
        catalog.append(polib.POEntry(**entry) if isinstance(entry, dict) else polib.POEntry(msgid=entry[0],
                                                                                            msgstr=entry[1]))
    catalog.save_as_mofile(str(path)) if mo else catalog.save(str(path))


def test_game_catalogs_clean_qualifiers_markers_accelerators(tmp_path):
    write_po(tmp_path / "freeciv-core.mo", [("?plural:Hittites", "Hittites"), ("_Save Game", "_Enregistrer la partie"),
                                           ("?stat:Styles", "Styles de ville")], mo=True)
    write_po(tmp_path / "fr.po", [("#One Path contains enemies.", "#Un chemin recèle des ennemis."),
                                  {"msgid": "%d coin", "msgid_plural": "%d coins", "msgstr_plural": {0: "x", 1: "y"}},
                                  {"msgid": "Fuzzy", "msgstr": "Flou", "flags": ["fuzzy"]}, ("Untranslated", "")])
    files = gettext_catalogs.catalogs_under(tmp_path)
    assert sorted(gettext_catalogs.read_catalogs(files)) == [
        ("Enregistrer la partie", "Save Game"), ("Styles de ville", "Styles"),
        ("Un chemin recèle des ennemis.", "One Path contains enemies.")]


def test_dialogue_keeps_placeholders_and_a_bad_catalog_is_skipped(tmp_path):
    write_po(tmp_path / "a.po", [("I found &mcrap gold. Thanks!", "J'ai trouvé &mcrap pièces d'or. Merci !")])
    (tmp_path / "b.mo").write_bytes(b"not a compiled catalog")
    skips = Skips()
    files = [tmp_path / "b.mo", tmp_path / "a.po"]
    pairs = list(gettext_catalogs.read_catalogs(files, skips, clean=gettext_catalogs.sentence_clean))
    assert pairs == [("J'ai trouvé &mcrap pièces d'or.", "I found &mcrap gold."), ("Merci !", "Thanks!")]
    assert [name for name, _ in skips] == ["b.mo"]


def test_sentences_split_where_both_sides_agree_else_whole_or_capped():
    assert sentences.split_sentences("« Va-t'en. » Il partit.\nFin…  Oui ?") == ["« Va-t'en. »", "Il partit.", "Fin…",
                                                                               "Oui ?"]
    two = list(sentences.aligned_sentences("Je viens. Tu restes.", "I come. You stay."))
    assert two == [("Je viens.", "I come."), ("Tu restes.", "You stay.")]
    assert list(sentences.aligned_sentences("Je viens, tu restes.", "I come. You stay.")) == [
        ("Je viens, tu restes.", "I come. You stay.")]
    long_fr, long_en = "Un mot, " * 60 + "fin.", "One word. " * 50
    assert list(sentences.aligned_sentences(long_fr, long_en)) == []  # cannot be cut and over the cap


def test_wesnoth_strips_prefixes_and_pango_markup_and_splits_stories(tmp_path):
    story = ("Eldred made war upon Delfador. <i>He lost.</i>", "Eldred combattit Delfador. <i>Il perdit.</i>")
    write_po(tmp_path / "wesnoth-httt.mo", [
        ("female^Battle Princess", "Princesse guerrière"), ("race+female^Quenoth Elf", "Elfe de Quenoth"),
        ("<span color='red'>Run &amp; hide!</span>", "<span color='red'>Fuyez et cachez-vous !</span>"), story],
        mo=True)
    pairs = sorted(wesnoth.read_wesnoth([tmp_path / "wesnoth-httt.mo"]))
    assert pairs == [("Eldred combattit Delfador.", "Eldred made war upon Delfador."), ("Elfe de Quenoth", "Quenoth Elf"),
                     ("Fuyez et cachez-vous !", "Run & hide!"), ("Il perdit.", "He lost."),
                     ("Princesse guerrière", "Battle Princess")]


def stanza(lang: str, md5: str, text: str) -> str:
    return f"Package: p{md5}\nDescription-md5: {md5}\nDescription-{lang}: {text}\n\n"


def test_ddtp_pairs_descriptions_by_md5(tmp_path):
    fr = stanza("fr", "aa", "jeu de cartes\n Un jeu de cartes simple.\n .\n Il se joue seul. Il est gratuit.")
    fr += stanza("fr", "bb", "seulement en français")
    en = stanza("en", "aa", "card game\n A simple card game.\n .\n It is played alone. It is free.")
    en += stanza("en", "cc", "only in English")
    with bz2.open(tmp_path / "Translation-fr.bz2", "wt", encoding="utf-8") as handle:
        handle.write(fr)
    with lzma.open(tmp_path / "Translation-en.xz", "wt", encoding="utf-8") as handle:
        handle.write(en)
    pairs = list(ddtp.read_ddtp(tmp_path / "Translation-fr.bz2", tmp_path / "Translation-en.xz"))
    assert pairs == [("jeu de cartes", "card game"), ("Un jeu de cartes simple.", "A simple card game."),
                     ("Il se joue seul.", "It is played alone."), ("Il est gratuit.", "It is free.")]


def test_ddtp_unreadable_file_is_one_skip_line(tmp_path):
    (tmp_path / "Translation-fr.xz").write_bytes(b"not xz data")
    (tmp_path / "Translation-en").write_text(stanza("en", "aa", "card game"), encoding="utf-8")
    skips = Skips()
    assert list(ddtp.read_ddtp(tmp_path / "Translation-fr.xz", tmp_path / "Translation-en", skips)) == []
    assert [name for name, _ in skips] == ["Translation-fr.xz"]
