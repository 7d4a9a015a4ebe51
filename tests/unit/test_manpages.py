"""Man pages: roff rendered by groff, paragraphs paired by position inside sections, French credits cut."""

import gzip
import shutil

import pytest

from wordbridge.text import manpages
from wordbridge.text.skips import SkipCounter

EN = r""".TH LS 1 2023 "Linux man-pages 6.03"
.SH NAME
ls \- list directory contents
.SH DESCRIPTION
List information about the
.B files
(the current directory by default).
.PP
Sort entries alphabetically.
.TP
.B \-a
do not ignore entries starting with .
"""
FR = r""".TH LS 1 2023 "Pages du manuel de Linux 6.03"
.SH NOM
ls \- afficher le contenu de répertoires
.SH DESCRIPTION
Afficher des renseignements sur les \fBfichiers\fP (du répertoire actuel par défaut).
.PP
Trier les entrées alphabétiquement.
.TP
.B \-a
ne pas ignorer les entrées commençant par .
.SH TRADUCTION
La traduction française de cette page a été créée par des bénévoles.
"""


def test_sections_pair_paragraph_by_paragraph_and_credits_are_cut():
    fr = ["NOM", "       ls - afficher", "", "DESCRIPTION", "       Un paragraphe.", "", "TRADUCTION", "       Merci."]
    en = ["NAME", "       ls - list", "", "DESCRIPTION", "       A paragraph."]
    assert list(manpages.pair_rendered(fr, en)) == [("ls - afficher", "ls - list"), ("Un paragraphe.", "A paragraph.")]


def test_a_section_with_another_paragraph_count_gives_nothing():
    fr = ["NOM", "       un", "DESCRIPTION", "       a", "       b"]
    en = ["NAME", "       one", "DESCRIPTION", "       a only"]
    assert list(manpages.pair_rendered(fr, en)) == [("un", "one")]


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff renders roff (Debian groff-base)")
def test_roff_pages_render_and_pair(tmp_path):
    for lang, text in (("fr", FR), ("en", EN)):
        (tmp_path / lang / "man1").mkdir(parents=True)
        (tmp_path / lang / "man1" / "ls.1.gz").write_bytes(gzip.compress(text.encode("utf-8")))
        (tmp_path / lang / "man1" / "dir.1.gz").write_bytes(gzip.compress(b".so man1/ls.1\n"))
    (tmp_path / "fr" / "man1" / "bad.1.gz").write_bytes(b"not gzip")
    (tmp_path / "en" / "man1" / "bad.1.gz").write_bytes(gzip.compress(EN.encode("utf-8")))
    counter = SkipCounter()
    pairs = list(manpages.pair_manpages(tmp_path / "fr", tmp_path / "en", on_skip=counter.for_source("manpages")))
    assert counter.counts == {"manpages": 1}  # bad.1.gz; the .so link is not a page and not a failure
    assert ("Afficher des renseignements sur les fichiers (du répertoire actuel par défaut).",
            "List information about the files (the current directory by default).") in pairs
    assert ("Trier les entrées alphabétiquement.", "Sort entries alphabetically.") in pairs
    assert ("-a ne pas ignorer les entrées commençant par .", "-a do not ignore entries starting with .") in pairs
    assert not any("bénévoles" in fr for fr, _ in pairs)
