"""Trainer speed: samples/s of the two Trainer loops, model.fit and a hand loop.

Every contender trains the same model on the same MNIST-shaped data (random
uint8 images 28x28 scaled to [0, 1], 10 classes; the values do not affect the
speed) through the same ``tf.data`` pipeline, side by side in one process.
Contenders are timed a few epochs per call, interleaved in rounds (the order
rotates every round), after an untimed warm-up that traces everything (for
the custom loop with its defaults, one ``fit`` call of at least 2000 steps, in
which ``jit_compile="auto"`` decides on whole-step XLA); the table shows the
best and the median samples/s over the rounds.

    python benchmarks/trainer.py          # full run: writes docs/benchmarks/trainer.md
    python benchmarks/trainer.py --quick  # a smoke run of a few minutes: prints only

``--quick`` lets the whole-step rule decide after a few steps instead of
2000, runs one round of everything on little data and writes nothing (unless
``--output`` is given).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tfstarter as tfs
from _machine import machine, median_paired_ratio, write_page
from _trainer_contenders import (
    Contender,
    contenders,
    describe_xla,
    hand_loop,
    plain_fit,
    shorten_whole_step_rule,
    trainer,
    whole_step_min_steps,
)

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks" / "trainer.md"
SAMPLES = {"MLP": 12_800, "CNN": 2_560}
QUICK_SAMPLES = {"MLP": 1_024, "CNN": 128}
QUICK_WHOLE_STEP_STEPS = 64
"""``--quick`` only: the whole-step rule decides in a call of this many steps."""


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def mnist_shaped(samples: int, batch: int) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=samples)
    return tfs.data.from_arrays(x, y, batch_size=batch, rescale=1 / 255)


def measure(
    runs: list[Contender], samples: int, rounds: int, epochs: int
) -> dict[str, list[float]]:
    for run in runs:
        run.warm_up()
    rates: dict[str, list[float]] = {run.label: [] for run in runs}
    for round_index in range(rounds):
        shift = round_index % len(runs)
        for run in runs[shift:] + runs[:shift]:
            start = time.perf_counter()
            run.epochs(epochs)
            rates[run.label].append(epochs * samples / (time.perf_counter() - start))
    return rates


def paired_ratio(rates: dict[str, list[float]], label: str, baseline: str) -> float:
    """`median_paired_ratio` of ``label`` over ``baseline``, paired by round."""
    return median_paired_ratio(rates[label], rates[baseline])


def table(
    results: list[tuple[str, int, list[Contender], dict[str, list[float]]]],
) -> str:
    fit_label = "plain model.fit"
    hand_label = "hand-written tf.function loop"
    lines = [
        "| model | batch | contender | settings | samples/s (best) | median "
        "| vs plain fit | paired | vs hand loop | paired |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, batch, runs, rates in results:
        best = {label: max(values) for label, values in rates.items()}
        for run in runs:
            rate = best[run.label]
            median = statistics.median(rates[run.label])
            lines.append(
                f"| {name} | {batch} | {run.label} | {run.settings} | {rate:,.0f} "
                f"| {median:,.0f} | {rate / best[fit_label]:.2f}x "
                f"| {paired_ratio(rates, run.label, fit_label):.2f}x "
                f"| {rate / best[hand_label]:.2f}x "
                f"| {paired_ratio(rates, run.label, hand_label):.2f}x |"
            )
    return "\n".join(lines)


PAIR_ROUNDS = 15
MLP_PAIR_ROUNDS = 61
"""The MLP's pairs ask for 2% at one step per call, under this machine's
round-to-round noise (about 5%); an MLP epoch takes under a second, so they
run four times the rounds."""


def mlp_rounds(rounds: int) -> int:
    """The rounds of an MLP pair when the others run ``rounds``."""
    return max(rounds, MLP_PAIR_ROUNDS * rounds // PAIR_ROUNDS)


@dataclass
class Pair:
    """Two contenders timed alone against each other, alternating call by call."""

    question: str
    name: str
    batch: int
    baseline: Callable[[tf.data.Dataset], Contender]
    candidate: Callable[[tf.data.Dataset], Contender]


PAIRS = [
    Pair(
        "the fit loop's wrapping (the same step and settings: no XLA, no guard)",
        "MLP",
        32,
        lambda data: plain_fit("MLP", data),
        lambda data: trainer(
            "MLP",
            data,
            loop="fit",
            steps_per_execution=1,
            jit_compile=False,
            on_non_finite="ignore",
        ),
    ),
    Pair(
        "the fit loop at one step per call, otherwise its defaults",
        "MLP",
        32,
        lambda data: plain_fit("MLP", data),
        lambda data: trainer("MLP", data, loop="fit", steps_per_execution=1),
    ),
    Pair(
        "the NaN guard without XLA, at one step per call",
        "MLP",
        32,
        lambda data: plain_fit("MLP", data),
        lambda data: trainer(
            "MLP", data, loop="fit", steps_per_execution=1, jit_compile=False
        ),
    ),
    *(
        Pair(
            "the custom loop's defaults vs Keras' defaults",
            name,
            batch,
            lambda data, name=name: plain_fit(name, data),
            lambda data, name=name: trainer(name, data, loop="custom"),
        )
        for name, batch in (("CNN", 32), ("CNN", 128))
    ),
    Pair(
        "the custom loop's defaults vs the hand-written loop",
        "CNN",
        128,
        lambda data: hand_loop("CNN", data),
        lambda data: trainer("CNN", data, loop="custom"),
    ),
    *(
        Pair(
            "jit_compile='auto' vs False (the XLA update, and the whole step "
            "where the rule chose it)",
            name,
            32,
            lambda data, name=name: trainer(
                name, data, loop="custom", jit_compile=False
            ),
            lambda data, name=name: trainer(name, data, loop="custom"),
        )
        for name in ("MLP", "CNN")
    ),
]


def pair_rows(rounds: int, sizes: dict[str, int]) -> str:
    """Time every `PAIRS` entry, one epoch per call; return the table."""
    lines = [
        "| question | model | batch | rounds | baseline | samples/s (median) "
        "| candidate | samples/s (median) | paired ratio |",
        "|---|---|---:|---:|---|---:|---|---:|---:|",
    ]
    for pair in PAIRS:
        samples = sizes[pair.name]
        data = mnist_shaped(samples, pair.batch)
        runs = [pair.baseline(data), pair.candidate(data)]
        pair_rounds = mlp_rounds(rounds) if pair.name == "MLP" else rounds
        rates = measure(runs, samples, pair_rounds, epochs=1)
        base, cand = (run.label for run in runs)
        lines.append(
            f"| {pair.question} | {pair.name} | {pair.batch} | {pair_rounds} | {base} "
            f"| {statistics.median(rates[base]):,.0f} | {cand} "
            f"| {statistics.median(rates[cand]):,.0f} "
            f"| {paired_ratio(rates, cand, base):.3f}x |"
        )
        print(f"pair {pair.name} {pair.batch}: done", file=sys.stderr, flush=True)
    return "\n".join(lines)


FIRST_CALL_EPOCHS = {"MLP": 100, "CNN": 35}
"""Epochs of the first ``fit`` call: 40-50 s of training here, a short real run
(40,000 and 2,800 steps at batch 32: past the rule's 2000, and long enough for
``"autotune"`` to start its trial, which needs 30 s of training left)."""
QUICK_FIRST_CALL_EPOCHS = {"MLP": 2, "CNN": 16}

FIRST_CALL_SETTINGS: tuple[bool | str, ...] = (False, "auto", "autotune")


def first_call_rows(sizes: dict[str, int], epochs_of: dict[str, int]) -> str:
    """Time a fresh Trainer's first ``fit`` call under each `FIRST_CALL_SETTINGS`."""
    lines = [
        "| model | batch | epochs (steps) | jit_compile=False (s) "
        "| jit_compile=auto (s) | auto / False | what auto chose "
        "| jit_compile=autotune (s) | autotune / False | what autotune chose |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for name in ("MLP", "CNN"):
        batch, epochs = 32, epochs_of[name]
        data = mnist_shaped(sizes[name], batch)
        steps = epochs * int(data.cardinality())
        seconds: dict[bool | str, float] = {}
        chose: dict[bool | str, str] = {}
        for jit in FIRST_CALL_SETTINGS:
            run = trainer(name, data, loop="custom", jit_compile=jit)
            start = time.perf_counter()
            run.epochs(epochs)
            seconds[jit] = time.perf_counter() - start
            assert run.trainer is not None
            chose[jit] = describe_xla(run.trainer.xla)
        lines.append(
            f"| {name} | {batch} | {epochs} ({steps:,}) | {seconds[False]:.1f} "
            f"| {seconds['auto']:.1f} | {seconds['auto'] / seconds[False]:.2f} "
            f"| {chose['auto']} | {seconds['autotune']:.1f} "
            f"| {seconds['autotune'] / seconds[False]:.2f} | {chose['autotune']} |"
        )
        print(f"first call {name}: done", file=sys.stderr, flush=True)
    return "\n".join(lines)


DOC_TEMPLATE = """# Trainer speed

Training samples per second, timed over {epochs} epochs per call on
{samples} MNIST-shaped samples (uint8 28x28 images scaled to [0, 1], 10
classes), Adam, sparse categorical cross-entropy from logits, accuracy
metric; {rounds} interleaved rounds after an untimed warm-up that traces
every compiled function. For `Trainer(loop="custom")` with its defaults the
warm-up is one `fit` call of at least {min_steps} steps, as a user's first
real run would be: `jit_compile="auto"` decides on whole-step XLA in the
first `fit` call that long, by a fixed rule read from the traced step's ops
(never from a clock, so a seeded run repeats exactly); the settings column
says what it chose. The "vs" columns compare the best round of each
contender (the least disturbed by anything else running on the machine);
each "paired" column beside them is the median, over rounds, of the ratio of
the two contenders' rates in the same round, which cancels the slow drifts in
this machine's speed. Produced by `python benchmarks/trainer.py`.

**Machine:** {machine}

**Load:** the 1-minute load average was {load_start} when the run started and
{load_end} when it ended, on {cores} cores; above {cores}, other work was
competing for the CPU and every number below is pessimistic and noisy.

The first four rows of each block are the headline contenders, each with its
defaults: plain `model.fit` (Keras' defaults: `steps_per_execution=1`, and no
XLA on a machine without a GPU), the two Trainer loops (tfstarter's defaults:
`steps_per_execution="auto"`, which runs {auto} steps per compiled call when
no callback listens to the per-batch hooks, as here with `verbose=0`; and
`jit_compile="auto"`, which XLA-compiles the optimizer's weight update on its
own, and in the custom loop the whole step where the step draws no random
numbers and holds no op measured slower under XLA on a CPU — pooling, batch
normalization, and convolutions where TensorFlow runs its oneDNN
kernels), and the loop of TensorFlow's custom-training guide (one
`tf.function` call per batch). The next rows compare like with like:
`model.fit` with the same {auto} steps per call, and the Trainer loops with
`jit_compile=False` (Keras' own update), with and without one step per call,
then the fit loop at one step per call with its other defaults (the
XLA-compiled update, the NaN guard on).
Then two rows compile the whole step with XLA (`jit_compile=True`), which
Keras leaves off by default on a machine without a GPU, and the last two are
the custom loop with its defaults and the fit loop at one step per call
with the NaN guard off (`on_non_finite='ignore'`).

Every contender reads the same `tfs.data.from_arrays` pipeline, which turns
tf.data's autotuner off: with it on, dropping each epoch's iterator stalls
every contender alike (see the [pipeline benchmark](pipeline.md)).

{table}

How to read it:

- `Trainer(loop="custom")` vs `plain model.fit`: what a user gets by default
  (target: at least 1.2x at batch 32 and 1.0x at batch 128).
- `Trainer(loop="custom")` vs `hand-written tf.function loop`: target at
  least 0.98x.
- `Trainer(loop="custom")` vs `Trainer(loop="custom", jit_compile=False)`: what
  `jit_compile="auto"` adds: the XLA-compiled weight update, and the whole
  step under XLA where the rule chose it (the same results as Keras' step,
  to rounding).
- `Trainer(loop="custom", jit_compile=False)` vs `plain model.fit (spe)`: the
  same step, {auto} steps per call in both.
- `Trainer(loop="custom", spe=1, jit_compile=False)` vs `plain model.fit`: the
  same settings; the difference is the loop itself (batches read inside the
  graph, no per-batch Python work when no callback listens).
- `Trainer(loop="fit", spe=1, jit_compile=False, on_non_finite='ignore')` vs
  `plain model.fit`: the cost of the Trainer's wrapping of `model.fit` (the
  same step, installed for the call).
- `Trainer(loop="fit", spe=1)` vs `plain model.fit`: the fit loop at one
  step per call with its other defaults (the XLA-compiled update, with the
  NaN guard's weight check inside it): what a user who needs every batch's
  hook gets (target: within 2%, see the pairs below).
- The rows with `on_non_finite='ignore'` vs the same rows without: the price
  of the default NaN guard (the loss, every gradient and every weight
  checked each step, and the old weights held to put back). With the
  XLA-compiled update (`jit_compile="auto"`) the loss and the gradients are
  checked first, in the graph, and the update runs only where they are
  finite; the weight check and the put-back are compiled with the update,
  where the old weights cost no copy. With `jit_compile=False` the checks
  are separate ops, a copy of every weight among them
  (`Trainer(loop="fit", spe=1, jit_compile=False)`).
- `Trainer(loop="custom", jit_compile=True)` vs `plain model.fit (XLA)`: the
  two with the whole step forced under XLA (it then compiles once per batch
  shape, draws dropout masks from its own generator, and not every op has an
  XLA kernel; "auto" uses it only for a step without random numbers).

## Pairs, A/B

The table above rotates thirteen contenders, so any two of them are timed tens of
seconds apart and the machine's speed drifts in between. For the questions
the targets ask, two contenders at a time alternate alone, call by call, in
the same run: {pair_rounds} rounds of one epoch each ({mlp_pair_rounds} for the MLP's
pairs, whose epochs are short), after the same warm-up
as above. The paired ratio is the median over rounds of the candidate's rate
over the baseline's in the same round.

{pairs}

## First fit call

What a fresh `Trainer(loop="custom")` costs in its first, realistic `fit`
call of about 45 s (batch 32, {first_epochs}), tracing and compiling
included: with `jit_compile=False`, with the default `"auto"` (which
compiles the whole step with XLA at the start of this call where its rule
says so) and with the opt-in `"autotune"` (which runs the plain step until
it has measured its pace, then times rounds of each form against the other
and keeps the faster; two runs may choose differently, so it is not
repeatable, and not the default). Each setting is a fresh model and Trainer.

{first}

Timings on a shared machine are noisy; rerun on a quiet one before comparing
numbers from different runs.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small, fast smoke run; writes no page"
    )
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--models", nargs="+", default=["MLP", "CNN"])
    parser.add_argument("--batches", nargs="+", type=int, default=[32, 128])
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"the page to write (default {DOC.relative_to(ROOT)}; "
        "with --quick, none unless given)",
    )
    args = parser.parse_args(argv)
    output = args.output or (None if args.quick else DOC)
    load_start = _load()
    if args.quick:
        shorten_whole_step_rule(QUICK_WHOLE_STEP_STEPS)
        print(
            f"--quick: whole-step XLA is decided after {QUICK_WHOLE_STEP_STEPS} "
            f"steps instead of 2000; the numbers mean nothing",
            file=sys.stderr,
        )
    rounds = args.rounds or (1 if args.quick else 7)
    epochs = 2 if args.quick else 3
    sizes = dict(QUICK_SAMPLES if args.quick else SAMPLES)
    if args.samples:
        sizes = dict.fromkeys(sizes, args.samples)
    results = []
    for name in args.models:
        samples = sizes[name]
        for batch in args.batches:
            data = mnist_shaped(samples, batch)
            runs = contenders(name, data, like_for_like=not args.quick)
            rates = measure(runs, samples, rounds, epochs)
            results.append((name, batch, runs, rates))
            print(f"{name} batch {batch}: done", file=sys.stderr, flush=True)
    text = table(results)
    print(f"Machine: {machine()}\n\n{text}", flush=True)
    pair_rounds = 2 if args.quick else PAIR_ROUNDS
    pairs = pair_rows(pair_rounds, sizes)
    print(f"\n{pairs}", flush=True)
    first_epochs = QUICK_FIRST_CALL_EPOCHS if args.quick else FIRST_CALL_EPOCHS
    first = first_call_rows(sizes, first_epochs)
    print(f"\n{first}", flush=True)
    if output is None:
        return 0
    write_page(
        output,
        DOC_TEMPLATE.format(
            samples=", ".join(f"{n:,} ({m})" for m, n in sizes.items()),
            rounds=rounds,
            epochs=epochs,
            min_steps=whole_step_min_steps(),
            machine=machine(),
            table=text,
            pairs=pairs,
            first=first,
            first_epochs=" and ".join(
                f"{n} epochs for the {m}" for m, n in first_epochs.items()
            ),
            pair_rounds=pair_rounds,
            mlp_pair_rounds=mlp_rounds(pair_rounds),
            auto=tfs.training.AUTO_STEPS_PER_EXECUTION,
            load_start=load_start,
            load_end=_load(),
            cores=os.cpu_count(),
        ),
    )
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
