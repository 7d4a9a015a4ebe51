"""The translation models one server offers (`wordbridge serve --run A --run B ...`): names, what each is (the
lesson's GRU or the Transformer), its validation BLEU, and which one answers when a request names none.

A run is named after its folder (an export folder given directly, RUN/ctranslate2, after its run). Each run loads
once: its CTranslate2 export when one is present (RUN/ctranslate2 or the folder itself; int8 when exported so),
else the torch checkpoint (a GRU on the CPU with dynamic int8 weights). The default is the run with the best
validation BLEU recorded in its folder (history.json; an export reads its run's); runs without one rank last.
"""

import dataclasses
import json
import logging
from pathlib import Path
from typing import Callable, Iterable

import yaml

from wordbridge.errors import ConfigError, choices_hint
from wordbridge.results import Translator

log = logging.getLogger(__name__)

# translate/ct2_export.py's DEFAULT_SUBDIR and MARKER, repeated so that the app imports no torch (a test checks them)
EXPORT_SUBDIR = "ctranslate2"  # where `wordbridge export` puts a run's export by default
EXPORT_MARKER = "wordbridge_export.json"  # written last by `wordbridge export`
CHECKPOINTS = ("best.pt", "latest.pt")
LABELS = {"gru": "the lesson's GRU", "transformer": "Transformer"}


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What a run folder says about itself, read without loading the model."""

    name: str
    path: Path  # what to load: the export folder when there is one, else the run folder
    arch: str  # gru | transformer
    valid_bleu: float | None  # best validation BLEU in history.json (None: not recorded)
    engine: str  # ctranslate2 | torch
    quantization: str | None  # the export's weight type (int8 ...), None for torch

    @property
    def label(self) -> str:
        return LABELS.get(self.arch, self.arch)


@dataclasses.dataclass(frozen=True)
class ServedModel:
    info: RunInfo
    translator: Translator


class ModelSet:
    """Named translators in the order given, and the default one."""

    def __init__(self, models: Iterable[ServedModel], default: str | None = None) -> None:
        self.models = {m.info.name: m for m in models}
        if not self.models:
            raise ConfigError("No translation model to serve.")
        self.default = default if default is not None else best_run([m.info for m in self.models.values()])
        if self.default not in self.models:
            raise ConfigError(f"Invalid default model {choices_hint(self.default, tuple(self.models))}")

    @classmethod
    def single(cls, translator: Translator, name: str = "default", arch: str = "gru") -> "ModelSet":
        """One translator given directly (create_app(translator=...)): the app behaves as with one --run."""
        return cls([ServedModel(RunInfo(name, Path("."), arch, None, "torch", None), translator)])

    def get(self, name: str | None) -> ServedModel:
        """The model named `name` (None: the default); KeyError names the valid choices."""
        if name is None:
            return self.models[self.default]
        if name not in self.models:
            raise KeyError(f"Unknown model {choices_hint(name, tuple(self.models))}")
        return self.models[name]

    def describe(self) -> list[dict]:
        """One dict per model for /api/models and the page's picker."""
        return [{"name": m.info.name, "arch": m.info.arch, "label": m.info.label, "valid_bleu": m.info.valid_bleu,
                 "engine": m.info.engine, "quantization": m.info.quantization, "default": m.info.name == self.default}
                for m in self.models.values()]


def best_run(infos: list[RunInfo]) -> str:
    """The name of the run with the highest validation BLEU (first given on ties; runs without one rank last)."""
    ranked = sorted(enumerate(infos), key=lambda p: (p[1].valid_bleu is None, -(p[1].valid_bleu or 0.0), p[0]))
    return ranked[0][1].name


def _is_export(folder: Path) -> bool:
    return (folder / EXPORT_MARKER).is_file()


def _best_bleu(history: Path) -> float | None:
    try:
        records = json.loads(history.read_text(encoding="utf-8")).get("valid", [])
        values = [float(r["bleu"]) for r in records if isinstance(r, dict) and r.get("bleu") is not None]
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return max(values) if values else None


def _arch(config: Path) -> str:
    try:
        raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        return str((raw.get("model") or {}).get("arch", "gru"))
    except (OSError, yaml.YAMLError, AttributeError):
        return "gru"


def run_info(folder: str | Path, engine: str = "auto") -> RunInfo:
    """Read a run folder (or a `wordbridge export` folder); ConfigError (one line) when it is neither."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"--run {folder}: no such folder.")
    if _is_export(folder):
        marker = json.loads((folder / EXPORT_MARKER).read_text(encoding="utf-8"))
        run = Path(marker.get("run") or folder.parent)
        run = run if (run / "history.json").is_file() else folder.parent  # the run moved: its usual place
        name = folder.parent.name if folder.name == EXPORT_SUBDIR else folder.name
        return RunInfo(name, folder, _arch(folder / "config.yaml"), _best_bleu(run / "history.json"),
                       "ctranslate2", marker.get("quantization"))
    if not (folder / "vocab.src.json").is_file() or not any((folder / c).is_file() for c in CHECKPOINTS):
        raise ConfigError(f"--run {folder} is not a translation run folder (no vocab.src.json with best.pt or "
                          "latest.pt) nor a `wordbridge export` folder.")
    export = folder / EXPORT_SUBDIR
    use_export = engine == "ctranslate2" or (engine == "auto" and _is_export(export))
    quantization = None
    if use_export and _is_export(export):
        quantization = json.loads((export / EXPORT_MARKER).read_text(encoding="utf-8")).get("quantization")
    return RunInfo(folder.name, export if use_export else folder, _arch(folder / "config.yaml"),
                   _best_bleu(folder / "history.json"), "ctranslate2" if use_export else "torch", quantization)


def check_runs(folders: list[str | Path], engine: str = "auto") -> list[RunInfo]:
    """RunInfo per --run, refusing a folder that is not a run and two runs of the same name (one line each)."""
    infos = [run_info(f, engine) for f in folders]
    seen: dict[str, Path] = {}
    for folder, info in zip(folders, infos):
        if info.name in seen:
            raise ConfigError(f"Two runs are named '{info.name}' ({seen[info.name]} and {folder}); the API tells "
                              "models apart by folder name: give folders with different names.")
        seen[info.name] = Path(folder)
    return infos


def load_model_set(folders: list[str | Path], load: Callable[[RunInfo], Translator], engine: str = "auto") -> ModelSet:
    """Check every folder first (nothing loads when one is wrong), then load each with `load(info)`."""
    infos = check_runs(folders, engine)
    models = []
    for info in infos:
        log.info("loading %s (%s, %s%s) from %s", info.name, info.label, info.engine,
                 f" {info.quantization}" if info.quantization else "", info.path)
        models.append(ServedModel(info, load(info)))
    model_set = ModelSet(models)
    log.info("default model: %s", model_set.default)
    return model_set
