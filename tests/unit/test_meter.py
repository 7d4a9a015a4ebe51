import torch

from wordbridge.train.meter import LossMeter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_item_weighted_loss_and_items_per_second_on_a_moved_clock():
    clock = Clock()
    meter = LossMeter(clock, world_size=2)
    assert meter.empty
    meter.add(torch.tensor(1.0), 10)
    meter.add(torch.tensor(4.0), torch.tensor(30.0))  # n_items may be a tensor
    clock.now += 8.0
    loss, rate = meter.read()
    assert loss == (1.0 * 10 + 4.0 * 30) / 40 and rate == 40 * 2 / 8.0
    assert meter.empty  # a read starts a new window


def test_skipped_time_is_left_out_of_the_rate():
    clock = Clock()
    meter = LossMeter(clock)
    meter.add(torch.tensor(2.0), 5)
    clock.now += 105.0
    meter.skip_time(100.0)  # e.g. a validation
    assert meter.read() == (2.0, 1.0)
