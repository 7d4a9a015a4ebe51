"""`wordbridge export RUN --format ctranslate2`: a trained Transformer run -> a CTranslate2 model folder.

The folder serves on its own (`translate` / `evaluate` / `serve` detect it):

    model.bin, config.json, source_vocabulary.json, target_vocabulary.json   CTranslate2's files (one
                                                 shared_vocabulary.json instead where both sides share one)
    vocab.src.json, vocab.tgt.json, tokenizer.json [, spm.*.model], config.yaml   the run's, copied
    wordbridge_export.json   written last: format, quantization, the run and checkpoint step, sha256 of model.bin

It is written into a temp folder and renamed into place (wordbridge.atomic.atomic_dir): an interrupted export
leaves nothing. Loading checks the marker, the files and the model.bin digest, so a half-copied folder, a
CTranslate2 model from elsewhere or a model.bin swapped in from another export are refused in one line.
"""

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import torch

from wordbridge import __version__
from wordbridge.atomic import atomic_dir, write_json
from wordbridge.errors import AssetError, CheckpointError, ConfigError, DataError, choices_hint
from wordbridge.text.vocab import Vocab
from wordbridge.translate.config import CT2_SUBDIR as DEFAULT_SUBDIR
from wordbridge.translate.config import QUANTIZATIONS
from wordbridge.translate.model import find_checkpoint, load_model

MARKER = "wordbridge_export.json"
FORMAT = "ctranslate2"
CT2_FILES = ("model.bin", "config.json")
CT2_VOCABS = ("source_vocabulary.json", "target_vocabulary.json")
CT2_SHARED_VOCAB = "shared_vocabulary.json"  # what CTranslate2 writes instead when both sides are one vocabulary
RUN_FILES = ("vocab.src.json", "vocab.tgt.json", "tokenizer.json")
OPTIONAL_FILES = ("spm.src.model", "spm.tgt.model", "config.yaml")
CT2_VERSION = "4.8.5"
GRU_REFUSAL = ("CTranslate2 has no RNN decoder (CTranslate2#796), so only model.arch=transformer runs export; "
               "for a faster GRU on the CPU use its dynamic int8 quantisation: `wordbridge translate RUN --int8`.")


def require_ctranslate2() -> None:
    if importlib.util.find_spec("ctranslate2") is None:
        raise AssetError(f"The ctranslate2 package is not installed: pip install 'ctranslate2=={CT2_VERSION}' "
                         "(or the wordbridge[ct2] extra).")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_export(folder: Path) -> bool:
    """Whether `folder` claims to be a wordbridge CTranslate2 export (its marker or CTranslate2's model.bin)."""
    return (folder / MARKER).is_file() or (folder / "model.bin").is_file()


def check_export(folder: str | Path) -> dict:
    """The export's marker after checking the folder is a complete, untouched wordbridge export."""
    folder = Path(folder)
    if not (folder / MARKER).is_file():
        if (folder / "model.bin").is_file():
            raise CheckpointError(f"{folder} is a CTranslate2 model that wordbridge did not export (no {MARKER}); "
                                  "export a run with `wordbridge export RUN --format ctranslate2`.")
        raise CheckpointError(f"{folder} is not a CTranslate2 export (no {MARKER}).")
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        fmt, digest = marker["format"], marker["model_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise CheckpointError(f"{folder / MARKER} is unreadable; export the run again.") from None
    if fmt != FORMAT:
        raise CheckpointError(f"{folder} holds a '{fmt}' export, not a CTranslate2 one.")
    missing = [n for n in CT2_FILES + ct2_vocab_files(folder) + RUN_FILES if not (folder / n).is_file()]
    if missing:
        raise CheckpointError(f"{folder} is an incomplete export (missing {', '.join(missing)}); export the run again.")
    if file_sha256(folder / "model.bin") != digest:
        raise CheckpointError(f"{folder / 'model.bin'} is not the model this export wrote (from another model?); "
                              "export the run again.")
    return marker


def _vocab_list(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def ct2_vocab_files(folder: Path) -> tuple[str, str]:
    """CTranslate2's (source, target) vocabulary files: one shared file for both when it wrote one."""
    return (CT2_SHARED_VOCAB,) * 2 if (folder / CT2_SHARED_VOCAB).is_file() else CT2_VOCABS


def check_vocabularies(folder: Path) -> None:
    """CTranslate2's vocabularies must be the run's, token for token (ids are looked up by token)."""
    for ours, theirs in zip(("vocab.src.json", "vocab.tgt.json"), ct2_vocab_files(folder)):
        if Vocab.load(folder / ours).itos != _vocab_list(folder / theirs):
            raise CheckpointError(f"{folder / theirs} does not match {ours}: the CTranslate2 model comes from "
                                  "another run; export the run again.")


def _check_run_vocab(run_dir: Path, model: torch.nn.Module) -> tuple[list[str], list[str]]:
    lists = []
    for name, size in (("vocab.src.json", model.src_vocab), ("vocab.tgt.json", model.tgt_vocab)):
        itos = Vocab.load(run_dir / name).itos
        if len(itos) != size:
            raise CheckpointError(f"{run_dir / name} has {len(itos)} tokens but the model {size}; "
                                  "CTranslate2 looks ids up by token, so they must match.")
        bad = next((t for t in itos if not t or t != t.strip() or "\n" in t), None)
        if bad is not None:
            raise DataError(f"{run_dir / name} holds the token {bad!r}, which a CTranslate2 vocabulary cannot "
                            "hold (empty or with surrounding whitespace).")
        lists.append(itos)
    return lists[0], lists[1]


def export_run(run_dir: str | Path, out: str | Path | None = None, quantization: str = "int8",
               overwrite: bool = False) -> Path:
    """Export RUN's best (else latest) checkpoint; -> the export folder. One-line errors, nothing half-written."""
    run_dir = Path(run_dir)
    if quantization not in QUANTIZATIONS:
        raise ConfigError(f"Invalid --quantization {choices_hint(quantization, QUANTIZATIONS)}")
    if not run_dir.is_dir():
        raise DataError(f"Run folder {run_dir} does not exist.")
    if (run_dir / MARKER).is_file():
        raise DataError(f"{run_dir} is already a CTranslate2 export; export the training run folder instead.")
    out = Path(out) if out is not None else run_dir / DEFAULT_SUBDIR
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; give a folder.")
    ckpt_path = find_checkpoint(run_dir)
    model, ckpt = load_model(ckpt_path, "cpu")
    if getattr(model.cfg, "arch", "gru") != "transformer":
        raise ConfigError(f"{run_dir} is a GRU run: {GRU_REFUSAL}")
    src_itos, tgt_itos = _check_run_vocab(run_dir, model)
    missing = [n for n in RUN_FILES if not (run_dir / n).is_file()]
    if missing:
        raise DataError(f"{run_dir} lacks {', '.join(missing)}; is it a `wordbridge train` run folder?")
    require_ctranslate2()
    from wordbridge.translate import ct2_spec  # imports ctranslate2 (optional dependency), only when exporting

    with atomic_dir(out, overwrite=overwrite) as tmp:
        ct2_spec.convert(model, src_itos, tgt_itos, str(tmp), quantization)
        for name in RUN_FILES + OPTIONAL_FILES:
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, tmp / name)
        write_json(tmp / MARKER, {
            "format": FORMAT, "quantization": quantization, "wordbridge": __version__, "ctranslate2": CT2_VERSION,
            "run": str(run_dir.resolve()), "checkpoint": ckpt_path.name, "step": int(ckpt.get("step", 0)),
            "arch": "transformer", "src_vocab": len(src_itos), "tgt_vocab": len(tgt_itos),
            "max_positions": model.tcfg.max_positions, "model_sha256": file_sha256(tmp / "model.bin"),
        })
    return out
