"""The app and `wordbridge serve` over the project's real Translator, on a tiny untrained run folder built here
(vocabularies, spaCy tokenizer description, a Seq2Seq checkpoint): shapes, batching and the CLI start-up."""

import os
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from wordbridge.serve.app import create_app
from wordbridge.translate.translator import Translator

FR = ["le chat est noir .", "la maison est grande .", "un chien mange une pomme ."]
EN = ["the cat is black .", "the house is big .", "a dog eats an apple ."]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_run):
    """A run folder as `wordbridge train` leaves it, with a tiny random-weight model."""
    return tiny_run(tmp_path_factory.mktemp("run") / "tiny", list(zip(FR, EN)),
                    model={"emb_size_src": 16, "emb_size_tgt": 16, "hidden": 16, "layers": 1}).folder


@pytest.fixture(scope="module")
def client(run_dir):
    translator = Translator.load(run_dir, device="cpu")
    with TestClient(create_app(translator, None)) as c:
        yield c


def test_translate_with_attention_from_a_real_run(client):
    r = client.post("/api/translate", json={"text": FR[0], "attention": True, "beam": 1})
    assert r.status_code == 200
    (t,) = r.json()["translations"]
    assert t["src_tokens"] == FR[0].split()
    known = {tok for s in EN for tok in s.split()} | {tok for s in FR for tok in s.split()}  # _unk_ -> source word
    assert isinstance(t["text"], str) and set(t["tokens"]) <= known
    assert len(t["attention"]) == len(t["tokens"])
    assert all(len(row) == len(t["src_tokens"]) for row in t["attention"])


def test_beam_and_lists_from_a_real_run(client):
    r = client.post("/api/translate", json={"text": FR, "beam": 3})
    assert r.status_code == 200
    out = r.json()["translations"]
    assert len(out) == 3 and all(t["attention"] is None for t in out)
    assert [t["src_tokens"] for t in out] == [s.split() for s in FR]


def test_wordbridge_serve_starts_and_answers(run_dir, tmp_path, free_port):
    """The real command: loads the run, binds 127.0.0.1, answers /health and /api/translate, stops on SIGTERM."""
    import httpx

    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "wordbridge", "serve", "--run", str(run_dir), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        assert httpx.get(url + "/health").json()["translator"] is True
        r = httpx.post(url + "/api/translate", json={"text": FR[1], "attention": True}, timeout=30)
        assert r.status_code == 200 and r.json()["translations"][0]["src_tokens"] == FR[1].split()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
