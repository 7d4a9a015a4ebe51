"""`wordbridge devise train / index / search / evaluate` end to end on tiny generated assets.

The assets are fakes written under a temporary WORDBRIDGE_HOME: Fashion-MNIST IDX files of random 28x28 images,
'en-vectors' and 'glove-6b-50d' folders with a few random word vectors (GloVe's as parquet + .npy), a three-line
WordNet data.noun, and a 'photos' folder of distillation images with a non-image, a truncated JPEG and a
55-megapixel PNG among them. The real EfficientNet-Lite0 weights come from the installed package (run at 64 px).
"""

import gzip
import json
import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from wordbridge.cli import main

WORDS = ["t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle", "boot",
         "red", "blue", "boat", "engine", "cat", "tench", "goldfish"]


def idx_bytes(array: np.ndarray) -> bytes:
    code = 0x08
    return struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def write_fake_assets(home):
    rng = np.random.default_rng(0)
    fm = home / "assets" / "fashion-mnist"
    fm.mkdir(parents=True)
    for split, n in (("train", 60), ("t10k", 30)):
        labels = np.arange(n) % 10
        images = (rng.random((n, 28, 28)) * 60 + labels[:, None, None] * 19).astype(np.uint8)  # brightness ~ class
        (fm / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (fm / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    vec = home / "assets" / "en-vectors"
    vec.mkdir(parents=True)
    (vec / "words.txt").write_text("\n".join(WORDS) + "\n")
    np.save(vec / "vectors.npy", rng.normal(size=(len(WORDS), 16)).astype(np.float32))
    glove = home / "assets" / "glove-6b-50d"
    glove.mkdir(parents=True)
    pq.write_table(pa.table({"index": WORDS}), glove / "glove_6B_index.parquet")
    np.save(glove / "glove_6B_50d_emb.npy", rng.normal(size=(len(WORDS), 8)).astype(np.float32))
    photos = home / "assets" / "photos" / "wall"
    photos.mkdir(parents=True)
    for i in range(3):
        Image.fromarray((rng.random((40, 60, 3)) * 255).astype(np.uint8)).save(photos / f"photo{i}.jpg")
    (photos / "notes.xml").write_text("<not an image/>")
    (photos / "cut.jpg").write_bytes((photos / "photo0.jpg").read_bytes()[:300])  # truncated JPEG
    Image.new("1", (10_000, 5_500)).save(photos / "huge.png")  # 55 MP (1-bit, a few kB on disk)
    (photos.parent / "captions.json").write_text(json.dumps({"wall/photo0.jpg": "a red sky"}))
    wn = home / "assets" / "wordnet" / "dict"
    wn.mkdir(parents=True)
    (wn / "data.noun").write_text(
        "  1 This software and database is being provided\n"
        "01440764 05 n 01 tench 0 000 | freshwater dace-like game fish\n"
        "01443537 05 n 01 goldfish 0 000 | small golden or orange-red freshwater fishes\n"
        "02858304 06 n 02 boat 0 engine_boat 0 000 | a small vessel for travel on water\n")


def write_gallery(folder):
    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        (folder / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (40 + i, 30), colour).save(folder / name / f"{name}{i}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (folder / "readme.txt").write_text("not an image")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    write_fake_assets(home)
    mp = pytest.MonkeyPatch()
    mp.setenv("WORDBRIDGE_HOME", str(home))
    root = tmp_path_factory.mktemp("work")
    config = root / "devise.yaml"
    config.write_text(
        "devise:\n  batch_size: 8\n  lr_find: true\n"
        "  data: {sources: [fashion_mnist], per_class: 4, valid_per_class: 2, image_size: 64}\n"
        "  head: {hidden: 32}\n"
        "  train: {epochs: 2, lr: 0.01, betas: [0.9, 0.99], moms: null, log_every: 1}\n")
    gallery = root / "gallery"
    write_gallery(gallery)
    yield {"home": home, "root": root, "config": config, "gallery": gallery, "run": root / "run"}
    mp.undo()


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_index_search_evaluate(env, capsys, caplog):
    run, gallery = env["run"], env["gallery"]
    code, out, err = run_cli(capsys, "devise", "train", str(env["config"]), "--out", str(run))
    assert code == 0, err
    assert "classes: 10" in out
    for kind in ("not an image", "too large", "unreadable"):  # bad distillation images: one line per kind
        assert sum(r.getMessage().endswith(f"1 file skipped: {kind}") for r in caplog.records) == 1, kind
    summary = json.loads((run / "summary.json").read_text())
    assert summary["distill_views"] == 3 * 8  # three readable photos x 8 views
    assert set(summary["calibration"]["holdout"]) == {"shirt", "pullover"}
    glove_run = env["root"] / "glove-run"  # the GloVe vectors (parquet word list) train as well
    code, out, err = run_cli(capsys, "devise", "train", str(env["config"]), "--out", str(glove_run),
                             "--set", "devise.vectors=glove", "--set", "devise.lr_find=false")
    assert code == 0 and "classes: 10" in out, err
    for name in ("model.pt", "config.yaml", "classes.json", "lr_find.png", "summary.json", "history.json"):
        assert (run / name).is_file(), name
    assert json.loads((run / "classes.json").read_text())["unseen"] == ["ankle boot", "sandal"]
    code, _, err = run_cli(capsys, "devise", "train", str(env["config"]), "--out", str(run))
    assert code == 2 and "--overwrite" in err

    index = env["root"] / "index"
    code, out, err = run_cli(capsys, "devise", "index", str(run), str(gallery), "--out", str(index))
    assert code == 0, err
    assert "images: 4 (new 4" in out and "unreadable skipped: 1" in out and "ignored: 1" in out
    Image.new("RGB", (30, 30), (20, 200, 20)).save(gallery / "green.png")
    code, out, _ = run_cli(capsys, "devise", "index", str(run), str(gallery), "--out", str(index))
    assert "images: 5 (new 1, kept 4" in out  # incremental: only the new file

    code, out, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--text", "engine boat",
                             "-k", "3", "--json")
    assert code == 0, err
    images = json.loads(out)["images"]
    assert len(images) == 3 and images[0]["score"] >= images[1]["score"] >= images[2]["score"]
    assert json.loads(out)["index"]["kind"] == "flat"  # search reports the index that answered

    code, out, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--image",
                             str(gallery / "red" / "red0.png"), "-k", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert len(result["labels"]) == 2 and result["zero_shot"] and result["similar"]
    assert result["method"] == "blend"  # the default
    for method in ("devise", "conse"):
        code, out, err = run_cli(capsys, "devise", "search", str(run), "--image", str(gallery / "red" / "red0.png"),
                                 "-k", "2", "--method", method)
        assert code == 0 and f"(method {method})" in out, err
        assert "similar images" not in out  # no --index: no gallery to search, so no "(none)" section

    code, out, err = run_cli(capsys, "devise", "search", str(run), "--image", str(gallery / "red" / "red0.png"),
                             "--lang", "fr")  # French labels need the e5 space: one line, exit 2
    assert code == 2 and "devise.vectors=e5" in err and len(err.strip().splitlines()) == 1

    code, out, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--similar",
                             str(gallery / "red" / "red0.png"), "-k", "4")
    assert code == 0, err
    assert "red0.png" not in out and out.count(".png") == 4 and out.startswith("index: flat (IDMap2,Flat)")

    code, out, err = run_cli(capsys, "devise", "evaluate", str(run))
    assert code == 0, err
    assert "Fashion-MNIST, held-out classes" in out and "softmax" in out
    for method in ("devise", "conse", "blend"):
        assert f"vectors fasttext, distill 0, distillation images photos x8, method {method}:" in out
    assert "Photo check" in out and "no Tux Paint stamps" in out
    assert (run / "eval.md").is_file()


def test_bad_queries_and_foreign_index(env, capsys, tmp_path):
    run, gallery = env["run"], env["gallery"]
    index = tmp_path / "index"
    assert run_cli(capsys, "devise", "index", str(run), str(gallery), "--out", str(index))[0] == 0
    code, _, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--text", "bote")
    assert code == 2 and "No word vector for 'bote'" in err and "boat" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "devise", "search", str(run), "--text", "boat")
    assert code == 2 and "--index" in err
    code, _, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--text", "boat",
                           "--method", "conse")
    assert code == 2 and "--method" in err and err.count("\n") == 1  # not silently ignored
    # a second run (other seed, backbone fine-tuned for an epoch) is another model: its index is refused
    other = tmp_path / "other"
    code, _, err = run_cli(capsys, "devise", "train", str(env["config"]), "--out", str(other),
                           "--set", "devise.train.seed=7", "--set", "devise.lr_find=false",
                           "--set", "devise.fine_tune.epochs=1")
    assert code == 0, err
    assert (other / "fine_tune" / "latest.pt").is_file()
    from wordbridge.devise.model import RunModel

    tuned = RunModel.load(other)
    assert tuned.extra["backbone_state"] and tuned.fingerprint != RunModel.load(run).fingerprint
    assert "+ft-" in tuned.backbone.weights_id  # features of the tuned backbone are cached apart
    code, _, err = run_cli(capsys, "devise", "search", str(other), "--index", str(index), "--text", "boat")
    assert code == 2 and "another model" in err
    code, _, err = run_cli(capsys, "devise", "index", str(other), str(gallery), "--out", str(index))
    assert code == 2 and "another model" in err


def test_e5_space_trains_and_searches_french_text_directly(env, capsys, fakes):
    from wordbridge.encoder import use_encoder

    run, index = env["root"] / "e5-run", env["root"] / "e5-index"
    with use_encoder(fakes.StubEncoder()):  # the real encoder is tested in test_encoder.py
        code, out, err = run_cli(capsys, "devise", "train", str(env["config"]), "--out", str(run), "--set",
                                 "devise.vectors=e5", "--set", "devise.lr_find=false", "--set",
                                 "devise.gallery_conse=0.5")  # the index holds head + 0.5 ConSE vectors
        assert code == 0 and "classes: 10" in out, err
        code, out, err = run_cli(capsys, "devise", "index", str(run), str(env["gallery"]), "--out", str(index))
        assert code == 0, err
        assert json.loads((index / "meta.json").read_text())["model_fingerprint"].endswith("+conse0.5")
        code, out, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--text",
                                 "un bateau rouge", "-k", "2", "--json")
        assert code == 0 and len(json.loads(out)["images"]) == 2, err
        code, out, err = run_cli(capsys, "devise", "search", str(run), "--index", str(index), "--text", "x" * 5000)
        assert code == 2 and "at most" in err and len(err.strip().splitlines()) == 1
