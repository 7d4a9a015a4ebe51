"""Server-side micro-batching of translation requests: an asyncio queue and ONE worker thread.

Requests are queued as jobs. A collector coroutine takes the first job, waits `max_wait_ms` for others to arrive
(or not at all when the queue already holds a full batch), groups the jobs by (beam, attention), and decodes each
group as one batch in the worker thread. While the worker decodes, new jobs pile up in the queue, so batches grow
with load: throughput rises with concurrency instead of requests waiting in line one by one.

With `enabled=False` every job is decoded on its own (same queue, same thread): the baseline the load benchmark
compares against.
"""

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

log = logging.getLogger(__name__)

TranslateFn = Callable[[list[str], int, bool], Sequence[Any]]


class Overloaded(RuntimeError):
    """The queue is full: the caller should answer 503."""


@dataclasses.dataclass
class _Job:
    texts: list[str]
    beam: int
    attention: bool
    future: asyncio.Future


@dataclasses.dataclass
class BatchStats:
    batches: int = 0
    texts: int = 0
    largest: int = 0

    def record(self, n: int) -> None:
        self.batches += 1
        self.texts += n
        self.largest = max(self.largest, n)


class MicroBatcher:
    """Collects concurrent `submit` calls for a few ms and runs `fn(texts, beam, attention)` once per group."""

    def __init__(
        self,
        fn: TranslateFn,
        max_batch: int = 32,
        max_wait_ms: float = 5.0,
        enabled: bool = True,
        max_queue: int = 1024,
    ):
        if max_batch < 1 or max_wait_ms < 0 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1 and max_wait_ms >= 0")
        self.fn = fn
        self.max_batch = max_batch if enabled else 1
        self.max_wait = max_wait_ms / 1000.0 if enabled else 0.0
        self.enabled = enabled
        self.max_queue = max_queue
        self.stats = BatchStats()
        self._executor: ThreadPoolExecutor | None = None
        self.open()
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- life cycle ------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Create the worker thread's executor (again, after close())."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wordbridge-translate")

    def start(self) -> None:
        """Start the collector on the running event loop (idempotent; restarts on a new loop)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self._queue = asyncio.Queue()
        self._task = loop.create_task(self._collect(), name="wordbridge-batcher")

    async def stop(self) -> None:
        """Cancel the collector and fail the jobs still queued."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        while self._queue is not None and not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(Overloaded("server is shutting down"))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # ---- requests --------------------------------------------------------------------------------------------
    @property
    def queued(self) -> int:
        """Requests waiting for the worker (not counting the batch it is decoding)."""
        return 0 if self._queue is None else self._queue.qsize()

    async def submit(self, texts: list[str], beam: int = 1, attention: bool = False) -> list[Any]:
        """Translate `texts` as part of the next batch; returns one result per text, in order."""
        if not texts:
            return []
        self.open()
        self.start()
        assert self._queue is not None
        if self.queued >= self.max_queue:
            raise Overloaded(f"translation queue is full ({self.max_queue} requests)")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(list(texts), beam, attention, future))
        return await future

    async def _collect(self) -> None:
        assert self._queue is not None
        while True:
            jobs = [await self._queue.get()]
            if self.max_wait > 0 and self._queue.qsize() < self.max_batch - 1:
                await asyncio.sleep(self.max_wait)  # let concurrent requests join this batch
            n_texts = len(jobs[0].texts)
            while not self._queue.empty() and n_texts < self.max_batch:
                job = self._queue.get_nowait()
                jobs.append(job)
                n_texts += len(job.texts)
            for group in _group(jobs):
                await self._run_group(group)

    async def _run_group(self, jobs: list[_Job]) -> None:
        jobs = [job for job in jobs if not job.future.done()]  # skip requests whose client went away
        if not jobs:
            return
        texts = [text for job in jobs for text in job.texts]
        beam, attention = jobs[0].beam, jobs[0].attention
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self.fn, texts, beam, attention)
            if len(results) != len(texts):
                raise RuntimeError(f"translator returned {len(results)} results for {len(texts)} texts")
        except Exception as exc:  # handed to each waiting request; the app maps it to a response
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        self.stats.record(len(texts))
        log.debug("decoded a batch of %d texts from %d requests", len(texts), len(jobs))
        start = 0
        for job in jobs:
            end = start + len(job.texts)
            if not job.future.done():
                job.future.set_result(list(results[start:end]))
            start = end


def _group(jobs: list[_Job]) -> list[list[_Job]]:
    """Jobs with the same (beam, attention), in arrival order of each group's first job."""
    groups: dict[tuple[int, bool], list[_Job]] = {}
    for job in jobs:
        groups.setdefault((job.beam, job.attention), []).append(job)
    return list(groups.values())
