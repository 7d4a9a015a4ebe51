"""GRU decoder (hidden = embedding size, so the output layer can be tied to the embedding).

Two ways to run it in training:
- teacher forcing on every step (pr_force == 1): without attention or with Luong attention the GRU runs over the
  whole target in one call; with Bahdanau attention a per-step loop with the embedding side of its input layer
  computed for all steps at once and the encoder-side attention projection computed once per batch;
- scheduled sampling (pr_force < 1): a per-step loop, each step fed the reference token with probability pr_force,
  else the model's own previous prediction (argmax, no gradient), as in the lesson.
`step` advances one step for decoding (decode.py). The output projection is never applied here per step in
training: `project` is called once on the gathered non-pad states by the model.
"""

import torch
from torch import nn
from torch.nn import functional as F

from wordbridge.translate.attention import BahdanauAttention, LuongAttention
from wordbridge.translate.config import ModelConfig
from wordbridge.text.vocab import PAD
from wordbridge.translate.encoder import Encoded


class _DenseOnce(torch.autograd.Function):
    """Identity on a weight read once per step: the steps' sparse gradients add up sparsely, densified here once.

    A dense per-step embedding gradient costs a zero-filled (vocab, dim) tensor and an add of it every step.
    """

    @staticmethod
    def forward(ctx, weight: torch.Tensor) -> torch.Tensor:
        return weight.view_as(weight)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad.to_dense() if grad.is_sparse else grad


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_size: int, enc_size: int) -> None:
        super().__init__()
        self.cfg = cfg
        dim = cfg.emb_size_tgt
        self.emb = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.emb_drop = nn.Dropout(cfg.emb_dropout)
        self.attn: nn.Module | None = None
        if cfg.attention == "bahdanau":
            self.attn = BahdanauAttention(enc_size, dim, dim)
            self.l3 = nn.Linear(dim + enc_size, dim)  # the lesson's l3: [emb; context] -> GRU input
        elif cfg.attention == "luong":
            self.attn = LuongAttention(enc_size, dim)
        self.rnn = nn.GRU(dim, dim, num_layers=cfg.layers, dropout=cfg.dec_dropout if cfg.layers > 1 else 0.0,
                          batch_first=True)
        self.out_drop = nn.Dropout(cfg.out_dropout)
        self.out = nn.Linear(dim, vocab_size)
        if cfg.tie_output:
            self.out.weight = self.emb.weight
        self.step_cells: nn.ModuleList | None = None  # int8 GRU cells of a decoding-only copy (quantize.py)

    # ---- pieces -------------------------------------------------------------------------------------------------
    def project(self, states: torch.Tensor) -> torch.Tensor:
        """states: (..., dim) -> logits (..., vocab), output dropout applied (a no-op in eval mode)."""
        return self.out(self.out_drop(states))

    def _cells(self, x: torch.Tensor, h: list[torch.Tensor]) -> list[torch.Tensor]:
        """One step of the GRU stack with the nn.GRU's own weights. x: (batch, in), h: layers x (batch, dim).

        States are kept as a list (not a stacked tensor) so that backward never scatters into zero-filled copies.
        """
        if self.step_cells is not None:  # int8 copy (decoding only, eval mode: no dropout between layers)
            new = []
            for cell, hk in zip(self.step_cells, h):
                x = cell(x, hk)  # (batch, dim)
                new.append(x)
            return new
        new = []
        for k in range(self.cfg.layers):
            hk = torch.gru_cell(
                x, h[k],
                getattr(self.rnn, f"weight_ih_l{k}"), getattr(self.rnn, f"weight_hh_l{k}"),
                getattr(self.rnn, f"bias_ih_l{k}"), getattr(self.rnn, f"bias_hh_l{k}"),
            )  # (batch, dim)
            new.append(hk)
            if k < self.cfg.layers - 1:
                x = F.dropout(hk, self.rnn.dropout, self.training)
        return new

    def _input(self, emb: torch.Tensor, h: list[torch.Tensor], enc: Encoded) -> tuple[torch.Tensor, torch.Tensor | None]:
        """GRU input for one step: emb (batch, dim) [+ Bahdanau context of the previous top state]."""
        if self.cfg.attention != "bahdanau":
            return emb, None
        context, weights = self.attn(h[-1], enc.keys, enc.out, enc.mask)  # (batch, enc), (batch, src_len)
        return self.l3(torch.cat([emb, context], dim=-1)), weights

    def _output(self, top: torch.Tensor, enc: Encoded, weights: torch.Tensor | None):
        """Pre-projection output for one step from the top GRU state (Luong attention applies here)."""
        if self.cfg.attention != "luong":
            return top, weights
        out, w = self.attn(top.unsqueeze(1), enc.out, enc.mask)  # (batch, 1, dim), (batch, 1, src_len)
        return out.squeeze(1), w.squeeze(1)

    # ---- decoding -----------------------------------------------------------------------------------------------
    def step(self, tokens: torch.Tensor, h: torch.Tensor, enc: Encoded):
        """tokens: (batch,) previous outputs -> out (batch, dim), new h (layers, batch, dim), attention (batch, src)|None."""
        out, hs, weights = self._step(tokens, list(h.unbind(0)), enc)
        return out, torch.stack(hs), weights

    def _step(self, tokens: torch.Tensor, h: list[torch.Tensor], enc: Encoded, table: torch.Tensor | None = None):
        """`table`: the embedding weight through _DenseOnce (per-step training loops), looked up sparsely."""
        emb = self.emb(tokens) if table is None else F.embedding(tokens, table, PAD, sparse=True)
        x, weights = self._input(self.emb_drop(emb), h, enc)
        h = self._cells(x, h)
        out, weights = self._output(h[-1], enc, weights)
        return out, h, weights

    # ---- training -----------------------------------------------------------------------------------------------
    def states(self, tgt_in: torch.Tensor, enc: Encoded, pr_force: float = 1.0) -> torch.Tensor:
        """tgt_in: (batch, tgt_len) = [BOS, y_1 .. y_{n-1}] -> pre-projection states (batch, tgt_len, dim)."""
        if pr_force < 1.0:
            return self._sampled(tgt_in, enc, pr_force)
        emb = self.emb_drop(self.emb(tgt_in))  # (batch, tgt_len, dim)
        if self.cfg.attention == "bahdanau":
            return self._bahdanau_forced(emb, enc)
        out, _ = self.rnn(emb, enc.hidden)  # one call over the whole target: (batch, tgt_len, dim)
        if self.cfg.attention == "luong":
            out, _ = self.attn(out, enc.out, enc.mask)  # (batch, tgt_len, dim)
        return out

    def _bahdanau_forced(self, emb: torch.Tensor, enc: Encoded) -> torch.Tensor:
        dim = self.cfg.emb_size_tgt
        w_emb, w_ctx = self.l3.weight[:, :dim], self.l3.weight[:, dim:]  # (dim, dim), (dim, enc)
        x_emb = F.linear(emb, w_emb, self.l3.bias)  # all steps at once: (batch, tgt_len, dim)
        h, tops = list(enc.hidden.unbind(0)), []
        for x_t in x_emb.unbind(1):  # unbind: one gradient gather in backward, not one zero-filled copy per step
            context, _ = self.attn(h[-1], enc.keys, enc.out, enc.mask)  # (batch, enc)
            h = self._cells(x_t + F.linear(context, w_ctx), h)
            tops.append(h[-1])
        return torch.stack(tops, dim=1)  # (batch, tgt_len, dim)

    def _sampled(self, tgt_in: torch.Tensor, enc: Encoded, pr_force: float) -> torch.Tensor:
        h, outs = list(enc.hidden.unbind(0)), []
        table = _DenseOnce.apply(self.emb.weight) if torch.is_grad_enabled() and self.emb.weight.requires_grad else None
        forced = (torch.rand(tgt_in.size(1)) < pr_force).tolist()  # one draw per step for the whole batch (lesson)
        for t, ref in enumerate(tgt_in.unbind(1)):
            if t == 0 or forced[t]:
                tokens = ref  # (batch,)
            else:
                with torch.no_grad():
                    tokens = self.out(outs[-1].detach()).max(-1).indices  # (batch,) own prediction
            out, h, _ = self._step(tokens, h, enc, table)
            outs.append(out)
        return torch.stack(outs, dim=1)  # (batch, tgt_len, dim)
