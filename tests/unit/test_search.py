"""Each search mode on a tiny gallery with a hand-built model whose answers are known.

The 'backbone' passes the normalised image through, so concat pooling gives (avg r, g, b, max r, g, b); the head
maps that to a 3-d 'word space' where red = (1, 0, 0), green = (0, 1, 0), blue = (0, 0, 1).
"""

import io
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from wordbridge.devise.index.gallery import index_folder
from wordbridge.devise.labels.word_vectors import VectorLookup, build_labels
from wordbridge.devise.search import Searcher, closest_words
from wordbridge.devise.index.gallery import Gallery
from wordbridge.errors import DataError

COLORS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "purple": (255, 0, 255)}
WORDS = ["red", "green", "blue", "purple", "colour", "void"]
# "void" makes the mean vector zero, so the lookup's centring leaves the others as they are
VECS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [-3, -2, -3]], np.float32)


@pytest.fixture
def searcher(tmp_path, tiny_devise_model):
    gallery = tmp_path / "gallery"
    for name in ("red", "green", "blue", "purple"):
        (gallery / name).mkdir(parents=True)
        Image.new("RGB", (10, 10), COLORS[name]).save(gallery / name / f"{name}.png")
    model = tiny_devise_model(tmp_path)
    from wordbridge.devise.backbones.images import load_image

    index_folder(gallery, tmp_path / "index", model.fingerprint, model.embed_images, load_image)
    wv = SimpleNamespace(words=WORDS, vectors=VECS)
    synsets = [(f"n0000000{i}", [w]) for i, w in enumerate(WORDS[:5])]
    labels = build_labels(synsets, [(wnid, names[0]) for wnid, names in synsets[:3]], wv)
    return Searcher(model, Gallery.load(tmp_path / "index", "tiny"), VectorLookup(wv), labels)


def paths(hits):
    return [h.path for h in hits]


def test_text_to_images(searcher):
    hits = searcher.search_text("blue", k=2)
    assert paths(hits)[0] == "blue/blue.png" and hits[0].label == "blue" and hits[0].score == pytest.approx(1, abs=1e-3)
    # two words average their vectors, as the lesson's (engine + boat) / 2: red + blue -> purple
    assert paths(searcher.search_text("red blue", k=1)) == ["purple/purple.png"]


def test_image_to_labels_and_images(searcher):
    buf = io.BytesIO()
    Image.new("RGB", (20, 16), COLORS["green"]).save(buf, format="JPEG")
    result = searcher.search_image(buf.getvalue(), k=3)
    assert result.labels[0].name == "green" and len(result.labels) == 3  # among the 'ImageNet' classes
    assert result.zero_shot[0].name == "green"
    assert result.similar[0].path == "green/green.png"
    purple = searcher.search_image(Image.new("RGB", (9, 9), COLORS["purple"]), k=1)
    assert purple.labels[0].name in ("red", "blue")  # purple is not among the 'ImageNet' classes ...
    assert purple.zero_shot[0].name == "purple"  # ... but it is a WordNet noun: zero-shot


def test_similar_images_excludes_itself(searcher):
    red = next(im["id"] for im in searcher.gallery.images if im["label"] == "red")
    hits = searcher.similar(red, k=2)
    assert red not in [h.id for h in hits] and hits[0].label == "purple"
    assert searcher.image_path(red).name == "red.png" and searcher.image_path(red).is_file()
    with pytest.raises(DataError, match="No image with id 99"):
        searcher.similar(99)


def test_unknown_word_names_closest_words(searcher):
    with pytest.raises(DataError) as err:
        searcher.search_text("bleu boat")
    message = str(err.value)
    assert "'bleu'" in message and "blue" in message and "\n" not in message
    with pytest.raises(DataError, match="Empty text query"):
        searcher.search_text("  ,, ")


def test_closest_words():
    assert closest_words("colur", ["colour", "color", "cooler", "red"])[:2] == ["colour", "color"]


def test_demo_report(searcher):
    pytest.importorskip("skimage")
    from wordbridge.devise.search import demo_report

    text = demo_report(searcher, photos=("coffee",), queries=("red",), k=2)
    assert text.startswith("coffee: ImageNet classes: ") and "WordNet nouns:" in text
    assert "'red' -> red/red.png" in text


def test_empty_gallery_answers_nothing(tmp_path, tiny_devise_model):
    from wordbridge.devise.backbones.images import load_image

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    model = tiny_devise_model(tmp_path)
    counts = index_folder(tmp_path / "empty", tmp_path / "index", model.fingerprint, model.embed_images, load_image,
                          allow_empty=True)
    assert counts["images"] == 0 and counts["skipped"] == 1
    wv = SimpleNamespace(words=WORDS, vectors=VECS)
    searcher = Searcher(model, Gallery.load(tmp_path / "index", "tiny"), VectorLookup(wv), None)
    assert searcher.search_text("red") == [] and searcher.search_image(Image.new("RGB", (8, 8))).similar == []
