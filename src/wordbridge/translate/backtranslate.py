"""Back-translation (`wordbridge backtranslate`): English sentences -> machine French with a reverse (en-fr) model,
written as an aligned synthetic corpus that `prepare` takes as a train-only source (text/extra_sources.py).

The out folder is resumable: job.json (written first) records the input's digest and the decoding settings; the
sentences are cut into chunks of `chunk_lines`, each translated and written atomically as chunks/NNNNNN.tsv
(french TAB english), so a kill loses at most the chunk in progress and a second run skips the finished ones (with
sampling, chunk i draws from seed + i, so a resumed run writes what an uninterrupted one would). When every chunk is
there, synthetic.fr and synthetic.en are put together (each written atomically) and backtranslation.json is written
last. A folder holding another job (other input or settings) is refused in one line.

Decoding: CTranslate2 when the run is an export folder or holds one (RUN/ctranslate2; export it with
`--quantization int8`), else torch, with dynamic int8 weights for a GRU on the CPU (Translator.load(int8=None)).
"""

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from pathlib import Path


from wordbridge.atomic import write_json, write_text
from wordbridge.errors import DataError
from wordbridge.progress import bar as progress_bar
from wordbridge.text import direction
from wordbridge.text.extra_sources import SYNTHETIC_EN, SYNTHETIC_FR
from wordbridge.text.monolingual import count_lines, read_sentences
from wordbridge.translate.ct2_export import DEFAULT_SUBDIR, MARKER, is_export
from wordbridge.translate.decode import Sampling
from wordbridge.translate.translator import Translator

log = logging.getLogger(__name__)

JOB, DONE, CHUNKS = "job.json", "backtranslation.json", "chunks"


@dataclasses.dataclass(frozen=True)
class Decoding:
    beam: int = 1  # 1: greedy (ignored with sampling)
    sampling: Sampling | None = None  # top-k / temperature sampling instead of beam search

    def describe(self) -> dict:
        if self.sampling is not None:
            return {"sampling": dataclasses.asdict(self.sampling)}
        return {"beam": self.beam}


def pick_engine(run: Path, engine: str = "auto") -> str:
    """auto: ctranslate2 for an export folder or a run that holds one, else torch."""
    if engine != "auto":
        return engine
    return "ctranslate2" if is_export(run) or (run / DEFAULT_SUBDIR / MARKER).is_file() else "torch"


def _digest(sentences: list[str]) -> str:
    h = hashlib.sha256()
    for s in sentences:
        h.update(s.encode("utf-8") + b"\n")
    return h.hexdigest()


def _open_job(out: Path, job: dict, overwrite: bool) -> None:
    """Start or resume the job in `out` (DataError in one line when it holds something else)."""
    if out.exists() and overwrite:
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    if (out / JOB).is_file():
        try:
            old = json.loads((out / JOB).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if old != job:
            raise DataError(f"{out} holds another back-translation (other input, model or settings); pass "
                            "--overwrite to replace it or choose another --out.")
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"Output folder {out} already exists and is not a back-translation; pass --overwrite.")
    (out / CHUNKS).mkdir(parents=True, exist_ok=True)
    write_json(out / JOB, job)


def _finished_chunk(path: Path, expected: int) -> bool:
    if not path.is_file():
        return False
    lines = count_lines(path)
    if lines != expected:
        raise DataError(f"{path} holds {lines} lines, expected {expected}; delete it and run again.")
    return True


def backtranslate(run: str | Path, input_path: str | Path, out: str | Path, decoding: Decoding = Decoding(),
                  chunk_lines: int = 1000, max_chunks: int | None = None, batch_size: int = 64,
                  engine: str = "auto", overwrite: bool = False) -> dict:
    """-> {"sentences", "chunks", "done", "new", "finished", "seconds", "engine", "out"}; finished is False when
    `max_chunks` new chunks were written before the end (run again to go on)."""
    run, out = Path(run), Path(out)
    if not run.is_dir():
        raise DataError(f"Run folder {run} does not exist.")
    if chunk_lines < 1 or decoding.beam < 1 or (max_chunks is not None and max_chunks < 0):
        raise DataError("Need --chunk-lines >= 1, --beam >= 1 and --max-chunks >= 0.")
    engine = pick_engine(run, engine)
    folder = run / DEFAULT_SUBDIR if engine == "ctranslate2" and not is_export(run) else run
    direction.require(folder, "en-fr", "backtranslate")
    sentences = read_sentences(input_path)
    job = {"input_sha256": _digest(sentences), "sentences": len(sentences), "chunk_lines": chunk_lines,
           "model": str(folder.resolve()), "engine": engine, "decoding": decoding.describe()}
    _open_job(out, job, overwrite)
    starts = list(range(0, len(sentences), chunk_lines))
    paths = [out / CHUNKS / f"{i:06d}.tsv" for i in range(len(starts))]
    done = [_finished_chunk(p, len(sentences[s:s + chunk_lines])) for p, s in zip(paths, starts)]
    todo = [i for i, d in enumerate(done) if not d]
    limit = todo if max_chunks is None else todo[:max_chunks]
    t0 = time.perf_counter()
    if limit:
        tr = Translator.load(folder, engine=engine, int8=None)  # int8=None: int8 for a GRU on the CPU
        with progress_bar(total=len(sentences), initial=sum(min(chunk_lines, len(sentences) - starts[i]) for i, d in
                  enumerate(done) if d), unit=" sentences", desc="back-translating") as bar:
            for i in limit:
                english = sentences[starts[i]:starts[i] + chunk_lines]
                sampling = decoding.sampling
                sampling = None if sampling is None else dataclasses.replace(sampling, seed=sampling.seed + i)
                french = [t.text for t in tr.translate(english, beam=decoding.beam, batch_size=batch_size,
                                                       sampling=sampling)]
                write_text(paths[i], "".join(f"{' '.join(f.split())}\t{e}\n" for f, e in zip(french, english)))
                bar.update(len(english))
    finished = len(limit) == len(todo)
    if finished:
        _assemble(out, paths, job)
    return {"sentences": len(sentences), "chunks": len(paths), "done": len(paths) - len(todo) + len(limit),
            "new": len(limit), "finished": finished, "seconds": round(time.perf_counter() - t0, 2),
            "engine": engine, "out": str(out)}


def _assemble(out: Path, paths: list[Path], job: dict) -> None:
    """synthetic.fr + synthetic.en from the chunks (each atomic), then the DONE record."""
    if (out / DONE).is_file() and count_lines(out / SYNTHETIC_FR) == count_lines(out / SYNTHETIC_EN) == \
            job["sentences"]:
        return
    if (out / SYNTHETIC_FR).is_file() or (out / SYNTHETIC_EN).is_file():
        log.warning("warning: %s holds an unfinished synthetic corpus (a crash while it was written); rebuilding "
                    "it from the chunks", out)
    fr, en = [], []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            f, _, e = line.partition("\t")
            fr.append(f + "\n")
            en.append(e + "\n")
    write_text(out / SYNTHETIC_FR, "".join(fr))
    write_text(out / SYNTHETIC_EN, "".join(en))
    write_json(out / DONE, {**job, "lines": len(en), "files": [SYNTHETIC_FR, SYNTHETIC_EN]})
