"""The seq2seq model: Encoder + Decoder, built from a ModelConfig and vocabulary sizes alone (checkpoint-friendly).

`forward` is for training only and returns logits at the non-pad target positions; decoding lives in decode.py
(through `encode` / `step`). Also the model family's construction: `build_model` picks Seq2Seq (model.arch: gru)
or the Transformer (transformer.py) and `load_model` rebuilds either from a checkpoint alone.
"""


import dataclasses
from pathlib import Path

import numpy as np
import torch
from torch import nn

from wordbridge.config import from_dict, to_dict
from wordbridge.errors import CheckpointError
from wordbridge.train.checkpoint import load_checkpoint, load_model_state
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.decoder import Decoder
from wordbridge.text.vocab import BOS, PAD
from wordbridge.translate.encoder import Encoded, Encoder
from wordbridge.translate.transformer import Transformer

KIND = "translate"  # checkpoint kind of translation runs


class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig, src_vocab: int, tgt_vocab: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.encoder = Encoder(cfg, src_vocab)
        self.decoder = Decoder(cfg, tgt_vocab, self.encoder.out_size)

    # ---- construction ----------------------------------------------------------------------------------------
    def model_args(self) -> dict:
        """Everything needed to rebuild this model (stored in checkpoints)."""
        return {"config": to_dict(self.cfg), "src_vocab": self.src_vocab, "tgt_vocab": self.tgt_vocab}

    @classmethod
    def from_args(cls, args: dict) -> "Seq2Seq":
        return cls(from_dict(ModelConfig, args["config"], "model"), int(args["src_vocab"]), int(args["tgt_vocab"]))

    def load_embeddings(self, src: np.ndarray | None, tgt: np.ndarray | None) -> None:
        """Initialise embeddings from prepared vectors (vocab, dim); the pad row stays zero.

        Vectors are rescaled to std `emb_std` (vector sets differ: spaCy's French vectors have std ~1.7, the
        lesson's fastText ones 0.29), then multiplied by `emb_scale` (the lesson's x3).
        """
        for emb, mat in ((self.encoder.emb, src), (self.decoder.emb, tgt)):
            if mat is None:
                continue
            if tuple(mat.shape) != tuple(emb.weight.shape):
                raise ValueError(f"embedding matrix {mat.shape} does not match {tuple(emb.weight.shape)}")
            weight = torch.from_numpy(np.asarray(mat, dtype=np.float32))
            if self.cfg.emb_std is not None:
                weight = weight * (self.cfg.emb_std / max(float(weight.std()), 1e-8))
            with torch.no_grad():
                emb.weight.copy_(weight * self.cfg.emb_scale)
                emb.weight[PAD].zero_()

    # ---- running ---------------------------------------------------------------------------------------------
    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> Encoded:
        """src: (batch, src_len) -> Encoded (outputs, mask, decoder initial state, attention keys)."""
        out, hidden = self.encoder(src, src_len)
        mask = src != PAD  # (batch, src_len)
        keys = self.decoder.attn.project_keys(out) if self.cfg.attention == "bahdanau" else None
        return Encoded(out=out, mask=mask, hidden=hidden, keys=keys)

    def step(self, tokens: torch.Tensor, state: Encoded):
        """One decoding step (decode.py). tokens: (rows,) previous outputs; state: Encoded with the decoder state.

        -> logits (rows, vocab), the state after this step, attention (rows, src_len) | None."""
        out, hidden, attn = self.decoder.step(tokens, state.hidden, state)  # out: (rows, dim)
        return self.decoder.project(out), dataclasses.replace(state, hidden=hidden), attn

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt: torch.Tensor, pr_force: float = 1.0):
        """Training forward. tgt: (batch, tgt_len) ending with EOS, padded with PAD.

        Returns logits (n_tokens, vocab) for the non-pad target positions in row-major order (= tgt[tgt != PAD]).
        """
        states = self.target_states(src, src_len, tgt, pr_force)  # (n_tokens, dim)
        return self.project(states)  # output layer ONCE over all kept states: (n_tokens, vocab)

    def target_states(self, src: torch.Tensor, src_len: torch.Tensor, tgt: torch.Tensor,
                      pr_force: float = 1.0) -> torch.Tensor:
        """forward() before the output layer: decoder states (n_tokens, dim) at the non-pad target positions (the
        evaluation loss projects them in chunks, translate/loss.py)."""
        enc = self.encode(src, src_len)
        bos = torch.full_like(tgt[:, :1], BOS)
        tgt_in = torch.cat([bos, tgt[:, :-1]], dim=1)  # (batch, tgt_len): shifted right
        states = self.decoder.states(tgt_in, enc, pr_force)  # (batch, tgt_len, dim)
        return states[tgt != PAD]  # (n_tokens, dim)

    def project(self, states: torch.Tensor) -> torch.Tensor:
        """The output layer: states (..., dim) -> logits (..., vocab)."""
        return self.decoder.project(states)


def build_model(cfg: ModelConfig, src_vocab: int, tgt_vocab: int) -> "Seq2Seq | Transformer":
    """The member of the model family named by cfg.arch (both train with `forward` and decode via encode/step)."""
    return (Transformer if cfg.arch == "transformer" else Seq2Seq)(cfg, src_vocab, tgt_vocab)


def model_from_args(args: dict) -> "Seq2Seq | Transformer":
    """Rebuild a model from a checkpoint's model_args (runs saved before model.arch existed are GRUs)."""
    cfg = from_dict(ModelConfig, args["config"], "model")
    return build_model(cfg, int(args["src_vocab"]), int(args["tgt_vocab"]))


def find_checkpoint(run_dir: Path) -> Path:
    for name in ("best.pt", "latest.pt"):
        if (run_dir / name).is_file():
            return run_dir / name
    raise CheckpointError(f"{run_dir} holds no best.pt or latest.pt; is it a `wordbridge train` run folder?")


def load_model(path: Path, device: torch.device | str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild the model from a checkpoint alone (weights_only load); one-line CheckpointError otherwise."""
    ckpt = load_checkpoint(path, KIND, map_location=device)
    try:
        model = model_from_args(ckpt["model_args"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint {path} has no usable model_args ({exc}).") from None
    load_model_state(model, ckpt["model"], path)
    return model.to(device).eval(), ckpt
