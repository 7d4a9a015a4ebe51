"""Game text readers on tiny files the tests write: Fish Fillets' Lua dialogs (lua_dialogs), OpenTTD's compiled
.lng (openttd_lng) and FreeCol's .properties (java_properties)."""

import struct

from wordbridge.text.readers import java_properties, lua_dialogs, openttd_lng


class Skips(list):
    def __call__(self, path, why):
        self.append((path.name, why))


def test_lua_dialogs_decode_lua_strings(tmp_path):
    level = tmp_path / "script" / "city"
    level.mkdir(parents=True)
    (level / "dialogs_fr.lua").write_text(
        'dialogId("a1", "font_small", "I\'m \\"cold\\".")\ndialogStr("Je suis gel\\195\\169e.")\n\n'
        "dialogId('a2', 'font_big', [[Where are we?]])\ndialogStr('O\\195\\185 sommes-nous ?')\n"
        'dialogId("a3", "font_big", "Same")\ndialogStr("Same")\n', encoding="utf-8")
    (level / "demo_dialogs_fr.lua").write_text('dialogId("d", "f", "Hello.")\ndialogStr("Salut.")\n', encoding="utf-8")
    assert list(lua_dialogs.read_fillets(tmp_path / "script")) == [
        ("Salut.", "Hello."), ("Je suis gelée.", 'I\'m "cold".'), ("Où sommes-nous ?", "Where are we?")]


def test_lua_dialogs_bad_or_unsafe_scripts_are_skipped(tmp_path):
    (tmp_path / "a_dialogs_fr.lua").write_text('dialogId("x", "f", "Hi."\n', encoding="utf-8")  # syntax error
    (tmp_path / "b_dialogs_fr.lua").write_text('os.remove("/tmp/x")\n', encoding="utf-8")  # no `os` in the sandbox
    (tmp_path / "c_dialogs_fr.lua").write_text('dialogId("x", "f", "Yes.")\ndialogStr("Oui.")\n', encoding="utf-8")
    skips = Skips()
    assert list(lua_dialogs.read_fillets(tmp_path, on_skip=skips)) == [("Oui.", "Yes.")]
    assert [name for name, _ in skips] == ["a_dialogs_fr.lua", "b_dialogs_fr.lua"]


def write_lng(path, tabs: list[list[str]], name: str = "French") -> None:
    counts = [len(t) for t in tabs] + [0] * (openttd_lng.TABS - len(tabs))
    header = b"LANG" + struct.pack("<I", 1) + name.encode().ljust(32, b"\0") + name.encode().ljust(32, b"\0")
    header += b"fr_FR".ljust(16, b"\0") + struct.pack(f"<{openttd_lng.TABS}H", *counts)
    body = b""
    for tab in tabs:
        for text in tab:
            raw = text.encode("utf-8")
            body += (bytes([len(raw)]) if len(raw) < 0xC0 else bytes([0xC0 | len(raw) >> 8, len(raw) & 0xFF])) + raw
    path.write_bytes(header.ljust(openttd_lng.HEADER_SIZE, b"\0") + body + b"\0" * 10)


def test_openttd_lng_pairs_by_tab_and_index(tmp_path):
    long_en, long_fr = "Build a railway station. " * 9, "Construire une gare. " * 12  # over 192 bytes: 2-byte length
    write_lng(tmp_path / "english.lng", [["\ue04bShow hidden", "Cost: \ue014", long_en], ["", "Loan"]], "English")
    write_lng(tmp_path / "french.lng", [["\ue04bMontrer les cachés", "Coût : \ue014", long_fr], ["", "Emprunt"]])
    pairs = list(openttd_lng.read_openttd(tmp_path / "french.lng", tmp_path / "english.lng"))
    assert pairs == [("Montrer les cachés", "Show hidden"), (long_fr.strip(), long_en.strip()), ("Emprunt", "Loan")]


def test_openttd_lng_bad_or_mismatched_files_are_skipped(tmp_path):
    write_lng(tmp_path / "english.lng", [["Loan", "Money"]], "English")
    write_lng(tmp_path / "french.lng", [["Emprunt"]])
    (tmp_path / "broken.lng").write_bytes(b"LANG" + b"\0" * 84 + struct.pack("<H", 50) + b"\0" * 455)
    skips = Skips()
    assert list(openttd_lng.read_openttd(tmp_path / "french.lng", tmp_path / "english.lng", skips)) == []
    assert list(openttd_lng.read_openttd(tmp_path / "broken.lng", tmp_path / "english.lng", skips)) == []
    assert [name for name, _ in skips] == ["french.lng", "broken.lng"] and "truncated" in skips[1][1]


def test_properties_pair_by_key_and_skip_templates(tmp_path):
    (tmp_path / "FreeColMessages.properties").write_text(
        "# comment\nok=OK\nmodel.unit.name=Free colonist\nmodel.goods.name={{plural:%amount%|one=Bell|other=Bells}}\n"
        "tax=The tax rate is now %tax%%.\nonlyEnglish=Hello\n", encoding="utf-8")
    (tmp_path / "FreeColMessages_fr.properties").write_text(
        "ok=Valider\nmodel.unit.name=Colon libre\nmodel.goods.name={{plural:%amount%|one=Cloche|other=Cloches}}\n"
        "tax=Le taux d\\u2019imposition passe \\u00e0 %tax% %.\n", encoding="utf-8")
    (tmp_path / "Orphan_fr.properties").write_text("a=b\n", encoding="utf-8")
    skips = Skips()
    assert sorted(java_properties.read_properties(tmp_path, on_skip=skips)) == [
        ("Colon libre", "Free colonist"), ("Le taux d’imposition passe à %tax% %.", "The tax rate is now %tax%%."),
        ("Valider", "OK")]
    assert [name for name, _ in skips] == ["Orphan_fr.properties"]
