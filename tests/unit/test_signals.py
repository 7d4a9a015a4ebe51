import os
import signal

import pytest

from wordbridge.train.signals import Interrupts, graceful_stop


def test_first_signal_is_counted_second_aborts_and_handlers_are_restored():
    before = signal.getsignal(signal.SIGINT)
    interrupts = Interrupts(is_main=False)
    with graceful_stop(interrupts):
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupts.count == 1
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert interrupts.count == 2 and signal.getsignal(signal.SIGINT) is before
