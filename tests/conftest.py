"""Fixtures shared across test modules."""

import argparse
import dataclasses
import importlib.util
import socket
import sys
from pathlib import Path
from typing import Callable, Sequence

import pytest
import torch
from torch import nn

from wordbridge.cli import main as cli_main
from wordbridge.devise.backbones.images import EvalTransform
from wordbridge.devise.model import DeviseHead, RunModel
from wordbridge.text.ragged import save_ragged
from wordbridge.text.tokenize import make_spacy_tokenizers, save_tokenizer_config
from wordbridge.text.vocab import Vocab
from wordbridge.train.checkpoint import save_checkpoint
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.model import Seq2Seq


class PassThrough(nn.Module):
    def forward_features(self, x):
        return x  # (batch, 3, H, W): concat pooling then gives (avg rgb, max rgb)


def _tiny_devise_model(tmp_path) -> RunModel:
    """A hand-wired DeViSE run: identity, then keep the average colour (red -> (1, 0, 0) ...)."""
    head = DeviseHead(6, 3, hidden=6, dropout=0.0)
    with torch.no_grad():
        head.layers[2].weight.copy_(torch.eye(6))
        head.layers[2].bias.zero_()
        head.layers[6].weight.copy_(torch.cat([torch.eye(3), torch.zeros(3, 3)], dim=1))
        head.layers[6].bias.zero_()
    model = RunModel(tmp_path, head, {"fingerprint": "tiny", "vectors": "test"}, {})
    model._backbone = PassThrough()
    model._transform = EvalTransform(size=8)
    return model


@pytest.fixture(scope="session")
def tiny_devise_model():
    """Factory: tiny_devise_model(folder) -> RunModel whose embedding of an image is its mean colour."""
    return _tiny_devise_model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def free_port():
    """free_port() -> a TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    return _free_port


@pytest.fixture(scope="session")
def fakes():
    """tests/fakes.py (FakeTranslator, FakeSearcher, make_gallery): test doubles of the models for the web-app tests.

    Loaded from its file: with --import-mode=importlib no test folder is on sys.path, so tests cannot import it.
    """
    spec = importlib.util.spec_from_file_location("wordbridge_test_fakes", Path(__file__).with_name("fakes.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def benchmarks():
    """benchmarks(*names) -> a Namespace of benchmarks/NAME.py modules, loaded in order under their own names (the
    scripts import each other with `from common import ...`, so benchmarks/ is on sys.path while they load)."""

    def load(*names: str) -> argparse.Namespace:
        sys.path.insert(0, str(BENCHMARKS))
        try:
            for name in names:
                spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
                sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
                spec.loader.exec_module(sys.modules[name])
        finally:
            sys.path.remove(str(BENCHMARKS))
        return argparse.Namespace(**{name: sys.modules[name] for name in names})

    return load


# ------------------------------------------------------------------------------------------ tiny translation run
@dataclasses.dataclass
class TinyRun:
    folder: Path
    src_vocab: Vocab
    tgt_vocab: Vocab
    model: Seq2Seq | None


def _tiny_run(folder: Path, pairs: Sequence[tuple[str, str]], *, tokenizer: str = "split",
              splits: dict[str, Sequence[tuple[str, str]]] | None = None, model: dict | None = None,
              edit_model: Callable[[Seq2Seq], None] | None = None, extra_tgt_tokens: Sequence[str] = (),
              seed: int = 0) -> TinyRun:
    """A tiny folder as `wordbridge prepare` / `wordbridge train` leave it, built in milliseconds.

    pairs: [(fr, en), ...] -> vocab.src.json / vocab.tgt.json (most frequent first, ties in order of appearance;
    extra_tgt_tokens appended) and tokenizer.json (the spaCy description, lowercase, fr -> en).
    tokenizer: "split" (whitespace: the pairs are already tokenised) or "spacy" (the real fr/en tokenizers).
    splits: {"train": [(fr, en), ...], ...} -> also <split>.src / .tgt (ragged ids) and <split>.src.txt / .tgt.txt.
    model: ModelConfig overrides -> also best.pt holding a random-weight Seq2Seq (torch.manual_seed(seed)), which
    edit_model(model) may change before it is saved.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer == "spacy":
        src_tok, tgt_tok = make_spacy_tokenizers("fr", "en", lowercase=True)
        tok_src, tok_tgt = src_tok.tokenize, tgt_tok.tokenize
    else:
        tok_src = tok_tgt = str.split
    src_vocab = Vocab.build(tok_src(fr) for fr, _ in pairs)
    tgt_vocab = Vocab(Vocab.build(tok_tgt(en) for _, en in pairs).itos + list(extra_tgt_tokens))
    src_vocab.save(folder / "vocab.src.json")
    tgt_vocab.save(folder / "vocab.tgt.json")
    save_tokenizer_config(folder, "spacy", True, "fr", "en")
    for split, rows in (splits or {}).items():
        save_ragged(folder / f"{split}.src", [src_vocab.encode(tok_src(fr)) for fr, _ in rows])
        save_ragged(folder / f"{split}.tgt", [tgt_vocab.encode(tok_tgt(en)) for _, en in rows])
        (folder / f"{split}.src.txt").write_text("".join(fr + "\n" for fr, _ in rows), encoding="utf-8")
        (folder / f"{split}.tgt.txt").write_text("".join(en + "\n" for _, en in rows), encoding="utf-8")
    net = None
    if model is not None:
        torch.manual_seed(seed)
        net = Seq2Seq(ModelConfig(**model), len(src_vocab), len(tgt_vocab))
        if edit_model is not None:
            with torch.no_grad():
                edit_model(net)
        save_checkpoint(folder / "best.pt", kind="translate", model=net, model_args=net.model_args(), rng=False)
    return TinyRun(folder, src_vocab, tgt_vocab, net)


@pytest.fixture(scope="session")
def tiny_run():
    """Factory: tiny_run(folder, pairs, tokenizer=, splits=, model=, ...) -> TinyRun(folder, src_vocab, tgt_vocab,
    model): a prepared folder and/or a translation run folder from a few sentence pairs (see _tiny_run)."""
    return _tiny_run


# ------------------------------------------------------------------ end-to-end CLI runs on ten tiny sentence pairs
TINY_FR = ["le chat est noir .", "le chien est blanc .", "qu' est-ce que la lumière ?", "la maison est grande .",
           "je mange une pomme .", "où est la gare ?", "nous aimons la musique .", "elle lit un livre .",
           "le ciel est bleu .", "quelle heure est-il ?"]
TINY_EN = ["the cat is black .", "the dog is white .", "what is light ?", "the house is big .", "i eat an apple .",
           "where is the station ?", "we love music .", "she reads a book .", "the sky is blue .", "what time is it ?"]


@pytest.fixture(scope="session")
def tiny_pairs():
    """Ten short French / English sentence pairs (the end-to-end CLI tests' corpus)."""
    return list(TINY_FR), list(TINY_EN)


@pytest.fixture(scope="session")
def cli_trained_run(tiny_pairs):
    """Factory: in ROOT write the tiny pairs (x4) and a config with the given `model:` / `train:` YAML lines (and
    extra `data:` lines, e.g. "  direction: en-fr\n"), then `wordbridge prepare` (ROOT/prep) and `wordbridge train`
    (ROOT/run) through the CLI; returns (root, config, run)."""

    def make(root: Path, model_yaml: str, train_yaml: str, data_yaml: str = ""):
        fr, en = tiny_pairs
        (root / "fr.txt").write_text("\n".join(fr * 4) + "\n", encoding="utf-8")
        (root / "en.txt").write_text("\n".join(en * 4) + "\n", encoding="utf-8")
        config = root / "tiny.yaml"
        config.write_text(f"data:\n  out: {root / 'prep'}\n  src_vectors: null\n  tgt_vectors: null\n  filters: []\n"
                          "  tokenizer: spacy\n"
                          f"  processes: 1\n{data_yaml}model:\n{model_yaml}train:\n{train_yaml}", encoding="utf-8")
        assert cli_main(["prepare", str(config), "--src", str(root / "fr.txt"), "--tgt", str(root / "en.txt")]) == 0
        run = root / "run"
        assert cli_main(["train", str(config), "--run-dir", str(run)]) == 0
        return root, config, run

    return make
