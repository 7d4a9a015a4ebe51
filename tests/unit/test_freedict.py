"""FreeDict dictd files: a tiny generated .index + .dict.dz pair."""

import gzip

import pytest

from wordbridge.errors import DataError
from wordbridge.text import freedict

DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n: int) -> str:
    out = ""
    while True:
        out = DIGITS[n % 64] + out
        n //= 64
        if n == 0:
            return out


def write_dict(folder, name, entries):
    body, index = b"", ["00databaseshort\tA\tB"]
    for head, text in entries:
        raw = text.encode("utf-8")
        index.append(f"{head}\t{b64(len(body))}\t{b64(len(raw))}")
        body += raw
    (folder / f"freedict-{name}.index").write_text("\n".join(index) + "\n", encoding="utf-8")
    (folder / f"freedict-{name}.dict.dz").write_bytes(gzip.compress(body))


def test_numbers_and_synonyms():
    assert freedict.b64_number("BgXs") == 394732 and freedict.b64_number(b64(12345)) == 12345
    assert freedict.split_synonyms("wax, polish (a floor, car)") == ["wax", "polish (a floor, car)"]
    senses = freedict.entry_senses("cher /ʃɛʀ/ <adj>\n1. dear, expensive\n2. darling\n")
    assert senses == ["dear, expensive", "darling"]


def test_both_directions_give_french_english_pairs(tmp_path):
    write_dict(tmp_path, "fra-eng", [("chat", "chat /ʃa/ <n, masc>\ncat, tomcat\n"),
                                     ("cirer", "cirer /siʀe/ <v>\n1. wax, polish\n2. shine\n")])
    write_dict(tmp_path, "eng-fra", [("boat", "boat /bout/\nbateau, navire\n")])
    assert list(freedict.read_freedict(tmp_path)) == [
        ("bateau", "boat"), ("navire", "boat"),
        ("chat", "cat"), ("chat", "tomcat"), ("cirer", "wax"), ("cirer", "polish"), ("cirer", "shine")]


def test_corrupt_dictionary_is_a_one_line_error(tmp_path):
    write_dict(tmp_path, "fra-eng", [("chat", "chat\ncat\n")])
    (tmp_path / "freedict-fra-eng.dict.dz").write_bytes(b"not gzip")
    with pytest.raises(DataError, match="not a readable dictd"):
        list(freedict.read_freedict(tmp_path))
