"""serve/microbatch.py: concurrent requests are decoded together, in order, grouped by (beam, attention)."""

import asyncio
import threading
import time

import pytest

from wordbridge.serve.microbatch import MicroBatcher, Overloaded

DEADLINE_S = 60  # generous: only a broken batcher waits this long


class Recorder:
    """fn(texts, beam, attention) that sleeps a little and records each call and its thread."""

    def __init__(self, sleep_s: float = 0.02, fail_on: str | None = None):
        self.sleep_s = sleep_s
        self.fail_on = fail_on
        self.calls: list[tuple[int, int, bool]] = []
        self.threads: set[str] = set()

    def __call__(self, texts, beam, attention):
        self.calls.append((len(texts), beam, attention))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.sleep_s)
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError("boom")
        return [f"{t}|{beam}|{attention}" for t in texts]


async def _until(condition, what: str) -> None:
    """Let the event loop run until condition() holds; fail after DEADLINE_S (no fixed sleeps, no timing race)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.001)


async def _burst(batcher: MicroBatcher, requests):
    batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit(*r) for r in requests), return_exceptions=True)
    finally:
        await batcher.stop()
        batcher.close()


def test_concurrent_requests_share_batches_and_keep_order():
    fn = Recorder()
    requests = [([f"s{i}"], 1, False) for i in range(20)] + [(["a", "b", "c"], 1, False)]
    results = asyncio.run(_burst(MicroBatcher(fn, max_batch=32, max_wait_ms=10), requests))
    assert results[:20] == [[f"s{i}|1|False"] for i in range(20)]
    assert results[20] == ["a|1|False", "b|1|False", "c|1|False"]
    assert len(fn.calls) < 5  # 21 requests, a handful of decoder calls
    assert max(n for n, _, _ in fn.calls) > 1
    assert sum(n for n, _, _ in fn.calls) == 23
    assert len(fn.threads) == 1  # one worker thread


def test_batches_respect_max_batch():
    fn = Recorder(sleep_s=0.01)
    requests = [([f"s{i}"], 1, False) for i in range(30)]
    asyncio.run(_burst(MicroBatcher(fn, max_batch=8, max_wait_ms=10), requests))
    assert max(n for n, _, _ in fn.calls) <= 8
    assert sum(n for n, _, _ in fn.calls) == 30


def test_disabled_batching_decodes_one_request_at_a_time():
    fn = Recorder(sleep_s=0.005)
    requests = [([f"s{i}"], 1, False) for i in range(10)]
    results = asyncio.run(_burst(MicroBatcher(fn, enabled=False), requests))
    assert [n for n, _, _ in fn.calls] == [1] * 10
    assert results == [[f"s{i}|1|False"] for i in range(10)]


def test_groups_by_beam_and_attention():
    fn = Recorder()
    requests = [([f"s{i}"], 1 + i % 2, i % 3 == 0) for i in range(12)]
    results = asyncio.run(_burst(MicroBatcher(fn, max_wait_ms=10), requests))
    for i, result in enumerate(results):
        assert result == [f"s{i}|{1 + i % 2}|{i % 3 == 0}"]
    assert sum(n for n, _, _ in fn.calls) == 12
    assert len(fn.calls) >= 4  # four (beam, attention) groups, never mixed in one call


def test_error_reaches_its_batch_only_and_batcher_survives():
    fn = Recorder(fail_on="bad")

    async def scenario():
        batcher = MicroBatcher(fn, max_wait_ms=5)
        batcher.start()
        with pytest.raises(ValueError, match="boom"):
            await batcher.submit(["bad"])
        ok = await batcher.submit(["fine"])
        await batcher.stop()
        batcher.close()
        return ok

    assert asyncio.run(scenario()) == ["fine|1|False"]


def test_wrong_result_count_is_an_error():
    async def scenario():
        batcher = MicroBatcher(lambda texts, beam, att: ["only one"], max_wait_ms=0)
        with pytest.raises(RuntimeError, match="2 texts"):
            await batcher.submit(["a", "b"])
        await batcher.stop()
        batcher.close()

    asyncio.run(scenario())


def test_full_queue_raises_overloaded():
    """The worker holds "a" until the test releases it, so "b" surely waits in the queue when "c" arrives."""
    busy, release = threading.Event(), threading.Event()

    def fn(texts, beam, attention):
        busy.set()
        release.wait(DEADLINE_S)
        return [f"{t}|{beam}|{attention}" for t in texts]

    async def scenario():
        batcher = MicroBatcher(fn, max_wait_ms=0, max_queue=1)
        first = asyncio.ensure_future(batcher.submit(["a"]))
        await _until(busy.is_set, "the worker to start on 'a'")  # the worker is busy with "a"
        second = asyncio.ensure_future(batcher.submit(["b"]))
        await _until(lambda: batcher.queued == 1, "'b' to be queued")  # "b" waits in the queue
        with pytest.raises(Overloaded):
            await batcher.submit(["c"])
        release.set()
        assert await first == ["a|1|False"]
        assert await second == ["b|1|False"]
        await batcher.stop()
        batcher.close()

    asyncio.run(scenario())


def test_empty_input_gives_empty_output_without_a_call():
    fn = Recorder()

    async def scenario():
        batcher = MicroBatcher(fn)
        out = await batcher.submit([])
        batcher.close()
        return out

    assert asyncio.run(scenario()) == []
    assert fn.calls == []


def test_bad_settings_rejected():
    with pytest.raises(ValueError):
        MicroBatcher(lambda *a: [], max_batch=0)


def test_batcher_reopens_after_close():
    fn = Recorder(sleep_s=0)

    async def scenario():
        batcher = MicroBatcher(fn, max_wait_ms=0)
        first = await batcher.submit(["a"])
        await batcher.stop()
        batcher.close()
        second = await batcher.submit(["b"])  # a new loop/executor after close
        await batcher.stop()
        batcher.close()
        return first, second

    assert asyncio.run(scenario()) == (["a|1|False"], ["b|1|False"])
