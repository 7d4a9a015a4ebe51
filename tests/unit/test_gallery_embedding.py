"""Gallery embeddings (`devise.gallery_conse`): the head's unit vector plus w times the classifier's ConSE vector,
renormalised; an index names its embedding, so an index of other embeddings is refused."""

import numpy as np
import pytest
import torch

from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.index.gallery import Gallery, index_folder
from wordbridge.devise.methods import conse_vectors
from wordbridge.devise.model import DeviseHead, RunModel
from wordbridge.errors import CheckpointError, ConfigError

IMAGENET = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0.8, 0]], np.float32)  # 4 'ImageNet classes'


def run_model(tmp_path, w, imagenet=IMAGENET):
    torch.manual_seed(0)
    head = DeviseHead(4, 3, hidden=5, dropout=0.0)
    extra = {"fingerprint": "fp"}
    if imagenet is not None:
        extra["imagenet_vectors"] = torch.from_numpy(imagenet)
    return RunModel(tmp_path, head, extra, {"devise": {"gallery_conse": w, "conse_top": 2}})


def test_head_plus_weighted_conse(tmp_path):
    rng = np.random.default_rng(0)
    pooled, logits = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(6, 4)).astype(np.float32)
    head_only = run_model(tmp_path, 0.0)
    devise = head_only.embed_features(pooled)
    np.testing.assert_allclose(head_only.gallery_vectors(pooled, logits), devise)
    assert head_only.gallery_fingerprint == "fp"

    blended = run_model(tmp_path, 0.5)
    expected = devise + 0.5 * conse_vectors(logits, IMAGENET, 2)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    got = blended.gallery_vectors(pooled, logits)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, devise)  # the classifier's view moved them
    assert blended.gallery_fingerprint == "fp+conse0.5"
    np.testing.assert_allclose(blended.gallery_vectors(pooled, None), devise)  # no classifier: the head's alone


def test_refusals(tmp_path):
    with pytest.raises(CheckpointError, match="retrain"):
        run_model(tmp_path, 0.5, imagenet=None).gallery_vectors(np.zeros((1, 4), np.float32), np.zeros((1, 4)))
    with pytest.raises(ConfigError, match="gallery_conse"):
        DeviseConfig(gallery_conse=-0.1)
    assert DeviseConfig().gallery_conse == 0.0  # the code's default: the head's embeddings, as before


def test_an_index_of_other_embeddings_is_refused(tmp_path, tiny_devise_model):
    from PIL import Image

    from wordbridge.devise.backbones.images import load_image

    (tmp_path / "g").mkdir()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "g" / "red.png")
    model = tiny_devise_model(tmp_path)
    index_folder(tmp_path / "g", tmp_path / "index", model.fingerprint, model.embed_images, load_image)
    model.config = {"devise": {"gallery_conse": 0.5}}  # the same head, gallery embeddings with ConSE
    with pytest.raises(CheckpointError, match="another model"):
        Gallery.load(tmp_path / "index", model.gallery_fingerprint)
