"""`wordbridge evaluate`: BLEU/chrF of detokenised output against raw references, masked loss and perplexity."""

import logging
import time
from pathlib import Path

import numpy as np

from wordbridge.config import read_yaml
from wordbridge.errors import DataError
from wordbridge.text.batching import Seq2SeqDataset, make_loader
from wordbridge.text.lines import read_lines
from wordbridge.text.prepared import PreparedData
from wordbridge.text.testsets import read_testset
from wordbridge.train.loop import evaluate_loss
from wordbridge.translate.confidence import confidence_report
from wordbridge.translate.loss import make_batch_loss
from wordbridge.translate.metrics import cased_and_uncased, perplexity
from wordbridge.translate.model import find_checkpoint, load_model
from wordbridge.translate.translator import Translator

log = logging.getLogger(__name__)


def split_data(run_dir: Path, split: str) -> tuple[list[str], list[str], list, list, list[str] | None]:
    """(src lines, ref lines, src ids, ref ids, sources) of a split of the prepared folder the run was trained on."""
    folder = Path(read_yaml(run_dir / "config.yaml").get("data", {}).get("out", ""))
    if not (folder / "stats.json").is_file():
        raise DataError(f"The prepared folder {folder} of {run_dir} is missing; use --src FILE --ref FILE.")
    data = PreparedData.load(folder)
    src, ref = data.raw(split)
    src_ids, ref_ids = data.split(split)
    return (src, ref, [src_ids[i] for i in range(len(src_ids))], [ref_ids[i] for i in range(len(ref_ids))],
            data.sources(split))


def encoded(tr: Translator, src: list[str], ref: list[str]) -> tuple[list, list]:
    """Ids of raw lines in the run's own vocabularies (for text that was not prepared with them)."""
    src_ids = [tr.encode(line)[1] for line in src]
    ref_ids = [tr.tgt_vocab.encode(tr.tgt_tok.tokenize(line)[: 4 * tr.max_src_tokens]) for line in ref]
    return src_ids, ref_ids


def file_data(tr: Translator, src_file: str, ref_file: str) -> tuple[list[str], list[str], list, list, None]:
    src, ref = read_lines(src_file), read_lines(ref_file)
    if len(src) != len(ref):
        raise DataError(f"{src_file} has {len(src)} lines but {ref_file} has {len(ref)}; they must be aligned.")
    return src, ref, *encoded(tr, src, ref), None


def prepared_data(tr: Translator, folder: str | Path, split: str) -> tuple[list[str], list[str], list, list, list]:
    """A split of ANOTHER prepared folder (e.g. a wider corpus), re-encoded with the run's vocabularies."""
    data = PreparedData.load(folder)
    src, ref = data.raw(split)
    return src, ref, *encoded(tr, src, ref), data.sources(split)


def testset_data(tr: Translator, name: str) -> tuple[list[str], list[str], list, list, None]:
    """A named test-only set (text/testsets.py: tuxpaint), encoded with the run's vocabularies."""
    pairs = read_testset(name)
    src, ref = [fr for fr, _ in pairs], [en for _, en in pairs]
    return src, ref, *encoded(tr, src, ref), None


def by_source(texts: list[str], ref: list[str], sources: list[str] | None) -> dict[str, dict]:
    """{source: {bleu, chrf, bleu_uncased, chrf_uncased, sentences}} for a split that remembers each pair's source
    (empty when it does not)."""
    if not sources or len(sources) != len(ref):
        return {}
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(sources):
        groups.setdefault(name, []).append(i)
    return {name: {**cased_and_uncased([texts[i] for i in idx], [ref[i] for i in idx]),
                   "sentences": len(idx)} for name, idx in groups.items()}


def evaluate(run_dir: str | Path, split: str = "test", src_file: str | None = None, ref_file: str | None = None,
             beam: int = 1, batch_size: int = 64, engine: str = "auto", prepared: str | Path | None = None,
             int8: bool = False, testset: str | None = None, confidence: bool = False) -> dict:
    """-> {"bleu", "chrf", "bleu_uncased", "chrf_uncased", "loss", "ppl", "sentences", "beam", "int8", "seconds",
    "source", "engine", "by_source"} (+ "confidence" when asked: translate/confidence.py's report over the translated
    sentences). BLEU/chrF are case-sensitive; the `_uncased` figures ignore case.

    run_dir: a run folder or a CTranslate2 export of one (engine: auto | torch | ctranslate2). `prepared`: score the
    split of another prepared folder instead of the run's own. `by_source` holds BLEU/chrF per source corpus when the
    split remembers them (a `default` corpus does), else it is empty. `int8`: decode with the dynamic int8 copy of the
    torch model (translate/quantize.py); the teacher-forced loss and perplexity stay those of the float weights.
    `testset`: a named test-only set (text/testsets.py, e.g. tuxpaint) instead of a split."""
    run_dir = Path(run_dir)
    if (src_file is None) != (ref_file is None):
        raise DataError("Give both --src FILE and --ref FILE, or neither (then --split is used).")
    if testset is not None and (src_file is not None or prepared is not None):
        raise DataError("Give --testset, --src/--ref or --prepared, not several.")
    tr = Translator.load(run_dir, device="cpu" if int8 else None, engine=engine, int8=int8)
    if testset is not None:
        src, ref, src_ids, ref_ids, sources = testset_data(tr, testset)
    elif src_file is not None:
        src, ref, src_ids, ref_ids, sources = file_data(tr, src_file, ref_file)
    elif prepared is not None:
        src, ref, src_ids, ref_ids, sources = prepared_data(tr, prepared, split)
    else:
        src, ref, src_ids, ref_ids, sources = split_data(run_dir, split)
    if not src:
        raise DataError("Nothing to evaluate: no sentences.")
    keep = [i for i in range(len(src)) if src[i].strip() and len(src_ids[i]) > 1]
    start = time.perf_counter()
    hyps = tr.translate([src[i] for i in keep], beam=beam, batch_size=batch_size)
    seconds = time.perf_counter() - start
    texts = [""] * len(src)
    for i, h in zip(keep, hyps):
        texts[i] = h.text
    result = cased_and_uncased(texts, ref)
    src_rows, ref_rows = [np.asarray(src_ids[i]) for i in keep], [np.asarray(ref_ids[i]) for i in keep]
    if tr.model is None:  # CTranslate2 scores the references itself
        loss = tr.engine.loss(src_rows, ref_rows, batch_size)
    else:
        model = load_model(find_checkpoint(run_dir), "cpu")[0] if int8 else tr.model
        loss = evaluate_loss(model, make_batch_loss(None), make_loader(Seq2SeqDataset(src_rows, ref_rows),
                             batch_size, train=False), next(model.parameters()).device)["loss"]
    where = f"{src_file} / {ref_file}" if src_file else f"{split} split" + (f" of {prepared}" if prepared else "")
    where = f"test set {testset}" if testset else where
    result.update(loss=loss, ppl=perplexity(loss), sentences=len(src), beam=beam, int8=int8, seconds=round(seconds, 2),
                  source=where, engine="torch" if tr.model is not None else "ctranslate2",
                  by_source=by_source(texts, ref, sources))
    if confidence:  # per translated sentence, in the order of `keep`; its Spearman correlation with sentence chrF
        report = confidence_report([src[i] for i in keep], [texts[i] for i in keep], [ref[i] for i in keep],
                                   tr.tgt_tok.lowercase)
        result["confidence"] = dict(report, lines=[i + 1 for i in keep])
    return result


