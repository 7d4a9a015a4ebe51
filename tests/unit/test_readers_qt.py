"""Qt .qm catalogs and .rcc resource files (text/readers/qt_qm.py, qt_rcc.py) on tiny files the tests write."""

import json
import struct
import zlib

from wordbridge.text.readers import qt_qm, qt_rcc


class Skips(list):
    def __call__(self, path, why):
        self.append((path.name, why))


def _item(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + struct.pack(">I", len(payload)) + payload


def write_qm(path, messages) -> None:
    """messages: [(english, [translations...])] -> a .qm file as lrelease writes it (context + source + translations)."""
    block = b""
    for english, translations in messages:
        for text in translations:
            block += _item(3, text.encode("utf-16-be"))
        block += _item(7, b"ActivityInfo") + _item(6, english.encode("utf-8")) + b"\x05\x00\x00\x00\x00" + b"\x01"
    hashes = b"\x42" + struct.pack(">I", 8) + b"\x00" * 8
    path.write_bytes(qt_qm.MAGIC + hashes + b"\x69" + struct.pack(">I", len(block)) + block)


def test_qm_pairs_source_with_its_single_translation(tmp_path):
    write_qm(tmp_path / "gcompris_fr.qm", [
        ("Count the apples.", ["Compte les pommes."]),
        ("%n apple(s)", ["%n pomme", "%n pommes"]),  # plural forms: skipped
        ("Click on the cat.<br>Then drag it home.", ["Clique sur le chat.<br>Puis ramène-le à la maison."]),
        ("Same", ["Same"]),
    ])
    pairs = list(qt_qm.read_qm(tmp_path / "gcompris_fr.qm"))
    assert pairs == [("Compte les pommes.", "Count the apples."), ("Clique sur le chat.", "Click on the cat."),
                     ("Puis ramène-le à la maison.", "Then drag it home.")]


def test_qm_bad_files_are_one_skip_line_each(tmp_path):
    (tmp_path / "a.qm").write_bytes(b"not a qm file at all")
    write_qm(tmp_path / "b.qm", [("Hello", ["Bonjour"])])
    data = (tmp_path / "b.qm").read_bytes()
    (tmp_path / "b.qm").write_bytes(data[:-6])  # a block that runs past the end
    skips = Skips()
    assert list(qt_qm.read_qm(tmp_path / "a.qm", skips)) == [] and list(qt_qm.read_qm(tmp_path / "b.qm", skips)) == []
    assert [name for name, _ in skips] == ["a.qm", "b.qm"] and "magic" in skips[0][1]


def write_rcc(path, files: dict[str, bytes], compress: set[str] = frozenset()) -> None:
    """A version-2 .rcc (22-byte nodes) holding `files` ({'dir/sub/name': bytes}) below its root."""
    tree: dict = {}
    for name, data in files.items():
        *dirs, leaf = name.split("/")
        node = tree
        for d in dirs:
            node = node.setdefault(d, {})
        node[leaf] = name
    names, payload, nodes = b"", b"", []

    def name_offset(text: str) -> int:
        nonlocal names
        at = len(names)
        names += struct.pack(">HI", len(text), 0) + text.encode("utf-16-be")
        return at

    queue = [("", tree, 0)]
    nodes.append(None)  # the root, node 0
    while queue:  # breadth first: a directory's children are consecutive nodes
        label, children, index = queue.pop(0)
        first = len(nodes)
        nodes.extend([None] * len(children))
        nodes[index] = struct.pack(">IHII", name_offset(label), 2, len(children), first) + b"\x00" * 8
        for i, (child, value) in enumerate(sorted(children.items())):
            if isinstance(value, dict):
                queue.append((child, value, first + i))
                continue
            data = files[value]
            flags = 0
            if value in compress:
                data, flags = struct.pack(">I", len(data)) + zlib.compress(data), 1
            nodes[first + i] = struct.pack(">IHHHI", name_offset(child), flags, 0, 0, len(payload)) + b"\x00" * 8
            payload += struct.pack(">I", len(data)) + data
    header_size = 20
    tree_bytes = b"".join(nodes)
    path.write_bytes(b"qres" + struct.pack(">IIII", 2, header_size + len(payload) + len(names), header_size,
                                           header_size + len(payload)) + payload + names + tree_bytes)


def test_rcc_lists_files_and_pairs_gcompris_words_by_key(tmp_path):
    folder = "gcompris/src/activities/lang/resource"
    fr = {"voices/apple.ogg": "une pomme", "voices/cat.ogg": "un chat", "voices/x.ogg": "radio"}
    en = {"voices/apple.ogg": "apple", "voices/cat.ogg": "cat", "voices/x.ogg": "radio"}
    write_rcc(tmp_path / "lang.rcc", {f"{folder}/content-fr.json": json.dumps(fr).encode(),
                                      f"{folder}/content-en.json": json.dumps(en).encode(),
                                      f"{folder}/Lang.qml": b"Item {}"}, compress={f"{folder}/content-fr.json"})
    files = qt_rcc.rcc_files((tmp_path / "lang.rcc").read_bytes())
    assert sorted(files) == [f"{folder}/Lang.qml", f"{folder}/content-en.json", f"{folder}/content-fr.json"]
    assert files[f"{folder}/Lang.qml"] == b"Item {}"
    assert sorted(qt_rcc.read_gcompris_words(tmp_path / "lang.rcc")) == [("un chat", "cat"), ("une pomme", "apple")]


def test_rcc_bad_file_is_one_skip_line(tmp_path):
    (tmp_path / "lang.rcc").write_bytes(b"qres" + b"\x00\x00\x00\x02" + b"\xff" * 12)
    (tmp_path / "other.rcc").write_bytes(b"PK\x03\x04 a zip, not an rcc")
    skips = Skips()
    for name in ("lang.rcc", "other.rcc"):
        assert list(qt_rcc.read_gcompris_words(tmp_path / name, on_skip=skips)) == []
    assert [name for name, _ in skips] == ["lang.rcc", "other.rcc"]
