"""Corpus readers on tiny files the tests write: aligned, TSV, .po/.mo, a sqlite Bible, help trees; named corpora
(text/named_corpora.py) on fake fetched assets, and what prepare counts per source."""

import gzip
import logging
import sqlite3

import polib
import pytest

from wordbridge.assets.text import help_text
from wordbridge.errors import AssetError, ConfigError, DataError
from wordbridge.text import corpora
from wordbridge.text.config import PrepareConfig
from wordbridge.text.corpora import read_bible, read_gettext, read_help, read_pairs, read_tsv
from wordbridge.text.named_corpora import DEFAULT_SOURCES, open_corpus, open_sources
from wordbridge.text.pipeline import format_stats, prepare
from wordbridge.text.prepared import PreparedData
from wordbridge.text.ui_strings import clean_ui, is_placeholder_only


def write_lines(path, lines, encoding="utf-8"):
    path.write_bytes("".join(line + "\n" for line in lines).encode(encoding))
    return path


# ---------------------------------------------------------------- aligned files

def test_read_pairs_yields_french_english_and_keeps_line_text(tmp_path):
    fr = write_lines(tmp_path / "x.fr", ["  Bonjour .", "", "Au revoir"])
    en = write_lines(tmp_path / "x.en", ["  Hello .", "nothing", "Bye\r"])
    assert list(read_pairs(fr, en)) == [("  Bonjour .", "  Hello ."), ("Au revoir", "Bye")]
    assert len(list(read_pairs(fr, en, skip_empty=False))) == 3


def test_read_pairs_reads_gzip(tmp_path):
    fr, en = tmp_path / "x.fr.gz", tmp_path / "x.en.gz"
    fr.write_bytes(gzip.compress("Un\nDeux\n".encode()))
    en.write_bytes(gzip.compress("One\nTwo\n".encode()))
    assert list(read_pairs(fr, en)) == [("Un", "One"), ("Deux", "Two")]


def test_read_pairs_is_streaming(tmp_path):
    # the bad byte on line 3 is only met when the stream gets there: nothing reads the file up front
    fr = tmp_path / "x.fr"
    fr.write_bytes(b"un\ndeux\ntr\xffois\n")
    en = write_lines(tmp_path / "x.en", ["one", "two", "three"])
    pairs = read_pairs(fr, en)
    assert next(pairs) == ("un", "one")
    assert next(pairs) == ("deux", "two")
    with pytest.raises(DataError, match=r"x\.fr:3: invalid UTF-8"):
        next(pairs)


@pytest.mark.parametrize("n_fr, n_en", [(3, 5), (5, 3)])
def test_read_pairs_mismatched_lengths_names_both_files_and_line(tmp_path, n_fr, n_en):
    fr = write_lines(tmp_path / "a.fr", [f"f{i}" for i in range(n_fr)])
    en = write_lines(tmp_path / "a.en", [f"e{i}" for i in range(n_en)])
    with pytest.raises(DataError) as err:
        list(read_pairs(fr, en))
    short = "a.fr" if n_fr < n_en else "a.en"
    msg = str(err.value)
    assert "a.fr" in msg and "a.en" in msg and f"{short} ended after line 3" in msg and "\n" not in msg


def test_read_pairs_missing_and_empty(tmp_path):
    en = write_lines(tmp_path / "a.en", [])
    with pytest.raises(DataError, match="File not found: .*nope.fr"):
        read_pairs(tmp_path / "nope.fr", en)
    fr = write_lines(tmp_path / "a.fr", [])
    with pytest.raises(DataError, match="Empty corpus"):
        list(read_pairs(fr, en))


# ---------------------------------------------------------------- TSV (Tatoeba / Anki fra.txt)

def test_read_tsv_anki_layout(tmp_path):
    path = write_lines(tmp_path / "fra.txt", [
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)",
        "",
        "Hi.\tSalut !",
    ])
    assert list(read_tsv(path)) == [("Va !", "Go."), ("Salut !", "Hi.")]


def test_read_tsv_bad_line_names_file_and_line(tmp_path):
    path = write_lines(tmp_path / "fra.txt", ["Go.\tVa !", "no tab here"])
    with pytest.raises(DataError, match=r"fra\.txt:2: expected English<TAB>French"):
        list(read_tsv(path))


def test_read_tsv_invalid_utf8(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_bytes("Go.\tVa !\n".encode() + "Hi.\tSalut é\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"fra\.txt:2: invalid UTF-8"):
        list(read_tsv(path))


# ---------------------------------------------------------------- gettext

def make_catalog():
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "fr"}
    po.append(polib.POEntry(msgid="~File", msgstr="~Fichier"))
    po.append(polib.POEntry(msgid="_Save As...", msgstr="_Enregistrer sous..."))
    po.append(polib.POEntry(msgid="file_name missing", msgstr="file_name manquant"))
    po.append(polib.POEntry(msgid="%1", msgstr="%1"))  # placeholder only
    po.append(polib.POEntry(msgid="$(ARG1) <b>%PRODUCTNAME</b>", msgstr="$(ARG1) <b>%PRODUCTNAME</b>"))
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy one", msgstr="Flou", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="%d file", msgid_plural="%d files",
                            msgstr_plural={0: "%d fichier", 1: "%d fichiers"}))
    po.append(polib.POEntry(msgid="Open  %1\tnow", msgstr="Ouvrir\u00a0%1 maintenant", msgctxt="ctx"))
    return po


EXPECTED_GETTEXT = [
    ("Fichier", "File"),
    ("Enregistrer sous...", "Save As..."),
    ("file_name manquant", "file_name missing"),
    ("Ouvrir %1 maintenant", "Open %1 now"),
]


@pytest.mark.parametrize("suffix", [".po", ".mo"])
def test_read_gettext_po_and_mo(tmp_path, suffix):
    po = make_catalog()
    path = tmp_path / f"ui{suffix}"
    po.save(str(path)) if suffix == ".po" else po.save_as_mofile(str(path))
    assert sorted(read_gettext(path)) == sorted(EXPECTED_GETTEXT)


def test_read_gettext_folder_and_errors(tmp_path):
    make_catalog().save_as_mofile(str(tmp_path / "a.mo"))
    make_catalog().save(str(tmp_path / "b.po"))
    assert len(list(read_gettext(tmp_path))) == 2 * len(EXPECTED_GETTEXT)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No .po or .mo files"):
        read_gettext(tmp_path / "empty")
    bad = tmp_path / "bad.mo"
    bad.write_bytes(b"not a catalog")
    with pytest.raises(DataError, match="bad.mo: not a valid gettext catalog"):
        list(read_gettext(bad))


def test_clean_ui_and_placeholders():
    assert clean_ui("~Open _Recent  Files") == "Open Recent Files"
    assert is_placeholder_only("%PRODUCTNAME %PRODUCTVERSION")
    assert is_placeholder_only("{0}: ${name}")
    assert not is_placeholder_only("%1 files")


# ---------------------------------------------------------------- Bible database

def make_bible(path, rows=None):
    rows = rows or [
        ("4", 1, 1, 1, "In the beginning God created the heavens."),
        ("4", 1, 1, 2, "God`s Spirit [was] hovering."),
        ("4", 1, 1, 3, "Only in English."),
        ("4", 2, 1, 1, "Exodus first."),
        ("k", 1, 1, 1, "In the beginning God created the heaven."),
        ("l", 2, 1, 1, "Exode premier."),
        ("l", 1, 1, 2, "L'esprit de Dieu se mouvait."),
        ("l", 1, 1, 1, "Au commencement, Dieu créa les cieux."),
    ]
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bible (id INTEGER NOT NULL, bbName TEXT NOT NULL, bNumber INTEGER NOT NULL, "
                 "cNumber INTEGER NOT NULL, vNumber INTEGER NOT NULL, vText TEXT NOT NULL)")
    conn.executemany("INSERT INTO bible VALUES (?, ?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows)])
    conn.commit()
    conn.close()
    return path


def test_read_bible_joins_versions_in_order_and_cleans(tmp_path):
    db = make_bible(tmp_path / "bible.db")
    assert list(read_bible(db)) == [
        ("Au commencement, Dieu créa les cieux.", "In the beginning God created the heavens."),
        ("L'esprit de Dieu se mouvait.", "God's Spirit was hovering."),
        ("Exode premier.", "Exodus first."),
    ]
    assert list(read_bible(db, english="k")) == [
        ("Au commencement, Dieu créa les cieux.", "In the beginning God created the heaven.")]


def test_read_bible_bad_version_and_bad_db(tmp_path):
    db = make_bible(tmp_path / "bible.db")
    with pytest.raises(ConfigError, match=r"Unknown Bible version 'zz'. Valid: 4, k, l"):
        read_bible(db, french="zz")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(DataError, match="junk.db: not a Bible database"):
        read_bible(junk)
    with pytest.raises(DataError, match="File not found"):
        read_bible(tmp_path / "missing.db")


# ---------------------------------------------------------------- LibreOffice help

PAGE = """<html><head><title>t</title></head><body><div id="DisplayArea">
<h1 id="hd_id1" dir="auto">{title}</h1>
<p id="par_id2" class="paragraph">{p2a}<span class="menuitem">{menu}</span>{p2b}</p>
<p id="par_id3">Use <span class="switchinline"><span hidden="true" class="MAC"><span>Command</span></span>
<span hidden="true" id="default_1"><span class="keycode">{ctrl}</span></span></span> + F</p>
<p id="par_id4">{rep1}</p><p id="par_id4">{rep2}</p>
<p id="par_id5">{odd}</p>
<p id="par_id6">print(x)</p>
<p id="other">not a paragraph id</p><p id="par_id7"><img src="x.png"></p>
</div></body></html>"""


def make_help(root):
    fr = dict(title="Barre Rechercher", p2a="La barre ", menu="Rechercher", p2b=" &amp; plus.",
              ctrl="Ctrl", rep1="Premier", rep2="Second", odd="Seul")
    en = dict(title="Find Bar", p2a="The ", menu="Find", p2b=" bar &amp; more.",
              ctrl="Ctrl", rep1="First", rep2="Second one", odd="Alone")
    for lang, text in (("fr", fr), ("en-US", en)):
        (root / lang / "text").mkdir(parents=True)
        (root / lang / "text" / "find.html").write_text(PAGE.format(**text), encoding="utf-8")
    (root / "en-US" / "text" / "only_en.html").write_text(PAGE.format(**en), encoding="utf-8")
    # an id repeated a different number of times in the two languages is not paired
    (root / "fr" / "text" / "find.html").write_text(
        PAGE.format(**fr).replace('<p id="par_id5">Seul</p>', '<p id="par_id5">Seul</p><p id="par_id5">Deux</p>'))
    return root


def test_read_help_pairs_paragraph_ids(tmp_path):
    root = make_help(tmp_path / "help")
    # par_id3 and par_id6 are identical in both languages (skipped), par_id5 is repeated unequally (skipped),
    # par_id7 has no text, only_en.html has no French page
    assert list(read_help(root)) == [
        ("Barre Rechercher", "Find Bar"),
        ("La barre Rechercher & plus.", "The Find bar & more."),
        ("Premier", "First"),
        ("Second", "Second one"),
    ]


def test_read_help_missing_folder(tmp_path):
    (tmp_path / "fr").mkdir()
    with pytest.raises(DataError, match="Help folder not found: .*en-US"):
        read_help(tmp_path)


def test_help_text_reads_every_english_paragraph(tmp_path):
    root = make_help(tmp_path / "help")
    text = list(help_text(root, "en-US"))
    assert text.count("Find Bar") == 2 and "Alone" in text and "Command" not in " ".join(text)


# ---------------------------------------------------------------- named corpora

@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "assets"


def fake_assets(home, help_=True, ui=True):
    (home / "bible").mkdir(parents=True)
    make_bible(home / "bible" / "bible.db")
    if help_:
        make_help(home / "libreoffice-help")
    if ui:
        (home / "libreoffice-ui" / "fr").mkdir(parents=True)
        po = make_catalog()
        po.append(polib.POEntry(msgid="Exodus first.", msgstr="Exode premier."))  # duplicate of a Bible pair
        po.save_as_mofile(str(home / "libreoffice-ui" / "fr" / "sw.mo"))


def test_default_corpus_combines_and_dedups(home):
    fake_assets(home)
    pairs = list(open_corpus("default"))
    assert len(pairs) == len(set(pairs)) == 3 + 4 + 4
    assert len(list(open_corpus("default", dedup_pairs=False))) == 3 + 4 + 5
    assert list(open_corpus("bible", english="k")) == [
        ("Au commencement, Dieu créa les cieux.", "In the beginning God created the heaven.")]


def test_default_corpus_with_only_the_bible_warns_once(home, caplog):
    fake_assets(home, help_=False, ui=False)
    with caplog.at_level(logging.WARNING):
        pairs = list(open_corpus("default"))
    assert len(pairs) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "wordbridge fetch libreoffice-help libreoffice-ui" in warnings[0]


def test_help_corpus_prefers_cached_pairs(home):
    fake_assets(home)
    (home / "libreoffice-help" / corpora.HELP_PAIRS).write_text("Hello\tBonjour\nHello\tBonjour\n", encoding="utf-8")
    assert list(open_corpus("libreoffice-help")) == [("Bonjour", "Hello")]


def test_named_corpus_errors(home, tmp_path):
    with pytest.raises(AssetError, match="wordbridge fetch bible"):
        open_corpus("bible")
    with pytest.raises(ConfigError, match="Unknown corpus 'bibel'. Valid: bible, cldr-names, ddtp, debian-reference, default"):
        open_corpus("bibel")
    fake_assets(home)
    with pytest.raises(ConfigError, match="Unknown option for corpus 'bible' 'lang'. Valid: dedup_pairs"):
        open_corpus("bible", lang="en")
    tsv = write_lines(tmp_path / "fra.txt", ["Go.\tVa !"])
    assert list(open_corpus(str(tsv))) == [("Va !", "Go.")]
    empty = write_lines(tmp_path / "empty.txt", [])
    with pytest.raises(DataError, match="Empty corpus"):
        list(open_corpus(str(empty)))


def test_new_sources_join_default_in_order_and_missing_ones_are_named(home, caplog):
    fake_assets(home)
    (home / "manpages").mkdir()
    (home / "manpages" / "pairs.tsv").write_text("List files.\tLister les fichiers.\nExodus first.\tExode premier.\n",
                                                 encoding="utf-8")
    streams = open_sources()
    assert [name for name, _ in streams] == ["bible", "libreoffice-help", "libreoffice-ui", "manpages"]
    assert list(streams[-1][1]) == [("Lister les fichiers.", "List files."), ("Exode premier.", "Exodus first.")]
    with caplog.at_level(logging.WARNING):
        pairs = list(open_corpus("default"))
    assert ("Lister les fichiers.", "List files.") in pairs and len(pairs) == 3 + 4 + 4 + 1  # Exodus: a duplicate
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING][-1]
    assert "firefox, thunderbird, gimp-help, debian-reference, gettext-apps, freedict, wesnoth," in warning
    assert [name for name, _ in open_sources(["manpages", "bible"])] == ["manpages", "bible"]
    with pytest.raises(ConfigError, match="Unknown source 'bibel'"):
        open_sources(["bibel"])
    assert DEFAULT_SOURCES[:3] == ("bible", "libreoffice-help", "libreoffice-ui") and len(DEFAULT_SOURCES) == 24


def test_default_with_nothing_fetched_names_the_fetch(home):
    with pytest.raises(AssetError, match="none of its sources is fetched; run `wordbridge fetch bible"):
        open_sources()


def test_prepare_counts_caps_and_remembers_each_pairs_source(home, tmp_path):
    fake_assets(home)
    (home / "manpages").mkdir()
    (home / "manpages" / "pairs.tsv").write_text("".join(f"Line {i}.\tLigne {i}.\n" for i in range(30)),
                                                 encoding="utf-8")
    cfg = PrepareConfig(corpus="default", processes=1, src_vectors=None, tgt_vectors=None, max_per_source=20,
                        valid_fraction=0.2, test_fraction=0.2, filters=("dedup", "max_length"))
    stats = prepare(cfg, tmp_path / "out")
    sources = stats["sources"]
    assert list(sources) == ["bible", "libreoffice-help", "libreoffice-ui", "manpages"]
    assert sources["manpages"]["kept"] == 20 and sources["manpages"]["capped"]  # max_per_source
    assert sources["libreoffice-ui"]["removed"]["dedup"] == 1  # the Exodus pair came with the Bible first
    assert sum(s["kept"] for s in sources.values()) == stats["pairs_kept"] == 3 + 4 + 4 + 20
    data = PreparedData.load(tmp_path / "out")
    for split in ("train", "valid", "test"):
        names, (src, _) = data.sources(split), data.raw(split)
        assert len(names) == len(src) == stats["splits"][split]
        assert all(name == "manpages" for name, fr in zip(names, src) if fr.startswith("Ligne"))
        assert sum(s.get(split, 0) for s in sources.values()) == len(names)
    table = format_stats(stats)
    assert "  manpages" in table and "capped" in table
