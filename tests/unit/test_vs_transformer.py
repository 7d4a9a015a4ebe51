"""benchmarks/vs_transformer.py without training anything: arguments and the side-by-side table."""

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    try:
        mods = {}
        for name in ("common", "vs_joeynmt_peer", "vs_joeynmt_wordbridge", "vs_transformer"):
            spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
            mods[name] = importlib.util.module_from_spec(spec)
            sys.modules[name] = mods[name]
            spec.loader.exec_module(mods[name])
        yield argparse.Namespace(**mods)
    finally:
        sys.path.remove(str(BENCH))


def test_table_has_every_engine_and_the_agreement_rows(bench, tmp_path):
    vt, peer = bench.vs_transformer, bench.vs_joeynmt_peer
    args = vt.parse_args(["--minutes", "2", "--work", str(tmp_path), "--threads", "1"])
    assert args.out == tmp_path / "table.md" and args.test_sentences == 1000
    runs = {a: peer.TrainStats(a, tmp_path / a, 120.0, None, 100, 2**30, None, 500.0) for a in ("gru", "transformer")}
    hyps = {"gru": ["a b", "c"], "transformer": ["x y", "z"], "ct2-float32": ["x y", "z"], "ct2-int8": ["x y", "w"]}
    dec = {}
    for beam in (1, args.beam):
        for name, h in hyps.items():
            dec[(name, beam)] = peer.DecodeStats(name, beam, 2, 0.5, h, bleu=10.0, chrf=30.0)
    (tmp_path / "transformer-ct2-int8").mkdir()
    (tmp_path / "transformer-ct2-int8" / "model.bin").write_bytes(b"0" * 2**20)
    folders = {"gru": tmp_path / "gru", "transformer": tmp_path / "transformer",
               "ct2-float32": tmp_path / "none", "ct2-int8": tmp_path / "transformer-ct2-int8"}
    info = {"date": "2026-11-30 12:00 UTC", "cpu": "test cpu", "cores": 2, "physical_cores": 2, "ram_gib": 8.0,
            "os": "Linux", "python": "3.11", "load_avg_1m": 0.1}
    table = vt.build_table(args, info, runs, dec, {"gru": 2e6, "transformer": 3e6}, folders, 2)
    assert "Transformer (CT2 int8)" in table and "`python benchmarks/vs_transformer.py --minutes 2" in table
    row = next(line for line in table.splitlines() if line.startswith("| outputs identical to torch Transformer, greedy"))
    assert [c.strip() for c in row.split("|")[2:6]] == ["-", "100.0", "100.0", "50.0"]
    size = next(line for line in table.splitlines() if line.startswith("| model file"))
    assert size.split("|")[5].strip() == "1.0"
