"""Backups and multi-worker training: what they cost, side by side in one run.

1. **Cost of backups**: samples/s of ``Trainer(loop="custom").fit`` with
   ``backup_dir`` and ``backup_every=100`` or ``"epoch"`` vs without, on the
   MNIST-shaped MLP of the trainer benchmark and the MNIST CNN
   (``tfs.models.cnn((28, 28), classes=10)``); the three settings alternate
   call by call on one Trainer (A/B/C, the order rotating every round).
2. **Writing and restoring one backup** of the MNIST CNN (and the MLP): the
   time of `RunBackup.save`, of reading it back (`RunBackup.load`, which
   checks every tensor, and `Restored.apply`), of a whole resume through
   ``Trainer.fit``, and of re-reading the batches a mid-epoch resume skips.
3. **Two workers vs one process**: ``python -m tfstarter.launch --workers 2``
   running ``benchmarks/_worker_run.py`` vs the same script as one process,
   alternating; the all-reduce time of one set of gradients; the scaling
   arithmetic for N machines.

    python benchmarks/backups.py          # full run: writes docs/benchmarks/backups.md
    python benchmarks/backups.py --quick  # a smoke run of a few minutes: prints only
    python benchmarks/backups.py --sections cost save   # some sections only

``--quick`` lets the whole-step rule decide after a few steps instead of
2000, runs little data and writes nothing (unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tfstarter as tfs
from _machine import machine, median_paired_ratio, write_page
from _trainer_contenders import (
    compiled,
    deciding_epochs,
    describe_xla,
    shorten_whole_step_rule,
    whole_step_min_steps,
)
from tfstarter.training import _backup
from tfstarter.training._engine import auto_steps_per_execution

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks" / "backups.md"
WORKER = Path(__file__).resolve().parent / "_worker_run.py"
BATCH = 32
MNIST_TRAIN = 60_000
MNIST_STEPS = -(-MNIST_TRAIN // BATCH)
"""Steps of one MNIST epoch at batch 32 (1,875): the per-epoch backup of a
real run comes this often."""
QUICK_WHOLE_STEP_STEPS = 64
GOAL = 0.03
"""The backups' goal: at most 3% fewer samples/s."""


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def mnist_shaped(samples: int, batch: int = BATCH) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=samples)
    return tfs.data.from_arrays(x, y, batch_size=batch, rescale=1 / 255)


def mnist_cnn() -> keras.Model:
    """The MNIST CNN of the models guide: ``tfs.models.cnn`` with its defaults."""
    return tfs.models.cnn((28, 28), classes=10, seed=0)


MODELS: dict[str, Callable[[], keras.Model]] = {
    "MLP": lambda: compiled("MLP"),
    "MNIST CNN": mnist_cnn,
}


def parameters(model: keras.Model) -> int:
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"tfstarter-bench-{prefix}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------
# 1. The cost of backups


@dataclass(frozen=True)
class CostSize:
    """How much data one timed ``fit`` call of a cost contender trains."""

    samples: int
    epochs: int


COST_SIZES = {"MLP": CostSize(12_800, 3), "MNIST CNN": CostSize(6_400, 1)}
QUICK_COST_SIZES = {"MLP": CostSize(1_024, 2), "MNIST CNN": CostSize(256, 1)}
COST_ROUNDS = 9

SETTINGS: dict[str, dict[str, Any]] = {
    "no backups": {},
    "backup_every=100": {"backup_every": 100},
    'backup_every="epoch"': {"backup_every": "epoch"},
}


class SaveCounter:
    """Counts `RunBackup.save` calls (the backups a ``fit`` call wrote)."""

    def __init__(self) -> None:
        self.count = 0
        self._save = _backup.RunBackup.save

    def __enter__(self) -> SaveCounter:
        original = self._save

        def save(backup: Any, *args: Any, **kwargs: Any) -> None:
            self.count += 1
            original(backup, *args, **kwargs)

        _backup.RunBackup.save = save  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        _backup.RunBackup.save = self._save  # type: ignore[method-assign]


@dataclass
class CostRun:
    """One model's Trainer and data; `call` times one ``fit`` with a setting."""

    trainer: tfs.Trainer
    data: tf.data.Dataset
    epochs: int
    folder: Path

    def call(self, label: str) -> tuple[float, int]:
        """Seconds of one ``fit`` call with `SETTINGS` ``label``, and its backups."""
        options = SETTINGS[label]
        if options:
            options = {**options, "backup_dir": self.folder / "backup"}
        if (self.folder / "backup").exists():
            raise RuntimeError("a backup was left behind: the call would resume it")
        with SaveCounter() as saves:
            start = time.perf_counter()
            self.trainer.fit(self.data, epochs=self.epochs, verbose=0, **options)
            seconds = time.perf_counter() - start
        return seconds, saves.count


def cost_rows(sizes: dict[str, CostSize], rounds: int) -> tuple[str, str]:
    """Samples/s with each of `SETTINGS`, alternating on one Trainer per model.

    Returns the table and, in words, what the whole-step rule chose.
    """
    chosen = []
    lines = [
        "| model | steps per epoch | backups | backups per call | samples/s (median) "
        "| paired vs none | overhead | ms per backup | one backup per MNIST "
        f"epoch ({MNIST_STEPS:,} steps) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = list(SETTINGS)
    for name, size in sizes.items():
        data = mnist_shaped(size.samples)
        steps = int(data.cardinality())
        trainer = tfs.Trainer(MODELS[name](), "custom")
        # As a user's first real run: one fit call long enough for the
        # whole-step rule to decide, then one untimed call per setting (the
        # first backup builds the checkpoint's save functions).
        trainer.fit(data, epochs=deciding_epochs(data), verbose=0)
        chose = describe_xla(trainer.xla)
        chosen.append(f"for the {name}, {chose}")
        seconds: dict[str, list[float]] = {label: [] for label in labels}
        saves: dict[str, int] = {}
        with scratch("cost") as folder:
            run = CostRun(trainer, data, size.epochs, folder)
            for label in labels:
                run.call(label)
            for round_index in range(rounds):
                shift = round_index % len(labels)
                for label in labels[shift:] + labels[:shift]:
                    took, saves[label] = run.call(label)
                    seconds[label].append(took)
        lines += _cost_lines(name, steps, size, seconds, saves)
        log(f"cost {name}: done ({chose})")
    return "\n".join(lines), "; ".join(chosen)


def _cost_lines(
    name: str,
    steps: int,
    size: CostSize,
    seconds: dict[str, list[float]],
    saves: dict[str, int],
) -> list[str]:
    samples = size.samples * size.epochs
    none = seconds["no backups"]
    step_seconds = statistics.median(none) / (steps * size.epochs)
    lines = []
    for label, times in seconds.items():
        rates = [samples / s for s in times]
        ratio = median_paired_ratio(rates, [samples / s for s in none])
        count = saves.get(label, 0)
        if count:
            extra = statistics.median(a - b for a, b in zip(times, none, strict=True))
            per_backup = extra / count
            cost = f"{per_backup * 1e3:.0f}"
            epoch_cost = f"{per_backup / (MNIST_STEPS * step_seconds):.2%}"
        else:
            cost = epoch_cost = "—"
        lines.append(
            f"| {name} | {steps} | {label} | {count} "
            f"| {statistics.median(rates):,.0f} | {ratio:.3f}x "
            f"| {1 - ratio:+.1%} | {cost} | {epoch_cost} |"
        )
    return lines


# --------------------------------------------------------------------------
# 2. Writing and restoring one backup

SAVE_REPEATS = 10
QUICK_SAVE_REPEATS = 3


def _position(trained: int) -> _backup.Position:
    return _backup.Position(
        epoch=1, batch=0, iterators=1, read=0, seen=0, held=False, trained=trained
    )


def save_rows(repeats: int, *, samples: int, skip_batches: int) -> str:
    """Time writing, reading back and resuming one backup of each model."""
    lines = [
        "| model | parameters | backup on disk | first write (ms) | write (ms) "
        "| read and check (ms) | put back (ms) | resume through fit (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    data = mnist_shaped(samples)
    for name in ("MNIST CNN", "MLP"):
        model = MODELS[name]()
        tfs.Trainer(model, "custom").fit(data, verbose=0)  # builds the slots
        with scratch("save") as folder:
            backup = _backup.RunBackup(
                folder,
                model=model,
                identity=_backup.fingerprint(model, data.element_spec, None),
            )
            history = [model.history] if model.history is not None else []
            start = time.perf_counter()
            backup.save(_position(1), history)
            first = time.perf_counter() - start
            writes = []
            for index in range(repeats):
                start = time.perf_counter()
                backup.save(_position(2 + index), history)
                writes.append(time.perf_counter() - start)
            newest = tf.train.latest_checkpoint(str(folder))
            size = sum(p.stat().st_size for p in folder.glob(Path(newest).name + ".*"))
            reads, applies = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                restored = backup.load()
                reads.append(time.perf_counter() - start)
                assert restored is not None
                start = time.perf_counter()
                restored.apply(history)
                applies.append(time.perf_counter() - start)
        resume = resume_seconds(name, data, max(2, repeats // 2))
        lines.append(
            f"| {name} | {parameters(model):,} | {size / 1e6:.1f} MB "
            f"| {first * 1e3:.0f} | {statistics.median(writes) * 1e3:.0f} "
            f"| {statistics.median(reads) * 1e3:.0f} "
            f"| {statistics.median(applies) * 1e3:.0f} | {resume * 1e3:.0f} |"
        )
        log(f"save {name}: done")
    skip = skip_seconds(skip_batches)
    return "\n".join(lines) + (
        f"\n\nA resume in the middle of an epoch also puts the data stream back "
        f"by reading again the batches of that epoch already trained: "
        f"{skip:.2f} s for {skip_batches:,} batches of {BATCH} "
        f"({skip_batches / MNIST_STEPS:.0%} of an MNIST epoch) of a shuffled "
        f"`tfs.data.from_arrays` pipeline of {MNIST_TRAIN:,} MNIST-shaped samples."
    )


def resume_seconds(name: str, data: tf.data.Dataset, repeats: int) -> float:
    """Seconds of a resume through ``Trainer.fit`` (median of ``repeats``).

    The whole first ``fit`` call of a fresh Trainer on the backup of a run
    that had finished (``keep_backup=True``): it finds the backup, checks and
    restores everything, and has nothing left to train. (``fit`` refuses
    ``epochs=0``, so there is no call without a backup to subtract; this is
    an upper bound of the restore.)
    """

    def fresh() -> tfs.Trainer:
        # The same layer names as the run that wrote the backup (its
        # fingerprint holds the variables' paths).
        keras.backend.clear_session()
        return tfs.Trainer(MODELS[name](), "custom")

    with scratch("resume") as folder:
        fresh().fit(data, epochs=1, verbose=0, backup_dir=folder, keep_backup=True)
        times = []
        for _ in range(repeats):
            resumed = fresh()
            start = time.perf_counter()
            resumed.fit(data, epochs=1, verbose=0, backup_dir=folder, keep_backup=True)
            times.append(time.perf_counter() - start)
            if int(resumed.model.optimizer.iterations) != int(data.cardinality()):
                raise RuntimeError("the resumed Trainer did not restore the backup")
    return statistics.median(times)


def skip_seconds(batches: int) -> float:
    """Time to read ``batches`` batches of a shuffled MNIST-sized pipeline."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(MNIST_TRAIN, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=MNIST_TRAIN)
    data = tfs.data.from_arrays(
        x, y, batch_size=BATCH, shuffle=True, seed=0, rescale=1 / 255
    )
    start = time.perf_counter()
    iterator = iter(data)
    for _ in range(batches):
        next(iterator)
    return time.perf_counter() - start


# --------------------------------------------------------------------------
# 3. Two workers vs one process


@dataclass(frozen=True)
class WorkerRun:
    """One configuration of the worker script."""

    model: str
    samples: int
    global_batch: int
    epochs: int
    rounds: int

    def arguments(self, out: Path) -> list[str]:
        """The script and its arguments, writing into ``out``."""
        return [
            str(WORKER),
            "--model",
            self.model,
            "--out",
            str(out),
            "--samples",
            str(self.samples),
            "--global-batch",
            str(self.global_batch),
            "--epochs",
            str(self.epochs),
            "--rounds",
            str(self.rounds),
        ]


# Each timed call stays under the rule's 2000 steps, so the one process runs
# the same plain step as the workers (a strategy rules whole-step XLA out).
WORKER_RUNS = [WorkerRun("MLP", 64_000, 64, 1, 5), WorkerRun("CNN", 6_400, 64, 1, 3)]
QUICK_WORKER_RUNS = [WorkerRun("MLP", 2_048, 64, 1, 2)]
WORKER_REPEATS = 3
WORKER_TIMEOUT = 1_800


def _run_worker_script(run: WorkerRun, workers: int) -> tuple[dict[str, Any], float]:
    """Run the script as one process (``workers=1``) or through the launcher."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    with scratch("workers") as out:
        command = [sys.executable, *run.arguments(out)]
        if workers > 1:
            command[1:1] = ["-m", "tfstarter.launch", "--workers", str(workers), "--"]
        start = time.perf_counter()
        done = subprocess.run(
            command,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        name = "single" if workers == 1 else "worker0"
        result: dict[str, Any] = json.loads((out / f"{name}.json").read_text())
    return result, wall


def worker_rows(runs: list[WorkerRun], repeats: int) -> tuple[str, str]:
    """The two-workers-vs-one table and the scaling arithmetic."""
    lines = [
        "| model | global batch | run | samples/s (median) | best "
        "| vs one process (paired) | command wall time (s) | XLA |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    arithmetic = [
        "| model | parameters | all-reduce bytes per step "
        "| compute per step, one process (ms) "
        "| all-reduce, 2 workers on this machine (ms) | ratio "
        "| N=2 | N=4 | N=8 | N=16 "
        "| N=8 at 10 Gb/s | N=8 at 1 Gb/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        rates: dict[int, list[float]] = {1: [], 2: []}
        medians: dict[int, list[float]] = {1: [], 2: []}
        walls: dict[int, list[float]] = {1: [], 2: []}
        results: dict[int, dict[str, Any]] = {}
        for repeat in range(repeats):
            order = (1, 2) if repeat % 2 == 0 else (2, 1)
            for workers in order:
                result, wall = _run_worker_script(run, workers)
                results[workers] = result
                rates[workers] += result["rates"]
                medians[workers].append(statistics.median(result["rates"]))
                walls[workers].append(wall)
                rate = statistics.median(result["rates"])
                log(f"workers {run.model} x{workers}: {rate:,.0f} samples/s")
        ratio = median_paired_ratio(medians[2], medians[1])
        for workers, label in ((1, "one process"), (2, "2 workers (launcher)")):
            lines.append(
                f"| {run.model} | {run.global_batch} | {label} "
                f"| {statistics.median(rates[workers]):,.0f} "
                f"| {max(rates[workers]):,.0f} "
                f"| {ratio if workers == 2 else 1.0:.2f}x "
                f"| {statistics.median(walls[workers]):.0f} "
                f"| {_short_xla(results[workers]['xla'])} |"
            )
        params = results[1]["parameters"]
        data_bytes = 4 * params
        compute = run.global_batch / statistics.median(rates[1])
        reduce = results[2]["all_reduce_median"]

        # The measured all-reduce is for N=2; a ring's traffic per machine
        # grows as 2(N-1)/N, so scale it by (N-1)/N over 1/2.
        scaled = {n: reduce * 2 * (n - 1) / n for n in (2, 4, 8, 16)}
        arithmetic.append(
            f"| {run.model} | {params:,} | {data_bytes / 1e6:.2f} MB "
            f"| {compute * 1e3:.1f} | {reduce * 1e3:.1f} | {reduce / compute:.2f} "
            + " ".join(f"| {speed_up(n, scaled[n], compute)}" for n in (2, 4, 8, 16))
            + f" | {speed_up(8, ring(8, data_bytes, 10e9 / 8), compute)}"
            + f" | {speed_up(8, ring(8, data_bytes, 1e9 / 8), compute)} |"
        )
    return "\n".join(lines), "\n".join(arithmetic)


def speed_up(machines: int, all_reduce: float, compute: float) -> str:
    """``N / (1 + all-reduce time / compute time)``, in words."""
    return f"{machines / (1 + all_reduce / compute):.1f}x"


def ring(machines: int, data_bytes: float, bandwidth: float) -> float:
    """Seconds of a ring all-reduce: 2(N-1)/N of the bytes through each machine."""
    return 2 * (machines - 1) / machines * data_bytes / bandwidth


def _short_xla(reason: str) -> str:
    """`tfstarter.Trainer.xla`'s reason, in a few words for a table."""
    update = "no XLA update" if "update is not XLA" in reason else "XLA update"
    if "whole-step XLA chosen" in reason:
        return f"{update}; whole-step XLA"
    if "whole-step XLA undecided" in reason:
        return f"{update}; whole step undecided (calls under 2000 steps)"
    if "no whole-step XLA: " in reason:
        return (
            f"{update}; no whole-step XLA ({reason.split('no whole-step XLA: ', 1)[1]})"
        )
    return f"{update}; plain step"


# --------------------------------------------------------------------------

DOC_TEMPLATE = """# Backups and multi-worker training

What `Trainer.fit(..., backup_dir=...)` costs, how long one backup takes to
write and to restore, and what two worker processes cost against one on
this machine, with the arithmetic for N machines. Produced by
`python benchmarks/backups.py`; every section ran in the same session.

**Machine:** {machine}

**Load:** the 1-minute load average was {load_start} when the run started and
{load_end} when it ended, on {cores} cores; above {cores}, other work was
competing for the CPU and every number below is pessimistic and noisy.

## The cost of backups

`Trainer(loop="custom")` with its defaults, batch {batch}, Adam, on
MNIST-shaped data (uint8 28x28 images scaled to [0, 1], 10 classes): the
MLP of the [trainer benchmark](trainer.md) ({mlp_samples:,} samples,
{mlp_epochs} epochs per timed `fit` call) and the MNIST CNN of the models
guide, `tfs.models.cnn((28, 28), classes=10)` ({cnn_samples:,} samples,
{cnn_epochs} epoch per call). Each model has one Trainer, warmed up as a
user's first real run would be (one `fit` call of at least {min_steps}
steps, in which the whole-step XLA rule decides: {chose}); then its three
settings alternate call by call for {rounds} rounds, the order rotating
every round. Each timed call is a whole `fit` with a fresh backup folder,
removed at its end (`keep_backup=False`, the default): everything a user
pays. The paired ratio is the median over rounds of the setting's
samples/s over those of the call without backups in the same round; the
goal is an overhead of at most 3%. "ms per backup" is the median extra time
per call divided by the backups it wrote, and the last column what that
costs a run that writes one backup per MNIST epoch ({mnist_steps:,} steps
at batch {batch}). With `backup_every=100` the custom loop runs
{spe_backup} steps per compiled call instead of {spe} (its automatic steps
per call divide `backup_every`, so that every backup lands exactly on its
step); that is part of the cost measured here.

{cost}

A backup costs a fixed time (it grows with the parameters, not with the
data), so its share of the run is that time over the training time between
two backups: small for a per-epoch backup of a real epoch, large for
`backup_every=100` on a model whose 100 steps take a fraction of a second.
Choose `backup_every` so that a backup comes every minute or so of
training; a kill then loses at most that much.

## Writing and restoring one backup

One backup of each model after an epoch of training (the weights, Adam's
two slots per weight, the metrics' state, the random generators and the
run's position), written by `RunBackup.save` through
`tf.train.CheckpointManager` into a local temporary folder: the first write
(which builds the checkpoint's save functions), then the median of
{repeats} more. Reading it back is `RunBackup.load` (finds the newest
backup, reads its metadata and reads every tensor once so that a damaged
file fails before anything is changed) and `Restored.apply` (assigns every
variable and the generators). "Resume through fit" is the whole resume a
user sees: the whole first `fit(backup_dir=...)` call of a fresh Trainer on
the backup of a run that had finished (it checks and restores everything and
has nothing left to train; an upper bound of the restore).

{save}

## Two workers vs one process

The same script, `benchmarks/_worker_run.py`, run as one process and as two
workers through `python -m tfstarter.launch --workers 2` on this machine
(each worker its own `TF_CONFIG`, `MultiWorkerMirroredStrategy` over
localhost), alternating, {worker_repeats} times each. It trains
`Trainer(loop="custom")` with its defaults on MNIST-shaped data in global
batches of {global_batch} (each worker {half_batch} of them), times a few
`fit` calls after an untimed epoch, and reports global samples per second.
"Command wall time" includes starting Python, importing TensorFlow and, for
the workers, setting up the collective ops. Each timed call is shorter than
{min_steps} steps, so one process runs the same plain step as the workers
(under a strategy whole-step XLA is ruled out; in a longer call one process
would also get whole-step XLA, up to about 1.5x faster, see the
[trainer benchmark](trainer.md)).

{workers}

This machine has {cores} cores: one process uses both, two workers one
each, so two workers cannot be faster here; what the table shows is the
price of distribution itself (the all-reduce of every gradient over gRPC,
the coordination, the split batches), which is what a real multi-machine
run pays on top of its compute.

### Scaling to N machines

With each machine training its own batch of {global_batch} per step, a step
costs the compute of one batch ({compute_words}) plus the all-reduce of the
gradients: every trainable parameter once, 4 bytes each (float32). So

    speed-up ≈ N / (1 + all-reduce time / compute time)

The all-reduce column is the median time of one all-reduce (sum) of tensors
shaped like the gradients between the two workers above, measured over
localhost on this machine; a ring all-reduce moves 2(N-1)/N of the
bytes through each machine, so N=4, 8, 16 scale it by that. The last two
columns use the bandwidth alone instead, 2(N-1)/N x bytes / bandwidth (no
latency: a lower bound for the all-reduce, an upper bound for the speed-up).

{arithmetic}

Reading it: a model whose all-reduce takes a fraction of its compute
scales almost linearly; where the ratio nears 1, half the time goes to
communication and more machines help little. Larger batches per machine
raise the compute per step and so the speed-up; gradient compression or a
faster network lower the all-reduce.

Timings on a shared machine are noisy; rerun on a quiet one before comparing
numbers from different runs.
"""

SECTIONS = ("cost", "save", "workers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small, fast smoke run; writes no page"
    )
    parser.add_argument(
        "--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS)
    )
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"the page to write (default {DOC.relative_to(ROOT)}, only for a "
        "full run of every section; with --quick, none unless given)",
    )
    args = parser.parse_args(argv)
    everything = set(args.sections) == set(SECTIONS)
    output = args.output or (DOC if everything and not args.quick else None)
    if args.quick:
        shorten_whole_step_rule(QUICK_WHOLE_STEP_STEPS)
        log(
            f"--quick: whole-step XLA is decided after {QUICK_WHOLE_STEP_STEPS} "
            f"steps instead of 2000; the numbers mean nothing"
        )
    load_start = _load()
    print(f"Machine: {machine()}", flush=True)
    sizes = QUICK_COST_SIZES if args.quick else COST_SIZES
    parts = dict.fromkeys(SECTIONS, "(not run)")
    chose = "not run"
    if "cost" in args.sections:
        rounds = args.rounds or (1 if args.quick else COST_ROUNDS)
        parts["cost"], chose = cost_rows(sizes, rounds)
        print(f"\n{parts['cost']}\n\nwhole-step rule: {chose}", flush=True)
    repeats = QUICK_SAVE_REPEATS if args.quick else SAVE_REPEATS
    if "save" in args.sections:
        parts["save"] = save_rows(
            repeats,
            samples=512 if args.quick else 2_560,
            skip_batches=32 if args.quick else MNIST_STEPS // 2,
        )
        print(f"\n{parts['save']}", flush=True)
    runs = QUICK_WORKER_RUNS if args.quick else WORKER_RUNS
    arithmetic = "(not run)"
    if "workers" in args.sections:
        parts["workers"], arithmetic = worker_rows(
            runs, 1 if args.quick else WORKER_REPEATS
        )
        print(f"\n{parts['workers']}\n\n{arithmetic}", flush=True)
    if output is None:
        return 0
    global_batch = runs[0].global_batch
    write_page(
        output,
        DOC_TEMPLATE.format(
            machine=machine(),
            load_start=load_start,
            load_end=_load(),
            cores=os.cpu_count(),
            batch=BATCH,
            mlp_samples=sizes["MLP"].samples,
            mlp_epochs=sizes["MLP"].epochs,
            cnn_samples=sizes["MNIST CNN"].samples,
            cnn_epochs=sizes["MNIST CNN"].epochs,
            min_steps=whole_step_min_steps(),
            chose=chose,
            rounds=args.rounds or (1 if args.quick else COST_ROUNDS),
            mnist_steps=MNIST_STEPS,
            spe=tfs.training.AUTO_STEPS_PER_EXECUTION,
            spe_backup=auto_steps_per_execution(None, 100),
            cost=parts["cost"],
            repeats=repeats,
            save=parts["save"],
            worker_repeats=1 if args.quick else WORKER_REPEATS,
            global_batch=global_batch,
            half_batch=global_batch // 2,
            workers=parts["workers"],
            compute_words="measured in one process, in the table below",
            arithmetic=arithmetic,
        ),
    )
    log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
