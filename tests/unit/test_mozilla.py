"""Mozilla strings: tiny generated langpack (.xpi) and omni.ja archives, paired by file and message id."""

import logging
import zipfile

import pytest

from wordbridge.text import mozilla
from wordbridge.text.skips import SkipCounter

FR_FTL = """\
-brand = Firefox
save-button = &Enregistrer
    .tooltiptext = Enregistrer la page
    .accesskey = E
tabs-count = { $count ->
    [one] Un onglet
   *[other] { $count } onglets
}
open-file = Ouvrir { $name }
untranslated = Same text
"""
EN_FTL = """\
-brand = Firefox
save-button = &Save
    .tooltiptext = Save the page
    .accesskey = S
tabs-count = { $count ->
    [one] One tab
   *[other] { $count } tabs
}
open-file = Open { $name }
untranslated = Same text
"""


def make_archives(tmp_path):
    xpi, omni = tmp_path / "langpack-fr@test.xpi", tmp_path / "omni.ja"
    with zipfile.ZipFile(xpi, "w") as zf:
        zf.writestr("localization/fr/browser/menu.ftl", FR_FTL)
        zf.writestr("chrome/fr/locale/fr/global/dialog.properties",
                    "button.close=Fermer la fenêtre\nwarning=Voulez-vous &lt;vraiment&gt; quitter ?\n")
        zf.writestr("chrome/fr/locale/fr/mail/mail.dtd", '<!ENTITY reply.label "Répondre à l\'expéditeur">\n')
        zf.writestr("manifest.json", "{}")
    with zipfile.ZipFile(omni, "w") as zf:
        zf.writestr("localization/en-US/browser/menu.ftl", EN_FTL)
        zf.writestr("chrome/en-US/locale/en-US/global/dialog.properties",
                    "button.close=Close the window\nwarning=Do you &lt;really&gt; want to quit?\n")
        zf.writestr("chrome/en-US/locale/en-US/mail/mail.dtd", '<!ENTITY reply.label "Reply to Sender">\n')
        zf.writestr("chrome/en-US/locale/en-US/only-english.properties", "x=Only here\n")
    return xpi, omni


def test_locale_key_is_the_path_below_the_last_locale_folder():
    assert mozilla.locale_key("chrome/fr/locale/fr/global/x.properties", "fr") == "global/x.properties"
    assert mozilla.locale_key("localization/en-US/browser/a.ftl", "en-US") == "browser/a.ftl"
    assert mozilla.locale_key("chrome/fr/locale/fr/icon.png", "fr") is None
    assert mozilla.locale_key("manifest.json", "fr") is None


def test_langpack_and_omni_ja_pair_by_file_and_message_id(tmp_path):
    xpi, omni = make_archives(tmp_path)
    root = tmp_path / "firefox"
    assert mozilla.extract_locale(xpi, "fr", root / "fr") == 3
    assert mozilla.extract_locale(omni, "en-US", root / "en-US") == 4
    pairs = set(mozilla.read_mozilla(root))
    assert pairs == {
        ("Enregistrer", "Save"),  # & accelerator removed
        ("Enregistrer la page", "Save the page"),  # attribute paired as id.attribute; .accesskey skipped
        ("Ouvrir { $name }", "Open { $name }"),  # placeholders stay; plural (select) message skipped
        ("Fermer la fenêtre", "Close the window"),
        ("Voulez-vous <vraiment> quitter ?", "Do you <really> want to quit?"),  # entities decoded
        ("Répondre à l'expéditeur", "Reply to Sender"),
    }


def test_a_corrupt_archive_is_one_warning_and_counted(tmp_path, caplog):
    bad = tmp_path / "omni.ja"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    counter = SkipCounter()
    with caplog.at_level(logging.WARNING):
        assert mozilla.extract_locale(bad, "en-US", tmp_path / "out", counter.for_source("firefox")) == 0
    assert counter.counts == {"firefox": 1}
    assert [r.getMessage() for r in caplog.records if "omni.ja" in r.getMessage()][0].startswith("warning: skipped")


def test_a_file_with_broken_encoding_is_skipped_and_the_rest_goes_on(tmp_path):
    xpi, omni = make_archives(tmp_path)
    root = tmp_path / "app"
    mozilla.extract_locale(xpi, "fr", root / "fr")
    mozilla.extract_locale(omni, "en-US", root / "en-US")
    (root / "fr" / "browser" / "menu.ftl").write_bytes(b"save-button = \xff\xfe Enregistrer\n")
    counter = SkipCounter()
    pairs = set(mozilla.read_mozilla(root, on_skip=counter.for_source("app")))
    assert counter.counts["app"] == 1
    assert ("Fermer la fenêtre", "Close the window") in pairs and not any(en == "Save" for _, en in pairs)


def test_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(Exception, match="not found"):
        list(mozilla.read_mozilla(tmp_path))
