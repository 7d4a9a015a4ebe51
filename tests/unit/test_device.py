import dataclasses
import random
from typing import NamedTuple

import numpy as np
import torch

from wordbridge.train.device import set_seed, to_device


class Pair(NamedTuple):
    a: torch.Tensor
    b: list


@dataclasses.dataclass
class Batch:
    src: torch.Tensor
    n: int


def test_to_device_walks_containers():
    meta = torch.device("meta")
    moved = to_device({"x": Pair(torch.zeros(2), [torch.ones(1), 3]), "y": Batch(torch.zeros(1), 4)}, meta)
    assert moved["x"].a.device.type == "meta" and moved["x"].b[0].device.type == "meta" and moved["x"].b[1] == 3
    assert isinstance(moved["x"], Pair) and isinstance(moved["y"], Batch)
    assert moved["y"].src.device.type == "meta" and moved["y"].n == 4


def test_set_seed_seeds_python_numpy_and_torch():
    set_seed(3)
    first = (random.random(), float(np.random.rand()), float(torch.rand(())))
    set_seed(3)
    assert (random.random(), float(np.random.rand()), float(torch.rand(()))) == first
