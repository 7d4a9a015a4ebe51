"""Image loading (mode conversion, huge images, bad files) and the eval/train transforms."""

import io

import numpy as np
import pytest
import torch
from PIL import Image, JpegImagePlugin

from wordbridge.devise.backbones import images
from wordbridge.devise.backbones.images import EvalTransform, TrainTransform, load_image, standardize, to_tensor, unstandardize
from wordbridge.errors import DataError


def _save(im: Image.Image, path, **kw):
    im.save(path, **kw)
    return path


def test_modes_convert_to_rgb(tmp_path):
    grey = load_image(_save(Image.new("L", (8, 6), 100), tmp_path / "g.png"))
    assert grey.mode == "RGB" and grey.size == (8, 6) and grey.getpixel((0, 0)) == (100, 100, 100)

    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # fully transparent black -> white background shows
    out = load_image(_save(rgba, tmp_path / "a.png"))
    assert out.getpixel((0, 0)) == (255, 255, 255) and out.getpixel((1, 1)) == (255, 0, 0)

    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    pal.putpixel((0, 0), 0)
    pal.info["transparency"] = 0  # index 0 transparent
    out = load_image(_save(pal, tmp_path / "p.png", transparency=0))
    assert out.getpixel((0, 0)) == (255, 255, 255) and out.getpixel((2, 2)) == (0, 255, 0)

    cmyk = load_image(_save(Image.new("CMYK", (5, 5), (0, 255, 255, 0)), tmp_path / "c.jpg"))
    r, g, b = cmyk.getpixel((2, 2))
    assert cmyk.mode == "RGB" and r > 200 and g < 60 and b < 60  # CMYK (0,1,1,0) is red

    deep = Image.fromarray(np.array([[0, 1000], [30000, 65535]], dtype=np.uint16))
    out = load_image(_save(deep, tmp_path / "d.png"))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (0, 0, 0) and out.getpixel((1, 1)) == (255, 255, 255)

    la = load_image(Image.new("LA", (3, 3), (0, 0)))
    assert la.getpixel((1, 1)) == (255, 255, 255)


def test_sources_bytes_and_arrays(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (10, 7), (1, 2, 3)).save(buf, format="PNG")
    assert load_image(buf.getvalue()).size == (10, 7)
    assert load_image(np.zeros((28, 28), np.uint8)).mode == "RGB"
    with pytest.raises(DataError, match="uint8"):
        load_image(np.zeros((4, 4), np.float32))


def test_large_jpeg_is_drafted_and_downscaled(tmp_path, monkeypatch):
    path = _save(Image.new("RGB", (4000, 3000), (10, 200, 30)), tmp_path / "big.jpg", quality=50)
    calls = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        out = real_draft(self, mode, size)
        calls.append(self.size)  # decoding size after draft
        return out

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    im = load_image(path, max_side=512)
    assert max(im.size) == 512 and im.size == (512, 384)
    assert calls and max(calls[0]) <= 1000  # decoded at 1/4 scale, never 12 Mpx
    calls.clear()
    im = load_image(path, min_side=256)  # what a 224 centre crop needs: decoded at 1/8 (500x375), not resized more
    assert calls[0] == (500, 375) and im.size == (500, 375)


def test_orientation_from_exif(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    path = _save(Image.new("RGB", (40, 20)), tmp_path / "rot.jpg", exif=exif)
    assert load_image(path).size == (20, 40)


def test_decompression_bomb_refused(tmp_path, monkeypatch):
    path = _save(Image.new("L", (100, 100)), tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(DataError, match="too large"):
        load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 7000)  # between 1x and 2x: Pillow only warns; we refuse too
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(DataError, match="too large"):
        load_image(path)
    jpeg = _save(Image.new("RGB", (100, 100)), tmp_path / "big.jpg")
    with pytest.warns(Image.DecompressionBombWarning):  # a JPEG in that range is drafted down instead
        assert load_image(jpeg, max_side=40).size == (40, 40)


def test_bad_files_raise_one_line(tmp_path):
    (tmp_path / "text.jpg").write_text("hello, not an image")
    good = tmp_path / "good.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good)
    data = good.read_bytes()
    (tmp_path / "trunc.jpg").write_bytes(data[: len(data) // 2])
    png = io.BytesIO()
    Image.new("RGB", (64, 64)).save(png, format="PNG")
    (tmp_path / "trunc.png").write_bytes(png.getvalue()[:60])
    cases = {"text.jpg": "not an image", "trunc.jpg": "unreadable", "trunc.png": "unreadable|not an image",
             "missing.png": "no such file", ".": "folder"}
    for name, msg in cases.items():
        with pytest.raises(DataError, match=msg) as err:
            load_image(tmp_path / name)
        assert "\n" not in str(err.value)


def test_eval_transform_shape_and_centre():
    im = Image.new("RGB", (600, 300), (0, 0, 0))
    im.paste((255, 255, 255), (150, 0, 450, 300))  # white centre square, black side bands
    x = EvalTransform(size=224)(im)
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    assert torch.allclose(x, torch.ones_like(x), atol=0.02)  # centre crop saw only white: (1 - 0.5) / 0.5
    assert EvalTransform().key != EvalTransform(size=192).key


def test_train_transform_random_crop_and_flip():
    arr = np.zeros((100, 100, 3), np.uint8)
    arr[:, 50:] = 255  # dark left half, bright right half
    im = Image.fromarray(arr)
    tf = TrainTransform(size=32, scale=(1.0, 1.0), ratio=(1.0, 1.0), seed=0)
    lefts = {round(float(tf(im)[0, :, 0].mean())) for _ in range(30)}
    assert lefts == {-1, 1}  # both orientations happen
    a, b = TrainTransform(size=32, seed=3), TrainTransform(size=32, seed=3)
    assert torch.equal(a(im), b(im)) and a(im).shape == (3, 32, 32)
    box = TrainTransform(scale=(0.1, 0.2), seed=1).crop_box(300, 200)
    area = (box[2] - box[0]) * (box[3] - box[1])
    assert 0.08 * 60000 <= area <= 0.22 * 60000 and box[2] <= 300 and box[3] <= 200


def test_normalize_roundtrip():
    x = to_tensor(Image.new("RGB", (4, 4), (30, 120, 240)))
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    assert torch.allclose(unstandardize(standardize(x, mean, std), mean, std), x, atol=1e-6)


def test_is_image_file():
    assert images.is_image_file("a/B.JPEG") and not images.is_image_file("notes.txt")


class _Repeat(torch.utils.data.Dataset):
    def __init__(self, tf, im):
        self.tf, self.im = tf, im

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return self.tf(self.im)


def test_train_transform_differs_across_workers():
    im = Image.fromarray(np.random.default_rng(1).integers(0, 255, (80, 80, 3), dtype=np.uint8))
    tf = TrainTransform(size=16, seed=0)
    loader = torch.utils.data.DataLoader(_Repeat(tf, im), batch_size=1, num_workers=2,
                                         generator=torch.Generator().manual_seed(0))
    crops = [b[0] for b in loader]  # items 0, 1 come from different workers
    assert not torch.equal(crops[0], crops[1])
