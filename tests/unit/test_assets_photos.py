"""The `photos` asset step on a tiny unpacked tree: one file per wallpaper, captions, and bad files skipped and
counted by kind."""

import json

import numpy as np
from PIL import Image

from wordbridge.assets.photos import caption_from_name, gather_photos


def photo(path, size=(64, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.random.default_rng(0).random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_gather_keeps_one_file_per_wallpaper_and_counts_bad_files(tmp_path):
    mate = tmp_path / "mate" / "usr/share/backgrounds/mate/nature"
    photo(mate / "LadyBird.jpg")
    photo(mate / "LadyBird_3840x2160.jpg")  # another resolution of the same wallpaper
    (mate / "notes.xml").write_text("<background/>")
    (mate / "Broken.jpg").write_bytes(photo(tmp_path / "x.jpg").read_bytes()[:200])  # truncated JPEG
    Image.new("1", (10_000, 5_100)).save(mate / "Poster.png")  # 51 MP
    plasma = tmp_path / "plasma" / "usr/share/wallpapers/Kite"
    photo(plasma / "contents/images/800x600.jpg", (80, 60))
    photo(plasma / "contents/images/1920x1080.jpg", (96, 54))  # the largest landscape size is kept
    (plasma / "metadata.json").write_text(json.dumps({"KPlugin": {"Name": "Kite Flying"}}))
    out = tmp_path / "out"
    out.mkdir()
    counts = gather_photos({"mate": tmp_path / "mate", "plasma": tmp_path / "plasma"}, out)
    assert counts == {"kept": 2, "not an image": 1, "too large": 1, "truncated or unreadable": 1}
    captions = json.loads((out / "captions.json").read_text())
    assert captions == {"mate/LadyBird.jpg": "lady bird", "plasma/Kite.jpg": "kite flying"}
    assert Image.open(out / "plasma/Kite.jpg").size == (96, 54)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gather_photos({"mate": tmp_path / "nothing"}, empty)["kept"] == 0


def test_caption_from_name():
    assert caption_from_name("GreenMeadow") == "green meadow"
    assert caption_from_name("Infinite-Sea_by_Aury88") == "infinite sea"
    assert caption_from_name("adwaita-l") == "adwaita"
