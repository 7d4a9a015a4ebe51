"""Translation on top of the model-agnostic training engine: run folder, data, model (model.arch: gru or
transformer, built by translate/model.py), teacher forcing (GRU), LR warm-up, label smoothing, validation.

`train(sections, ...)` is what `wordbridge train CONFIG` calls; `find_lr(sections, png)` is `wordbridge lr-find`.
The run folder receives the resolved config, the prepared vocabularies and tokenizer files (so it translates on
its own), log.txt, and from the engine best.pt / latest.pt / history.json / loss.png.
"""

import contextlib
import logging
import shutil
from pathlib import Path
from typing import Any

import torch

from wordbridge.atomic import write_text
from wordbridge.config import dump_yaml, to_dict
from wordbridge.errors import ConfigError, DataError
from wordbridge.text.batching import Seq2SeqDataset, make_loader
from wordbridge.text.prepared import PreparedData
from wordbridge.text.weighting import weighted_loader
from wordbridge.train import distributed as D
from wordbridge.train.hooks import Hook
from wordbridge.train.loop import FitResult, evaluate_loss, fit
from wordbridge.train.lr_find import lr_find
from wordbridge.train.device import configure_threads, set_seed
from wordbridge.translate.config import ModelConfig, TranslateTrainConfig
from wordbridge.translate.loss import make_batch_loss
from wordbridge.translate.metrics import perplexity, scores
from wordbridge.translate.model import KIND
from wordbridge.translate.model import build_model as build_arch
from wordbridge.translate.translator import decode_rows

log = logging.getLogger(__name__)

RUN_FILES = ("vocab.src.json", "vocab.tgt.json", "tokenizer.json", "spm.src.model", "spm.tgt.model", "stats.json")


class TeacherForcingHook(Hook):
    """Sets the probability of feeding reference tokens before each batch (linear in fractional epochs)."""

    def __init__(self, cfg: TranslateTrainConfig) -> None:
        self.schedule, self.per = cfg.teacher_forcing, cfg.force_per
        self.pr_force = self.schedule.start

    def before_batch(self, trainer: Any) -> None:
        per_epoch = trainer.steps_per_epoch or 1
        self.pr_force = self.schedule.pr_force(trainer.epoch + trainer.batch_in_epoch / per_epoch)

    def after_validate(self, trainer: Any) -> None:
        trainer.metrics.setdefault("pr_force", round(float(self.pr_force), 4))

    def draw(self) -> float:
        """pr_force for the model's forward: per batch, 1.0 (fast whole-target path) or 0.0; per step, as is."""
        if self.per == "step" or self.pr_force in (0.0, 1.0):
            return self.pr_force
        return 1.0 if float(torch.rand(())) < self.pr_force else 0.0


class WarmupHook(Hook):
    """Linear learning-rate warm-up over the first `steps` optimiser steps, on top of the engine's schedule: after
    the engine sets a step's LR, every group's LR is scaled by (step + 1) / steps (by 1 from then on)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def after_loss(self, trainer: Any) -> None:  # the engine set this step's LR before the forward
        if trainer.step < self.steps:
            scale = (trainer.step + 1) / self.steps
            for group in trainer.optimizer.param_groups:
                group["lr"] *= scale


def make_validate(data: PreparedData, valid_loader, cfg: TranslateTrainConfig, device: torch.device):
    """fn(model) -> {"loss", "ppl", "bleu", "chrf"} and a few example translations in the log."""
    src_ids, _ = data.split("valid")
    src_raw, ref_raw = data.raw("valid")
    n = min(cfg.valid_bleu_sentences, len(src_ids), len(ref_raw))
    _, tgt_tok = data.tokenizers()
    lowercase = is_lowercase(data.dir)
    loss_fn = make_batch_loss(None)

    def validate(model: torch.nn.Module) -> dict:
        metrics = evaluate_loss(model, loss_fn, valid_loader, device)
        metrics["ppl"] = perplexity(metrics["loss"])
        if n:
            hyps = decode_rows(model, [src_ids[i] for i in range(n)], beam=1, batch_size=cfg.valid_batch_size)
            texts = [tgt_tok.detokenize(data.tgt_vocab.decode(h.tokens)) for h in hyps]
            metrics.update(scores(texts, ref_raw[:n], lowercase=lowercase))
            for i in range(min(cfg.valid_examples, n)):
                log.info("  src: %s\n  ref: %s\n  hyp: %s", src_raw[i], ref_raw[i], texts[i])
        return metrics

    return validate


def is_lowercase(folder: Path) -> bool:
    """Whether the tokenizers lowercase (then BLEU/chrF are computed case-insensitively)."""
    import json

    try:
        return bool(json.loads((Path(folder) / "tokenizer.json").read_text(encoding="utf-8"))["lowercase"])
    except (OSError, ValueError, KeyError):
        return False


def prepare_run_dir(run_dir: Path, data: PreparedData, sections: dict, overwrite: bool, resume: bool) -> None:
    """Create the run folder (refusing to reuse a non-empty one without --overwrite/--resume) and fill it."""
    if run_dir.exists() and any(run_dir.iterdir()) and not resume:
        if not overwrite:
            raise DataError(f"Run folder {run_dir} already exists; pass --overwrite to replace it or --resume.")
        shutil.rmtree(run_dir)
    if resume and not (run_dir / "latest.pt").is_file():
        raise DataError(f"Nothing to resume: {run_dir / 'latest.pt'} does not exist.")
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        if (data.dir / name).is_file():
            shutil.copy2(data.dir / name, run_dir / name)
    write_text(run_dir / "config.yaml", dump_yaml(sections))


def load_data(sections: dict, cfg: TranslateTrainConfig, rank: int = 0, world: int = 1):
    """(PreparedData, train loader, valid loader) from the prepared folder named by data.out."""
    folder = Path(sections["data"].out)
    data = PreparedData.load(folder)
    train_ds = Seq2SeqDataset(*data.split("train"))
    valid_ds = Seq2SeqDataset(*data.split("valid"))
    if len(train_ds) == 0:
        raise DataError(f"The prepared folder {folder} has no training pairs.")
    if cfg.source_weights:  # per-source sampling (text/weighting.py) needs each pair's source
        sources = data.sources("train")
        if sources is None:
            raise ConfigError(f"train.source_weights needs the pairs' sources, which {folder} does not record; "
                              "prepare the data again.")
        train_dl = weighted_loader(train_ds, sources, cfg.source_weights, cfg.batch_size, seed=cfg.seed,
                                   num_replicas=world, rank=rank)
    else:
        train_dl = make_loader(train_ds, cfg.batch_size, train=True, seed=cfg.seed, num_replicas=world, rank=rank)
    valid_dl = make_loader(valid_ds, cfg.valid_batch_size, train=False)
    return data, train_dl, valid_dl


def check_fits(mcfg: ModelConfig, data: PreparedData) -> None:
    """Refuse a model the prepared folder cannot feed (before any run folder is written)."""
    if mcfg.tie_embeddings and data.src_vocab != data.tgt_vocab:
        raise ConfigError(f"model.tie_embeddings needs one vocabulary for both sides, and {data.dir} has two; "
                          "prepare it with --set data.shared_pieces=true.")


def build_model(mcfg: ModelConfig, data: PreparedData) -> torch.nn.Module:
    """The model named by model.arch, its embeddings initialised from the prepared word vectors (where sizes fit)."""
    check_fits(mcfg, data)
    model = build_arch(mcfg, len(data.src_vocab), len(data.tgt_vocab))
    model.load_embeddings(*data.embeddings())
    return model


@contextlib.contextmanager
def _log_to(path: Path | None):
    if path is None:
        yield
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)  # the run log always gets INFO
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def train(sections: dict, run_dir: str | Path, overwrite: bool = False, resume: bool = False) -> FitResult:
    """sections: {"data": PrepareConfig, "model": ModelConfig, "train": TranslateTrainConfig}."""
    cfg: TranslateTrainConfig = sections["train"]
    run_dir = Path(run_dir)
    info = D.init_from_env(cfg.device)
    data, train_dl, valid_dl = load_data(sections, cfg, info.rank, info.world_size)
    check_fits(sections["model"], data)
    # rank 0 creates the run folder; its error (e.g. folder exists) stops every rank instead of hanging them
    D.main_first(lambda: prepare_run_dir(run_dir, data, sections, overwrite, resume), info)
    set_seed(cfg.seed)  # same initial weights on every rank
    model = build_model(sections["model"], data)
    forcing = TeacherForcingHook(cfg) if sections["model"].arch == "gru" else None  # the GRU's scheduled sampling
    hooks = [h for h in (forcing, WarmupHook(cfg.warmup_steps) if cfg.warmup_steps else None) if h is not None]
    device = D.device_for(info, cfg.device)
    with _log_to(run_dir / "log.txt" if info.is_main else None):
        log.info("data %s: %d training pairs, vocab %d -> %d, model %s", data.dir, len(train_dl.dataset),
                 len(data.src_vocab), len(data.tgt_vocab), sections["model"].arch)
        return fit(model, make_batch_loss(forcing, cfg.label_smoothing), train_dl, valid_dl, cfg, resume=resume,
                   run_dir=run_dir, hooks=hooks, validate=make_validate(data, valid_dl, cfg, device), kind=KIND,
                   model_args=model.model_args(), config={k: _plain(v) for k, v in sections.items()})


def find_lr(sections: dict, png: str | Path, num_steps: int = 100):
    """Exponential LR sweep on the training data (weights restored); returns the engine's LRFindResult."""
    cfg: TranslateTrainConfig = sections["train"]
    configure_threads(cfg.threads)
    data, train_dl, _ = load_data(sections, cfg)
    set_seed(cfg.seed)
    model = build_model(sections["model"], data)
    model.train()
    forcing = TeacherForcingHook(cfg) if sections["model"].arch == "gru" else None
    return lr_find(model, make_batch_loss(forcing, cfg.label_smoothing), train_dl, cfg, png=png, num_steps=num_steps)


def _plain(section: Any) -> Any:
    return to_dict(section)
