import logging

import numpy as np
import pytest
import torch

from wordbridge.errors import CheckpointError, DataError
from wordbridge.train.checkpoint import save_checkpoint
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.model import Seq2Seq
from wordbridge.translate.translator import Translator
from wordbridge.translate.unk import replace_unk

FR = ["le", "chat", "est", "noir", "?", "la", "lumière"]
EN = ["the", "cat", "is", "black", "?", "what", "light"]


@pytest.fixture()
def run_dir(tmp_path, tiny_run):
    def never_eos(model):
        model.decoder.out.bias[2] = -50.0  # never _eos_: outputs run to the maximum length

    tiny = {"emb_size_src": 8, "emb_size_tgt": 8, "hidden": 8}
    run = tiny_run(tmp_path, [(" ".join(FR), " ".join(EN))], model=tiny, edit_model=never_eos)
    assert run.src_vocab.itos[4:] == FR and run.tgt_vocab.itos[4:] == EN  # ids: specials, then the words in order
    return tmp_path


def test_translate_shapes_empty_lines_and_attention(run_dir):
    tr = Translator.load(run_dir)
    out = tr.translate(["Le chat est noir ?", "", "   "], beam=2, attention=True)
    assert len(out) == 3
    first = out[0]
    assert first.src_tokens == ["le", "chat", "est", "noir", "?"]
    assert isinstance(first.text, str) and len(first.tokens) == 2 * 6 + 10 - 1  # max length, _eos_ excluded
    assert np.asarray(first.attention).shape == (len(first.tokens), len(first.src_tokens))
    assert out[1].text == "" and out[1].tokens == [] and out[2].text == ""
    assert tr.translate([]) == []
    assert tr.translate(["le chat"], attention=False)[0].attention is None


def test_unknown_words_map_to_unk_and_long_input_is_truncated(run_dir, caplog):
    tr = Translator.load(run_dir)
    tokens, ids = tr.encode("le zorglub")
    assert ids.tolist() == [4, 3, 2]  # le, _unk_, _eos_
    tr.max_src_tokens = 5
    with caplog.at_level(logging.INFO):
        out = tr.translate([" ".join(["chat"] * 50)])
    assert len(out[0].src_tokens) == 5
    assert "truncated" in caplog.text
    assert "chat" not in caplog.text  # users' text stays out of the log above DEBUG (the server logs at INFO)


def test_unk_replacement_uses_highest_attention():
    att = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    assert replace_unk(["_unk_", "is"], ["a", "zorglub", "b"], att) == ["zorglub", "is"]
    assert replace_unk(["_unk_"], ["a"], None) == ["_unk_"]


def test_foreign_corrupt_and_missing_checkpoints_are_one_line_errors(run_dir, tmp_path_factory):
    ckpt = run_dir / "best.pt"
    payload = torch.load(ckpt, weights_only=True)
    save_checkpoint(ckpt, kind="devise", model=payload["model"], model_args=payload["model_args"])
    with pytest.raises(CheckpointError, match="devise"):
        Translator.load(run_dir)
    other = Seq2Seq(ModelConfig(emb_size_src=8, emb_size_tgt=8, hidden=8), 99, len(EN) + 4)
    save_checkpoint(ckpt, kind="translate", model=other, model_args=other.model_args())
    with pytest.raises(CheckpointError):
        Translator.load(run_dir)
    ckpt.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError) as err:
        Translator.load(run_dir)
    assert "\n" not in str(err.value)
    ckpt.unlink()
    with pytest.raises(CheckpointError):
        Translator.load(run_dir)
    with pytest.raises(DataError):
        Translator.load(tmp_path_factory.mktemp("x") / "missing")
