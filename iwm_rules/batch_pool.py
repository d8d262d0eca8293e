"""Reading evidence files away from the main process: local worker processes or a Dask cluster.

A reader that dies with its process (a Rust panic on a hostile workbook aborts the whole
process, DESIGN §8) must cost only that file. Files go to workers in chunks (~50 files per
task, DESIGN §9). When a worker dies, the pool is broken: the chunks that had finished are
kept, a new pool is started, and every file of the unfinished chunks is read again one at a
time, so the file that kills its worker again is the only one that fails.

Each task returns plain, picklable parts (data frames, file reports, errors as tuples); the
caller merges them in the order of the files, so the result does not depend on which worker
read what, or when.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .model import Mapping, Ruleset

#: files per worker task (DESIGN §9: one file per task was ~50% slower)
CHUNK_FILES = 50
#: test-only: a worker process calls os.abort() when it is about to read a file of this name
#: (simulates a reader that kills its process; never acts in the main process)
TEST_ABORT_ENV = "IWM_RULES_TEST_ABORT_ON_FILE"
#: test-only: a worker process sleeps for an hour at a file of this name (simulates a reader that hangs)
TEST_HANG_ENV = "IWM_RULES_TEST_HANG_ON_FILE"
_TEST_ENVS = (TEST_ABORT_ENV, TEST_HANG_ENV)
CRASH_REASON = ("the reader crashed its worker process (abort or out of memory) while reading this file; "
                "the file is probably damaged or far too large: open it in Excel and save it again")
#: seconds without any task finishing after which the local workers are stopped (a reader hangs)
TASK_TIMEOUT = 600.0
EXECUTORS = ("process", "dask")


@dataclass(frozen=True)
class ReadJob:
    """What every worker needs to read and validate a file (picklable)."""

    rulesets: tuple[Ruleset, ...]
    project: str | None = None
    layout: str = "auto"
    limits: object = None  # evidence.raw.Limits | None
    mappings: tuple[Mapping, ...] = ()
    #: bridge / use_bridge / legend keywords of ``load_evidence`` (``api.evidence_options``)
    evidence_options: dict | None = None


@dataclass
class FilePart:
    """Files read and validated together: accepted and rejected rows, their reports, errors, warnings."""

    index: int  # position of the (first) file in the sorted input list
    table: object  # pandas.DataFrame
    rejected: object
    reports: list
    errors: list[tuple[str, str, str]]  # (path, message, limit name or '')
    warnings: list[dict]


class WorkerDied(Exception):
    """The process (or Dask worker) running a task died, or was stopped because it hung."""

    def __init__(self, reason: str = CRASH_REASON):
        super().__init__(reason)
        self.reason = reason


def read_files(items: list[tuple[int, str]], job: ReadJob) -> list[FilePart]:
    """Worker task: read and validate the files (index, path) of a chunk together (one
    vectorized validation for the chunk); a failure is that file's error. Should reading them
    together fail on an odd file, they are read again one by one, so that only that file fails."""
    from .evidence import load_evidence

    abort_on, hang_on = os.environ.get(TEST_ABORT_ENV), os.environ.get(TEST_HANG_ENV)
    in_worker = bool(abort_on or hang_on) and multiprocessing.parent_process() is not None
    hooks = (lambda path: _test_hooks(Path(path).name, abort_on, hang_on)) if in_worker else None

    def load(paths: list[str]):
        return load_evidence(paths, list(job.rulesets), project=job.project, layout=job.layout, limits=job.limits,
                             mappings=job.mappings, before_file=hooks, **(job.evidence_options or {}))

    def part(index: int, ev) -> FilePart:
        return FilePart(index, ev.table, ev.rejected, ev.files,
                        [(e.path, e.message, getattr(e, "limit", "") or "") for e in ev.errors], ev.warnings)

    if len(items) > 1:
        try:
            return [part(items[0][0], load([path for _, path in items]))]
        except Exception:  # noqa: BLE001 - a defect on one odd file: find it below, keep the others
            pass
    out = []
    for index, path in items:
        try:
            out.append(part(index, load([path])))
        except Exception as exc:  # a defect on one odd file must not cost the other files of the chunk
            out.append(FilePart(index, None, None, [], [(path, f"cannot be read: {_one_line(exc)}", "")], []))
    return out


def _test_hooks(name: str, abort_on: str | None, hang_on: str | None) -> None:
    """Test-only misbehaviour of a worker process (see TEST_ABORT_ENV and TEST_HANG_ENV)."""
    if name == abort_on:
        import faulthandler

        faulthandler.disable()  # the expected crash needs no stack dump
        os.abort()
    if name == hang_on:
        import time

        time.sleep(3600)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def chunked(items: list, size: int = CHUNK_FILES) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def read_all(paths: list[str], job: ReadJob, *, jobs: int | None = None, executor: str = "process",
             scheduler: str | None = None, on_done: Callable[[int], None] | None = None,
             chunk_files: int | None = None, timeout: float = TASK_TIMEOUT) -> tuple[list[FilePart], dict[int, str]]:
    """(parts of the files that were read, {index: reason} of the files whose reader crashed or hung).

    ``timeout``: local workers that finish no task for this many seconds are stopped, and a
    file that alone takes longer fails as hung."""
    items = list(enumerate(paths))
    chunks = chunked(items, chunk_files or CHUNK_FILES)
    done = on_done or (lambda n: None)
    runner = _DaskRunner(scheduler) if executor == "dask" else _ProcessRunner(jobs, timeout)
    parts: list[FilePart] = []
    crashed: dict[int, str] = {}
    try:
        retry: list[tuple[int, str]] = []
        for chunk, result in runner.map(chunks, job):
            if chunk is None:
                done(0)
            elif isinstance(result, WorkerDied):
                retry.extend(chunk)
            else:
                parts.extend(result)
                done(len(chunk))
        for item in sorted(retry):  # one file per task: only the file that kills its worker fails
            try:
                parts.extend(runner.one([item], job))
            except WorkerDied as exc:
                crashed[item[0]] = exc.reason
            done(1)
    finally:
        runner.close()
    return sorted(parts, key=lambda p: p.index), crashed


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    """fork while this process has a single thread (workers start at once, nothing re-imported);
    otherwise the fork server, since forking a multi-threaded process can deadlock the child.
    With the fork server (and spawn), a script calling run_batch needs the usual
    ``if __name__ == "__main__":`` guard."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _init_worker(test_envs: dict[str, str | None]) -> None:
    """Ctrl-C is the main process's to handle (it stops the pool); workers forked from the fork
    server see the caller's current test-only setting, not the server's."""
    import signal

    from .gcpause import reset_in_child

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reset_in_child()  # forked from a command that pauses the collector: a worker collects its own garbage
    for key, value in test_envs.items():
        if value:
            os.environ[key] = value
        else:
            os.environ.pop(key, None)


class _ProcessRunner:
    """A local ProcessPoolExecutor, replaced by a new one whenever a worker dies."""

    def __init__(self, jobs: int | None, timeout: float = TASK_TIMEOUT):
        self.jobs = jobs or default_jobs()
        self.timeout = timeout
        self.pool: ProcessPoolExecutor | None = None

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        if self.pool is None:
            ctx = multiprocessing.get_context(_start_method())
            if ctx.get_start_method() == "forkserver":
                ctx.set_forkserver_preload(["iwm_rules.batch_pool", "iwm_rules.evidence"])
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                            initargs=({k: os.environ.get(k) for k in _TEST_ENVS},))
        return self.pool

    def _kill(self) -> None:
        """Stop every worker of the pool (its futures then fail as a broken pool)."""
        processes = getattr(self.pool, "_processes", None) or {}  # CPython's pid -> Process of the pool
        for proc in list(processes.values()):
            proc.kill()

    def _reset(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def map(self, chunks: list[list], job: ReadJob) -> Iterator[tuple[list, object]]:
        pool = self._pool(min(self.jobs, max(1, len(chunks))))
        futures = {pool.submit(read_files, chunk, job): chunk for chunk in chunks}
        yield None, None  # submitted: the workers exist now
        broken = False
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=self.timeout, return_when=FIRST_COMPLETED)
            if not finished:  # nothing finished for `timeout` seconds: a reader hangs
                self._kill()
                continue
            for fut in sorted(finished, key=lambda f: futures[f][0][0]):
                try:
                    yield futures[fut], fut.result()
                except BrokenProcessPool:
                    broken = True
                    yield futures[fut], WorkerDied()
        if broken:
            self._reset()

    def one(self, items: list, job: ReadJob) -> list[FilePart]:
        pool = self._pool(1)
        try:
            return pool.submit(read_files, items, job).result(timeout=self.timeout)
        except FutureTimeout:
            self._kill()
            self._reset()
            raise WorkerDied(f"reading this file took longer than {self.timeout:g} s; the worker was stopped "
                             "(the file may be damaged or far too large)") from None
        except BrokenProcessPool:
            self._reset()
            raise WorkerDied() from None

    def close(self) -> None:
        self._reset()


class _DaskRunner:
    """Chunks sent to a Dask distributed scheduler (``--executor dask --scheduler ADDRESS``)."""

    def __init__(self, scheduler: str | None):
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError("--executor dask needs Dask distributed: pip install 'iwm-rules[dask]'") from None
        if not scheduler:
            raise ValueError("--executor dask needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
        try:
            self.client = Client(scheduler, set_as_default=False)  # connect timeout: distributed.comm.timeouts.connect
        except OSError as exc:
            raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None

    def map(self, chunks: list[list], job: ReadJob) -> Iterator[tuple[list, object]]:
        from distributed import as_completed

        job_future = self.client.scatter(job, broadcast=True)
        futures = {self.client.submit(read_files, chunk, job_future, pure=False): chunk for chunk in chunks}
        yield None, None  # submitted
        for fut in as_completed(list(futures), loop=self.client.loop):
            try:
                yield futures[fut], fut.result()
            except Exception as exc:  # KilledWorker: the task's worker died (repeatedly)
                if type(exc).__name__ != "KilledWorker":
                    raise
                yield futures[fut], WorkerDied()

    def one(self, items: list, job: ReadJob) -> list[FilePart]:
        try:
            return self.client.submit(read_files, items, job, pure=False).result()
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                raise WorkerDied() from None
            raise

    def close(self) -> None:
        self.client.close()
