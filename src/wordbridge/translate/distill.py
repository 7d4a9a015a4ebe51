"""Sequence-level knowledge distillation (Kim & Rush 2016; how Bergamot trains its small students): the teacher
translates the training source side of a prepared folder, and a copy of the folder whose training targets are the
teacher's outputs is what the student (the lesson's GRU) then trains on. Valid and test splits stay as they were,
so the student is scored against the real references.

The teacher decodes with its CTranslate2 export when it has one (RUN/ctranslate2, or the export folder given
directly), else with its torch checkpoint. Resumable: the training sources are cut into chunks, each chunk's
outputs are written atomically to `.OUT.distill/chunk-NNNNN.npz` beside OUT as soon as it is decoded, and a rerun
skips the chunks already there; `manifest.json` in that folder names the teacher (its weights' digest), the data,
the beam and the chunk size, and a rerun with other ones is refused in one line. The new folder is written at the
end with atomic_dir (it appears whole or not at all), and the chunk folder is removed.
"""

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from wordbridge.atomic import atomic_dir, atomic_path, write_json, write_text
from wordbridge.errors import DataError
from wordbridge.progress import bar as progress_bar
from wordbridge.text.prepared import PreparedData
from wordbridge.text.ragged import Ragged, save_ragged
from wordbridge.text.vocab import EOS
from wordbridge.translate.ct2_export import DEFAULT_SUBDIR, MARKER, is_export
from wordbridge.translate.model import find_checkpoint
from wordbridge.translate.translator import Translator

log = logging.getLogger(__name__)

REPLACED = ("train.tgt.ids.npy", "train.tgt.offsets.npy", "train.tgt.txt")  # what the teacher's outputs replace
MANIFEST = "manifest.json"


def teacher_source(teacher: Path) -> tuple[Path, str]:
    """(folder, engine) to load the teacher from: its CTranslate2 export when there is one, else the torch run."""
    if is_export(teacher):
        return teacher, "ctranslate2"
    if is_export(teacher / DEFAULT_SUBDIR):
        return teacher / DEFAULT_SUBDIR, "ctranslate2"
    return teacher, "torch"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def teacher_digest(folder: Path, engine: str) -> str:
    """Identifies the teacher's weights: the export's model.bin digest (from its marker) or the checkpoint's."""
    if engine == "ctranslate2":
        return str(json.loads((folder / MARKER).read_text(encoding="utf-8")).get("model_sha256"))
    return _digest(find_checkpoint(folder))


def check_vocabularies(translator: Translator, data: PreparedData, teacher: Path) -> None:
    """DataError (one line) unless the teacher reads and writes exactly the prepared folder's token ids."""
    for side, theirs, ours in (("source", translator.src_vocab, data.src_vocab),
                               ("target", translator.tgt_vocab, data.tgt_vocab)):
        if list(theirs.itos) != list(ours.itos):
            first = next((i for i, (a, b) in enumerate(zip(theirs.itos, ours.itos)) if a != b),
                         min(len(theirs), len(ours)))
            raise DataError(f"Teacher {teacher} has another {side} vocabulary than {data.dir} ({len(theirs)} vs "
                            f"{len(ours)} tokens, first difference at id {first}); distill the prepared folder the "
                            "teacher was trained on.")


def parts_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.distill")


def _open_parts(parts: Path, manifest: dict) -> None:
    """Create the chunk folder, or check that the one a killed pass left was made with the same settings."""
    path = parts / MANIFEST
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        differ = [k for k in manifest if old.get(k) != manifest[k]]
        if differ:
            raise DataError(f"{parts} holds an interrupted distillation with another {', '.join(differ)}; rerun "
                            f"it with the same settings to resume, or delete {parts} to start over.")
        return
    parts.mkdir(parents=True, exist_ok=True)
    write_json(path, manifest)


def _chunk_path(parts: Path, i: int) -> Path:
    return parts / f"chunk-{i:05d}.npz"


def _read_chunk(path: Path, rows: int) -> list[np.ndarray] | None:
    """The rows of a finished chunk, or None when it is missing or unusable (then it is decoded again)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            ragged = Ragged(z["ids"], z["offsets"])
    except (OSError, ValueError, KeyError, DataError):
        log.warning("chunk %s is unreadable; decoding it again", path.name)
        return None
    return [ragged[i] for i in range(len(ragged))] if len(ragged) == rows else None


def _write_chunk(path: Path, rows: list[np.ndarray]) -> None:
    ragged = Ragged.from_rows(rows)
    with atomic_path(path) as tmp:
        with tmp.open("wb") as fh:
            np.savez(fh, ids=ragged.ids, offsets=ragged.offsets)


def distill(teacher: str | Path, prepared: str | Path, out: str | Path, beam: int = 5, chunk_size: int = 1024,
            batch_size: int = 64, device: str | None = None, overwrite: bool = False,
            progress: bool = True) -> dict[str, Any]:
    """Write OUT: `prepared` with the teacher's translations of its training sources as training targets."""
    teacher, prepared, out = Path(teacher), Path(prepared), Path(out)
    if beam < 1 or chunk_size < 1:
        raise DataError(f"Invalid beam {beam} / chunk size {chunk_size}: both must be >= 1.")
    if out.resolve() == prepared.resolve():
        raise DataError(f"--out {out} is the prepared folder itself; pick a new folder.")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise DataError(f"Output folder {out} already exists; pass --overwrite to replace it.")
    data = PreparedData.load(prepared)
    if not teacher.is_dir():
        raise DataError(f"Teacher run folder {teacher} does not exist.")
    folder, engine = teacher_source(teacher)
    translator = Translator.load(folder, device=device, engine=engine, int8=None)
    check_vocabularies(translator, data, teacher)
    src, tgt = data.split("train")
    max_len = int(tgt.lengths.max()) if len(tgt) else 1  # the prepared targets' cap (tgt_len_percentile), _eos_ in
    manifest = {"teacher": teacher_digest(folder, engine), "prepared": str(prepared.resolve()), "beam": beam,
                "chunk_size": chunk_size, "sentences": len(src), "max_len": max_len}
    parts = parts_dir(out)
    _open_parts(parts, manifest)
    n_chunks = (len(src) + chunk_size - 1) // chunk_size
    chunks: list[list[np.ndarray] | None] = [
        _read_chunk(_chunk_path(parts, i), min(chunk_size, len(src) - i * chunk_size)) for i in range(n_chunks)]
    done = sum(len(c) for c in chunks if c is not None)
    if done:
        log.info("resuming: %d of %d training sentences already translated in %s", done, len(src), parts)
    start = time.perf_counter()
    with progress_bar(total=len(src), initial=done, unit="sent", desc=f"distill (beam {beam}, {engine})",
                      disable=not progress) as bar:
        for i, chunk in enumerate(chunks):
            if chunk is not None:
                continue
            rows = [src[j] for j in range(i * chunk_size, min((i + 1) * chunk_size, len(src)))]
            hyps = translator.engine.decode(rows, beam=beam, batch_size=batch_size)
            # ids end with _eos_ like every prepared row; cut to the prepared targets' longest
            chunks[i] = [np.asarray(list(h.tokens[: max_len - 1]) + [EOS], dtype=np.int32) for h in hyps]
            _write_chunk(_chunk_path(parts, i), chunks[i])
            bar.update(len(rows))
    seconds = time.perf_counter() - start
    targets = [row for chunk in chunks for row in chunk]  # type: ignore[union-attr]
    _, tgt_tok = data.tokenizers()
    report = {**manifest, "teacher_run": str(teacher), "engine": engine, "translated_now": len(src) - done,
              "seconds": round(seconds, 1), "changed": sum(not np.array_equal(a, b) for a, b in zip(targets, tgt))}
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for path in prepared.iterdir():
            if path.is_file() and path.name not in REPLACED:
                shutil.copy2(path, tmp / path.name)
        save_ragged(tmp / "train.tgt", targets)
        lines = [tgt_tok.detokenize(data.tgt_vocab.decode([int(t) for t in row[:-1]])) for row in targets]
        write_text(tmp / "train.tgt.txt", "".join(line + "\n" for line in lines))
        write_json(tmp / "distill.json", report)
    shutil.rmtree(parts, ignore_errors=True)
    return report
