import json

import pytest
import torch

from wordbridge.errors import CheckpointError
from wordbridge.train.runstate import RunFiles


def test_save_tags_checkpoints_and_latest_writes_the_history(tmp_path):
    files = RunFiles(tmp_path / "run", "loss", kind="toy", model_args={"h": 2}, config={"train": {"lr": 1.0}})
    with pytest.raises(CheckpointError, match="Nothing to resume"):
        files.read_latest()
    history = {"train": [{"step": 3, "loss": 1.0}], "valid": [{"step": 3, "loss": 0.5}]}
    model = torch.nn.Linear(2, 1)
    files.save("best.pt", history, model=model, step=3)
    assert files.saved_step == -1 and not files.history_path.exists()  # best.pt alone writes no history
    files.save("latest.pt", history, model=model, step=3)
    assert files.saved_step == 3 and json.loads(files.history_path.read_text()) == history
    ckpt = files.read_latest()
    assert ckpt["kind"] == "toy" and ckpt["model_args"] == {"h": 2} and ckpt["config"] == {"train": {"lr": 1.0}}
    with pytest.raises(CheckpointError, match="expected 'other'"):
        RunFiles(tmp_path / "run", kind="other").read_latest()
    assert files.load_history(2) == {"train": [], "valid": []}
