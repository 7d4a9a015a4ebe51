"""Feature cache: pooled features + logits per readable image, skipped files counted, on-disk cache keyed right."""

import io
import os

import numpy as np
import pytest
import torch
from PIL import Image

from wordbridge.devise.backbones import features as feat_mod
from wordbridge.devise.backbones.base import build_backbone
from wordbridge.devise.backbones.features import cached_features, compute_features, concat_pool
from wordbridge.devise.backbones.images import EvalTransform, load_image
from wordbridge.errors import ConfigError

SMALL = EvalTransform(size=64)  # tiny inputs keep the tests fast; the maths is the same at 224


@pytest.fixture(scope="module")
def backbone():
    torch.manual_seed(0)
    return build_backbone("efficientnet_lite0").eval()


@pytest.fixture
def gallery(tmp_path):
    rng = np.random.default_rng(0)
    good = []
    for i in range(3):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (40 + i, 50, 3), dtype=np.uint8)).save(path)
        good.append(path)
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "trunc.png").write_bytes(good[0].read_bytes()[:80])
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (200, 10, 10)).save(buf, format="JPEG")
    items = [good[0], tmp_path / "text.jpg", buf.getvalue(), tmp_path / "trunc.png", good[1],
             tmp_path / "missing.png", np.full((28, 28), 128, np.uint8), good[2]]
    return items


def test_concat_pool_avg_then_max():
    fmap = torch.arange(8.0).view(1, 2, 2, 2)  # channel 0: 0..3, channel 1: 4..7
    assert concat_pool(fmap).tolist() == [[1.5, 5.5, 3.0, 7.0]]


def test_compute_skips_and_counts_bad_files(backbone, gallery):
    feats = compute_features(backbone, gallery, SMALL, batch_size=3, progress=False)
    assert feats.kept.tolist() == [0, 2, 4, 6, 7]
    assert [i for i, _ in feats.skipped] == [1, 3, 5] and feats.n_skipped == 3
    assert feats.pooled.shape == (5, 2560) and feats.pooled.dtype == np.float32
    assert feats.logits.shape == (5, 1000)
    # same numbers as running the plain (unfused) backbone on one image
    x = SMALL(load_image(gallery[4]))[None]
    with torch.inference_mode():
        fmap = backbone.forward_features(x)
        ref_pool, ref_logits = concat_pool(fmap)[0].numpy(), backbone.classify_features(fmap)[0].numpy()
    np.testing.assert_allclose(feats.pooled[2], ref_pool, atol=1e-3)
    np.testing.assert_allclose(feats.logits[2], ref_logits, atol=1e-3)


def test_all_bad_and_empty(backbone, tmp_path):
    (tmp_path / "a.jpg").write_text("x")
    feats = compute_features(backbone, [tmp_path / "a.jpg"], SMALL, progress=False)
    assert len(feats) == 0 and feats.pooled.shape == (0, 2560) and feats.n_skipped == 1
    assert len(compute_features(backbone, [], SMALL, progress=False)) == 0


def test_no_classifier_gives_no_logits(tmp_path):
    resnet = build_backbone("resnet50", with_classifier=False).eval()
    feats = compute_features(resnet, [np.zeros((32, 32, 3), np.uint8)], EvalTransform(size=32), progress=False)
    assert feats.logits is None and feats.pooled.shape == (1, 4096)


def test_cache_hit_and_keys(backbone, gallery, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = cached_features(backbone, gallery, SMALL, cache_dir=cache, progress=False)
    entries = [p for p in cache.iterdir()]
    assert len(entries) == 1 and not entries[0].name.startswith(".")
    assert {p.name for p in entries[0].iterdir()} == {"pooled.npy", "logits.npy", "kept.npy", "skipped.json",
                                                       "meta.json"}

    def boom(*a, **k):
        raise AssertionError("should have been a cache hit")

    monkeypatch.setattr(feat_mod, "compute_features", boom)
    again = cached_features(backbone, gallery, SMALL, cache_dir=cache, progress=False)
    np.testing.assert_array_equal(again.pooled, first.pooled)
    assert again.kept.tolist() == first.kept.tolist() and again.skipped == first.skipped
    monkeypatch.undo()

    key = feat_mod.cache_key
    base = key(backbone, gallery, SMALL, True)
    assert key(backbone, gallery, EvalTransform(size=96), True) != base
    assert key(backbone, gallery[:-1], SMALL, True) != base
    assert key(backbone, gallery, SMALL, False) != base
    other = build_backbone("efficientnet_lite0")
    other.weights_id = "efficientnet_lite0:abc"
    assert key(other, gallery, SMALL, True) != base
    st = os.stat(gallery[0])
    os.utime(gallery[0], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a file changed on disk
    assert key(backbone, gallery, SMALL, True) != base


def test_bf16_precision_close_to_fp32(backbone, gallery):
    good = [gallery[0], gallery[4], gallery[7]]
    ref = compute_features(backbone, good, SMALL, progress=False)
    half = compute_features(backbone, good, SMALL, progress=False, precision="bf16")
    assert half.pooled.dtype == np.float32 and half.logits.dtype == np.float32
    cos = (ref.pooled * half.pooled).sum(1) / np.linalg.norm(ref.pooled, axis=1) / np.linalg.norm(half.pooled, axis=1)
    assert cos.min() > 0.98
    assert backbone.for_inference() is backbone.for_inference()  # cached per dtype
    assert backbone.for_inference(torch.bfloat16) is not backbone.for_inference()
    key = feat_mod.cache_key
    assert key(backbone, good, SMALL, True, "bf16") != key(backbone, good, SMALL, True)
    with pytest.raises(ConfigError, match="Valid: bf16, fp32"):
        compute_features(backbone, good, SMALL, precision="fp16")
