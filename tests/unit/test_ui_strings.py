"""Accelerator markers and placeholder-only strings of UI catalogs."""

import pytest

from wordbridge.text.ui_strings import clean_pair, clean_ui, is_placeholder_only


@pytest.mark.parametrize("raw, clean", [
    ("~File", "File"), ("_Save", "Save"), ("Sa_ving", "Saving"), ("&Open", "Open"), ("Tool&s", "Tools"),
    ("Tom & Jerry", "Tom & Jerry"), ("file_name_x", "file_name_x"), ("R_ayon :", "Rayon :"), ("a_b c_d", "ab cd"),
    ("  two   spaces ", "two spaces"),
])
def test_accelerators_are_removed_also_mid_word(raw, clean):
    assert clean_ui(raw) == clean


def test_placeholder_only():
    assert is_placeholder_only("%1") and is_placeholder_only("{ $count }") and is_placeholder_only("%s: %d")
    assert not is_placeholder_only("Open %s")


def test_a_pair_keeps_names_written_the_same_on_both_sides():
    assert clean_pair("Enre_gistrer file_name", "Sa_ve file_name") == ("Enregistrer file_name", "Save file_name")
    assert clean_pair("Amérique/Swift_Current", "America/Swift_Current") == ("Amérique/Swift_Current",
                                                                              "America/Swift_Current")
    assert clean_pair("&Fichier", "&File", markers="&") == ("Fichier", "File")
    assert clean_pair("~Fichier", "~Fichier") == ("Fichier", "Fichier")  # ~ is never part of a name
