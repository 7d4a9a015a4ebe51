"""`wordbridge evaluate`: BLEU/chrF of detokenised output against raw references, masked loss and perplexity."""

import logging
import time
from pathlib import Path

import numpy as np

from wordbridge.config import read_yaml
from wordbridge.errors import DataError
from wordbridge.text.batching import Seq2SeqDataset, make_loader
from wordbridge.text.prepared import PreparedData
from wordbridge.train.loop import evaluate_loss
from wordbridge.translate.loss import make_batch_loss
from wordbridge.translate.metrics import perplexity, scores
from wordbridge.translate.translator import Translator

log = logging.getLogger(__name__)


def read_lines(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"File {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start}).") from None
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def split_data(run_dir: Path, split: str) -> tuple[list[str], list[str], list, list]:
    """(src lines, ref lines, src ids, ref ids) of a split of the prepared folder the run was trained on."""
    folder = Path(read_yaml(run_dir / "config.yaml").get("data", {}).get("out", ""))
    if not (folder / "stats.json").is_file():
        raise DataError(f"The prepared folder {folder} of {run_dir} is missing; use --src FILE --ref FILE.")
    data = PreparedData.load(folder)
    src, ref = data.raw(split)
    src_ids, ref_ids = data.split(split)
    return src, ref, [src_ids[i] for i in range(len(src_ids))], [ref_ids[i] for i in range(len(ref_ids))]


def file_data(tr: Translator, src_file: str, ref_file: str) -> tuple[list[str], list[str], list, list]:
    src, ref = read_lines(src_file), read_lines(ref_file)
    if len(src) != len(ref):
        raise DataError(f"{src_file} has {len(src)} lines but {ref_file} has {len(ref)}; they must be aligned.")
    src_ids = [tr.encode(line)[1] for line in src]
    ref_ids = [tr.tgt_vocab.encode(tr.tgt_tok.tokenize(line)[: 4 * tr.max_src_tokens]) for line in ref]
    return src, ref, src_ids, ref_ids


def evaluate(run_dir: str | Path, split: str = "test", src_file: str | None = None, ref_file: str | None = None,
             beam: int = 1, batch_size: int = 64, engine: str = "auto") -> dict:
    """-> {"bleu", "chrf", "loss", "ppl", "sentences", "beam", "seconds", "source", "engine"}.

    run_dir: a run folder or a CTranslate2 export of one (engine: auto | torch | ctranslate2)."""
    run_dir = Path(run_dir)
    if (src_file is None) != (ref_file is None):
        raise DataError("Give both --src FILE and --ref FILE, or neither (then --split is used).")
    tr = Translator.load(run_dir, engine=engine)
    if src_file is not None:
        src, ref, src_ids, ref_ids = file_data(tr, src_file, ref_file)
    else:
        src, ref, src_ids, ref_ids = split_data(run_dir, split)
    if not src:
        raise DataError("Nothing to evaluate: no sentences.")
    keep = [i for i in range(len(src)) if src[i].strip() and len(src_ids[i]) > 1]
    start = time.perf_counter()
    hyps = tr.translate([src[i] for i in keep], beam=beam, batch_size=batch_size)
    seconds = time.perf_counter() - start
    texts = [""] * len(src)
    for i, h in zip(keep, hyps):
        texts[i] = h.text
    result = scores(texts, ref, lowercase=tr.tgt_tok.lowercase)  # the run's tokenizer.json says whether it lowercases
    src_rows, ref_rows = [np.asarray(src_ids[i]) for i in keep], [np.asarray(ref_ids[i]) for i in keep]
    if tr.model is None:  # CTranslate2 scores the references itself
        loss = tr.engine.loss(src_rows, ref_rows, batch_size)
    else:
        loss = evaluate_loss(tr.model, make_batch_loss(None), make_loader(Seq2SeqDataset(src_rows, ref_rows),
                             batch_size, train=False), next(tr.model.parameters()).device)["loss"]
    result.update(loss=loss, ppl=perplexity(loss), sentences=len(src), beam=beam, seconds=round(seconds, 2),
                  source=f"{src_file} / {ref_file}" if src_file else f"{split} split",
                  engine="torch" if tr.model is not None else "ctranslate2")
    return result


