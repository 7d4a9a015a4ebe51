"""`wordbridge export --format ctranslate2` and the CTranslate2 engine on a tiny Transformer run built here:
float32 outputs equal the torch model's (greedy tokens, heatmaps, loss), and every bad input is one line, exit 2,
with nothing half-written."""

import json
import shutil

import numpy as np
import pytest
import torch

from wordbridge.cli import main
from wordbridge.errors import AssetError, CheckpointError, ConfigError, DataError
from wordbridge.text.batching import Seq2SeqDataset, make_loader
from wordbridge.text.tokenize import save_tokenizer_config
from wordbridge.text.vocab import EOS, SPECIALS, Vocab
from wordbridge.train.checkpoint import save_checkpoint
from wordbridge.train.loop import evaluate_loss
from wordbridge.translate import ct2_export
from wordbridge.translate.config import ModelConfig, TransformerConfig
from wordbridge.translate.ct2_engine import Ct2Engine
from wordbridge.translate.ct2_export import MARKER, export_run
from wordbridge.translate.loss import make_batch_loss
from wordbridge.translate.model import Seq2Seq, Transformer
from wordbridge.translate.translator import Translator, decode_rows

FR = "le chat est noir la maison grande un chien mange une pomme ? .".split()
EN = "the cat is black house big a dog eats an apple what ? .".split()


def build_run(folder, arch="transformer", seed=0, fit=True):
    folder.mkdir(parents=True)
    Vocab(list(SPECIALS) + FR).save(folder / "vocab.src.json")
    Vocab(list(SPECIALS) + EN).save(folder / "vocab.tgt.json")
    save_tokenizer_config(folder, "spacy", True, "fr", "en")
    torch.manual_seed(seed)
    n_src, n_tgt = len(FR) + 4, len(EN) + 4
    if arch == "transformer":
        t = TransformerConfig(d_model=32, heads=4, ff_size=64, enc_layers=2, dec_layers=2, max_positions=64)
        model = Transformer(ModelConfig(arch="transformer", transformer=t), n_src, n_tgt)
        if fit:
            fit_a_little(model)
    else:
        model = Seq2Seq(ModelConfig(emb_size_src=8, emb_size_tgt=8, hidden=8, attention=arch), n_src, n_tgt)
    save_checkpoint(folder / "best.pt", kind="translate", model=model, model_args=model.model_args())
    return folder


def fit_a_little(model, steps=60):
    """A few steps on a toy task (target = source shifted, reversed) so outputs vary in length and content."""
    src = rows(32, seed=7)
    tgt = [np.append((r[:-1][::-1] % len(EN)) + 4, EOS)[: 1 + i % 9] for i, r in enumerate(src)]
    tgt = [np.append(t[:-1], EOS) if t[-1] != EOS and len(t) > 1 else np.append(t, EOS) for t in tgt]
    pad = torch.nn.utils.rnn.pad_sequence
    s = pad([torch.as_tensor(r, dtype=torch.long) for r in src], batch_first=True, padding_value=1)
    y = pad([torch.as_tensor(r, dtype=torch.long) for r in tgt], batch_first=True, padding_value=1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is ~10x faster on a loaded machine
    try:
        for _ in range(steps):
            loss = torch.nn.functional.cross_entropy(model(s, None, y), y[y != 1])
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()


def rows(n=40, seed=1):
    gen = np.random.default_rng(seed)
    return [np.append(gen.integers(4, len(FR) + 4, gen.integers(1, 12)), EOS).astype(np.int32) for _ in range(n)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return build_run(tmp_path_factory.mktemp("ct2") / "run")


@pytest.fixture(scope="module")
def export32(run):
    return export_run(run, run.parent / "f32", quantization="float32")


def test_float32_export_decodes_exactly_as_torch(run, export32):
    tr = Translator.load(run, device="cpu")
    ct = Ct2Engine.load(export32)
    src = rows()
    want = decode_rows(tr.model, src)
    got = ct.decode(src)
    assert [h.tokens for h in got] == [h.tokens for h in want]  # every greedy output identical
    assert any(len(h.tokens) > 3 for h in want) and any(len(h.tokens) < 10 for h in want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.attention, w.attention, atol=1e-4)  # last layer, mean over heads
    beam = ct.decode(src, beam=3)
    assert len(beam) == len(src) and all(EOS not in h.tokens for h in beam)
    tgt = [np.append(np.asarray(h.tokens, dtype=np.int32), EOS) for h in want]
    torch_loss = evaluate_loss(tr.model, make_batch_loss(None), make_loader(Seq2SeqDataset(src, tgt), 8, train=False),
                               torch.device("cpu"))["loss"]
    assert ct.loss(src, tgt) == pytest.approx(torch_loss, rel=1e-4)


def test_export_folder_serves_on_its_own_with_the_same_text(run, export32):
    text = ["Le chat est noir ?", "", "un chien mange une pomme ."]
    torch_out = Translator.load(run, device="cpu").translate(text, attention=True)
    ct2 = Translator.load(export32)
    assert ct2.model is None
    ct2_out = ct2.translate(text, attention=True)
    assert [t.text for t in ct2_out] == [t.text for t in torch_out]
    assert [t.tokens for t in ct2_out] == [t.tokens for t in torch_out]
    np.testing.assert_allclose(ct2_out[0].attention, torch_out[0].attention, atol=1e-4)
    marker = json.loads((export32 / MARKER).read_text())
    assert marker["quantization"] == "float32" and marker["step"] == 0
    assert {"vocab.src.json", "vocab.tgt.json", "tokenizer.json", "model.bin"} <= {p.name for p in export32.iterdir()}


def test_int8_is_smaller_and_runs(run, tmp_path):
    out = export_run(run, tmp_path / "i8", quantization="int8")
    f32 = export_run(run, tmp_path / "f32", quantization="float32")
    assert (out / "model.bin").stat().st_size < 0.6 * (f32 / "model.bin").stat().st_size
    hyps = Ct2Engine.load(out).decode(rows(5))
    assert len(hyps) == 5 and all(h.attention.shape[0] == len(h.tokens) for h in hyps)


def test_cli_export_translate_and_evaluate_with_the_engine_flag(run, tmp_path, capsys):
    copy = shutil.copytree(run, tmp_path / "run")
    assert main(["export", str(copy), "--quantization", "float32"]) == 0
    assert (copy / "ctranslate2" / MARKER).is_file() and "written to" in capsys.readouterr().out
    # greedy: the engines' beam searches rank ties on this untrained model differently
    assert main(["translate", str(copy), "le chat est noir .", "--engine", "ctranslate2", "--beam", "1"]) == 0
    via_ct2 = capsys.readouterr().out
    assert main(["translate", str(copy), "le chat est noir .", "--beam", "1"]) == 0  # a run folder: torch
    assert capsys.readouterr().out == via_ct2
    assert main(["translate", str(copy / "ctranslate2"), "le chat", "--engine", "torch"]) == 2
    assert "CTranslate2 export" in capsys.readouterr().err
    assert main(["export", str(copy), "--quantization", "float32"]) == 2  # exists: --overwrite needed
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", str(copy), "--quantization", "int8", "--overwrite"]) == 0
    assert json.loads((copy / "ctranslate2" / MARKER).read_text())["quantization"] == "int8"


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_gru_runs_are_refused_in_one_line_pointing_to_int8(tmp_path, capsys, attention):
    gru = build_run(tmp_path / "gru", arch=attention)
    assert main(["export", str(gru), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no RNN decoder" in err and "--int8" in err
    assert not (tmp_path / "out").exists()


def test_a_failed_export_leaves_nothing(run, tmp_path, monkeypatch):
    from wordbridge.translate import ct2_spec

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ct2_spec, "convert", boom)
    with pytest.raises(KeyboardInterrupt):
        export_run(run, tmp_path / "out", quantization="float32")
    assert list(tmp_path.iterdir()) == []


def test_missing_ctranslate2_package_is_one_line(run, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ct2_export.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(AssetError, match="pip install"):
        export_run(run, tmp_path / "out")
    assert main(["export", str(run), "--out", str(tmp_path / "out")]) == 2
    assert "ctranslate2" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_broken_or_foreign_export_folders_are_refused(run, export32, tmp_path):
    def copy(name):
        return shutil.copytree(export32, tmp_path / name)

    half = copy("half")
    (half / "target_vocabulary.json").unlink()
    with pytest.raises(CheckpointError, match="incomplete export"):
        Translator.load(half)
    foreign = copy("foreign")
    (foreign / MARKER).unlink()  # a CTranslate2 model wordbridge did not write
    with pytest.raises(CheckpointError, match="did not export"):
        Translator.load(foreign)
    swapped = copy("swapped")
    other = export_run(build_run(tmp_path / "other", seed=5, fit=False), tmp_path / "other_export",
                       quantization="float32")
    shutil.copy(other / "model.bin", swapped / "model.bin")
    with pytest.raises(CheckpointError, match="another model"):
        Translator.load(swapped)
    renamed = copy("renamed")
    vocab = json.loads((renamed / "source_vocabulary.json").read_text())
    (renamed / "source_vocabulary.json").write_text(json.dumps(vocab[::-1]))
    with pytest.raises(CheckpointError, match="another run"):
        Ct2Engine.load(renamed)
    with pytest.raises(DataError, match="no CTranslate2 export"):
        Translator.load(build_run(tmp_path / "plain", fit=False), engine="ctranslate2")


def test_bad_settings_are_refused(run, tmp_path):
    with pytest.raises(ConfigError, match="quantization"):
        export_run(run, tmp_path / "out", quantization="int4")
    with pytest.raises(DataError, match="does not exist"):
        export_run(tmp_path / "nothing")
    bad = shutil.copytree(run, tmp_path / "badvocab")
    Vocab(list(SPECIALS) + FR[:-1]).save(bad / "vocab.src.json")
    with pytest.raises(CheckpointError, match="must match"):
        export_run(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
