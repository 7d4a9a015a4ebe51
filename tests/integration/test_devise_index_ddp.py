"""`devise index` scaled out: 2 gloo processes under torchrun give the index 1 process gives; a SIGKILLed run resumes.

The DeViSE run is a random head over the real EfficientNet-Lite0 (installed package weights) at 64 px; the gallery is
a few generated images. Processes talk over 127.0.0.1 on a free port, as in test_ddp.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image

from wordbridge.devise.index.gallery import Gallery
from wordbridge.devise.model import CHECKPOINT_NAME, KIND, DeviseHead, state_fingerprint
from wordbridge.train.checkpoint import save_checkpoint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    if os.path.exists("/sys/class/net/lo"):
        env["GLOO_SOCKET_IFNAME"] = "lo"
    return env


def _launch(args, nproc):
    if nproc > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc_per_node={nproc}",
                "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *args]
    return [sys.executable, *args]


def _run(args, nproc=1):
    done = subprocess.run(_launch(args, nproc), env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def write_run(run_dir):
    torch.manual_seed(0)
    head = DeviseHead(2 * 1280, out_dim=16, hidden=32).eval()
    extra = {"fingerprint": state_fingerprint(head.state_dict()), "vectors": "en-vectors", "vectors_fingerprint": "x",
             "backbone": "efficientnet_lite0", "backbone_weights": None, "image_size": 64}
    save_checkpoint(run_dir / CHECKPOINT_NAME, kind=KIND, model=head, model_args=head.model_args(), config={},
                    rng=False, extra=extra)


def write_images(folder, names, seed=0):
    rng = np.random.default_rng(seed)
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = (rng.random((24, 32, 3)) * rng.integers(40, 255)).astype(np.uint8)
        Image.fromarray(pixels).save(path)


@pytest.fixture()
def setup(tmp_path):
    run, gallery = tmp_path / "run", tmp_path / "gallery"
    run.mkdir()
    write_run(run)
    write_images(gallery, [f"{d}/img{i}.png" for d in ("cats", "dogs", "ships") for i in range(3)])
    (gallery / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    return run, gallery


def index_args(run, gallery, out):
    return ["-m", "wordbridge", "devise", "index", str(run), str(gallery), "--out", str(out), "--chunk-size", "2",
            "--workers", "0", "--batch-size", "2"]


def assert_same_index(a, b):
    ga, gb = Gallery.load(a), Gallery.load(b)
    assert ga.images == gb.images and ga.skipped == gb.skipped
    np.testing.assert_allclose(ga.embeddings, gb.embeddings, atol=1e-5)
    assert ga.index_info["factory"] == gb.index_info["factory"]
    for row in range(len(ga)):
        assert ga.search(ga.embeddings[row], 3)[1].tolist() == gb.search(gb.embeddings[row], 3)[1].tolist()
    return ga


def test_two_processes_give_the_one_process_index(setup, tmp_path):
    run, gallery = setup
    one, two = tmp_path / "one", tmp_path / "two"
    out1 = _run(index_args(run, gallery, one)).stdout
    out2 = _run(index_args(run, gallery, two), nproc=2).stdout
    assert "images: 9 (new 9" in out1 and "unreadable skipped: 1" in out1 and "index type: flat" in out1
    assert out2.count("images: 9 (new 9") == 1  # only rank 0 reports
    g = assert_same_index(one, two)
    assert g.index_info["kind"] == "flat" and g.index_info["recall_at_10"] == 1.0
    assert not (tmp_path / ".two.parts").exists()  # chunks removed once the index is written

    # incremental under torchrun: one new, one changed, one deleted file
    write_images(gallery, ["ships/new.png", "cats/img0.png"], seed=5)
    (gallery / "dogs" / "img1.png").unlink()
    out1 = _run(index_args(run, gallery, one)).stdout
    out2 = _run(index_args(run, gallery, two), nproc=2).stdout
    assert "images: 9 (new 2, kept 7, removed 2)" in out1 and "images: 9 (new 2, kept 7, removed 2)" in out2
    assert_same_index(one, two)

    done = _run(["-m", "wordbridge", "devise", "index", str(run), str(gallery), "--out", str(tmp_path / "ivf"),
                 "--index-type", "ivf", "--workers", "0"], nproc=2)
    assert "index type: ivf (IVF" in done.stdout


KILLER = textwrap.dedent('''
    import os, signal, sys
    import numpy as np
    from wordbridge.devise.index.gallery import index_folder
    from wordbridge.train import distributed

    gallery, out, log, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    info = distributed.init_from_env("cpu")
    calls = 0

    def embed(paths):  # a stand-in model: each image's mean colour
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        with open(log, "a") as f:
            f.write("\\n".join(str(p) for p in paths) + "\\n")
        from PIL import Image
        vecs = np.stack([np.asarray(Image.open(p).convert("RGB"), np.float32).reshape(-1, 3).mean(0) for p in paths])
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True), list(range(len(paths))), []

    index_folder(gallery, out, "fake-model", embed, info=info, chunk_size=2)
    distributed.cleanup()
''')


def test_killed_run_resumes(tmp_path):
    gallery = tmp_path / "gallery"
    write_images(gallery, [f"img{i:02d}.png" for i in range(10)])
    script, log = tmp_path / "worker.py", tmp_path / "embedded.txt"
    script.write_text(KILLER)
    out = tmp_path / "index"
    killed = subprocess.run(_launch([str(script), str(gallery), str(out), str(log), "3"], 1), env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists() and len(list((tmp_path / ".index.parts").glob("chunk-*.npz"))) == 2
    assert len(log.read_text().split()) == 4  # two chunks of 2 embedded before the kill

    _run([str(script), str(gallery), str(out), str(log), "0"], nproc=2)  # resumed by 2 processes
    embedded = log.read_text().split()
    assert len(embedded) == 10 and len(set(embedded)) == 10  # the 6 images left, each embedded once

    _run([str(script), str(gallery), str(tmp_path / "fresh"), str(tmp_path / "log2"), "0"])
    assert_same_index(out, tmp_path / "fresh")
    assert json.loads((out / "meta.json").read_text())["index"]["kind"] == "flat"
