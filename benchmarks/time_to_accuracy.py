"""Time to accuracy: how long until the model is good, tfstarter's recipes vs anchors.

Trains, side by side in one run on MNIST and Fashion-MNIST, the seed
tutorial's CNN, the keras.io "simple MNIST convnet", the tutorial's dense
network, and tfstarter's `cnn` / `dense` with their recipes, under plain
``model.fit`` and through ``recipe.fit`` (a `tfs.Trainer` with its defaults),
several seeds each with the contenders alternating; reports the median test
accuracy, the training wall time, samples/s, and the training FLOP/s as a
share of the machine's measured float32 matmul rate. Then times the default
CNN's training under other settings (oneDNN, XLA, threads, batch size), each
in its own process.

    python benchmarks/time_to_accuracy.py          # full run, rewrites the docs page
    python benchmarks/time_to_accuracy.py --quick  # smoke test, about a minute
    python benchmarks/time_to_accuracy.py --anchor-seeds 1  # anchors once each

The anchors (the tutorials' and keras.io's recipes) take most of the run's
time (the tutorial CNN alone about 13 minutes per dataset on 2 cores), and
their accuracy is not what the targets judge; ``--anchor-seeds`` trains them
fewer times than tfstarter's contenders, and the page says so.

Data comes from ``$TFSTARTER_DATA_DIR`` (or the other places
`tfstarter.datasets.mnist` looks).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model, machine, write_page
from tfstarter.cli._onednn import prefer_onednn

# The main table runs in the environment the `tfstarter` command gives its
# own runs: oneDNN on for x86 CPUs unless the environment says otherwise. The
# probes below show TensorFlow's own default for the CPU beside it.
if "--probe" not in sys.argv:  # a probe's environment is the probe's own
    prefer_onednn()

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "benchmarks" / "accuracy.md"
QUICK_PAGE = ROOT / "build" / "benchmarks" / "accuracy-quick.md"
DATASETS = ("mnist", "fashion_mnist")
QUICK_TRAIN, QUICK_TEST = 2000, 1000
PROBE_SAMPLES, QUICK_PROBE_SAMPLES = 12_800, 512

TARGETS = (
    # dataset, contender key, accuracy, seconds
    ("mnist", "cnn_trainer", 0.993, 60.0),
    ("mnist", "cnn_long_trainer", 0.995, 180.0),
    ("fashion_mnist", "cnn_fashion_trainer", 0.930, 300.0),
    ("mnist", "dense_trainer", 0.980, None),
)


def load_now() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def summarize(results: Sequence[Any], dataset: str, key: str) -> dict[str, Any] | None:
    """Median accuracy and time over the seeds of one contender on one dataset."""
    runs = [r for r in results if (r.dataset, r.key) == (dataset, key)]
    if not runs:
        return None
    seconds = statistics.median(r.fit_seconds for r in runs)
    first = runs[0]
    train_work = first.epochs * first.train_samples * 3 * first.forward_flops
    validation_work = first.epochs * first.validation_samples * first.forward_flops
    return {
        "accuracy": statistics.median(r.test_accuracy for r in runs),
        "accuracies": [r.test_accuracy for r in runs],
        "seconds": seconds,
        "samples_per_s": first.epochs * first.train_samples / seconds,
        "flops_per_s": (train_work + validation_work) / seconds,
        "train_flops": 3 * first.forward_flops,
        "params": first.params,
        "epochs": first.epochs,
        "loads": [r.load_before for r in runs] + [r.load_after for r in runs],
        "note": first.note,
    }


def table(
    results: Sequence[Any],
    contenders: Sequence[Any],
    peak: float,
    datasets: Sequence[str],
) -> str:
    lines = [
        "| dataset | contender | epochs | batch | params | test accuracy "
        "(median) | per seed | training time (median) | samples/s "
        "| training MFLOP/sample | GFLOP/s | share of peak |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for dataset in datasets:
        for contender in contenders:
            s = summarize(results, dataset, contender.key)
            if s is None:
                continue
            seeds = ", ".join(f"{100 * a:.2f}" for a in s["accuracies"])
            lines.append(
                f"| {dataset} | {contender.label} | {s['epochs']} "
                f"| {contender.batch_size} | {s['params']:,} "
                f"| {100 * s['accuracy']:.2f}% | {seeds} | {s['seconds']:.0f} s "
                f"| {s['samples_per_s']:,.0f} | {s['train_flops'] / 1e6:.1f} "
                f"| {s['flops_per_s'] / 1e9:.1f} "
                f"| {100 * s['flops_per_s'] / peak:.0f}% |"
            )
    return "\n".join(lines)


def verdicts(results: Sequence[Any]) -> list[str]:
    lines = []
    for dataset, key, accuracy, seconds in TARGETS:
        s = summarize(results, dataset, key)
        if s is None:
            continue
        ok_accuracy = s["accuracy"] >= accuracy
        ok_time = seconds is None or s["seconds"] <= seconds
        within = "" if seconds is None else f" in at most {seconds:.0f} s"
        took = f", {s['seconds']:.0f} s" if seconds is not None else ""
        lines.append(
            f"- {dataset} `{key}`: at least {100 * accuracy:.1f}%{within}: "
            f"{100 * s['accuracy']:.2f}%{took} "
            f"(**{'met' if ok_accuracy and ok_time else 'NOT met'}**"
            + ("" if ok_accuracy else "; accuracy short")
            + ("" if ok_time else "; too slow")
            + ")"
        )
    return lines


def probe_table(probes: Sequence[dict[str, Any]], peak: float) -> str:
    if not probes:
        return "(probes not run)"
    base = probes[0]["samples_per_s"]
    lines = [
        "| setting | samples/s (best) | median | GFLOP/s | share of peak "
        "| vs Trainer defaults |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for p in probes:
        rate = p["samples_per_s"]
        flops = rate * p["train_flops"]
        lines.append(
            f"| {p['label']} | {rate:,.0f} | {p['median_samples_per_s']:,.0f} "
            f"| {flops / 1e9:.1f} | {100 * flops / peak:.0f}% | {rate / base:.2f}x |"
        )
    return "\n".join(lines)


def trainer_jit_default() -> str:
    import tfstarter as tfs

    return repr(inspect.signature(tfs.Trainer).parameters["jit_compile"].default)


def page(
    *,
    quick: bool,
    results: Sequence[Any],
    contenders: Sequence[Any],
    datasets: Sequence[str],
    seeds: int,
    anchor_seeds: int,
    anchor_datasets: Sequence[str],
    probe_passes: int,
    probe_rounds: int,
    peak: float,
    probes: Sequence[dict[str, Any]],
    loads: Sequence[float],
    started: str,
) -> str:
    cores = os.cpu_count() or 1
    busiest = max(loads)
    warning = ""
    if quick:
        warning = (
            '\n!!! warning "Quick run"\n    A `--quick` smoke run on a tiny subset '
            "for one epoch; the numbers say nothing about accuracy or speed.\n"
        )
    elif busiest > cores:
        warning = (
            f'\n!!! warning "Load above the core count"\n    The 1-minute load '
            f"average reached {busiest:.1f} on {cores} cores during this run. It "
            f"counts this run's own threads too (TensorFlow's and tf.data's "
            f"pools keep more than {cores} runnable), so it can read above "
            f"{cores} with nothing else running; if other work did compete, "
            f"every time here is pessimistic. Accuracies are not affected.\n"
        )
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset")
    anchors_trained = (
        ""
        if anchor_seeds == seeds and set(anchor_datasets) == set(datasets)
        else f" (the anchors {anchor_seeds} time(s), seeds 0..{anchor_seeds - 1}, "
        f"on {', '.join(anchor_datasets)} only: they take most of the run's time "
        f"and no target judges them)"
    )
    intro = f"""
What a user feels as speed is how long until the model is good. Every
contender is trained {seeds} time(s) (seeds 0..{seeds - 1}){anchors_trained}, the
contenders alternating within each seed, on the full training split less its validation
hold-out, and scored on the 10,000 test images; the table shows the median
test accuracy and the median wall time of training (`fit`, validation
included). Produced by `python benchmarks/time_to_accuracy.py`.

* Anchors, exactly as their sources train them (plain `model.fit` on
  `pixels / 255`): the seed tutorial's CNN (workflow 5: Conv2D 4/8/12 3x3,
  Dense(256), Adam, batch 1000, 25 epochs, 20% validation), the keras.io
  "simple MNIST convnet" (Conv32-pool-Conv64-pool-Dropout(0.5)-softmax, Adam,
  batch 128, 15 epochs) and the tutorial's dense network (workflow 4).
* tfstarter: `tfs.models.cnn((28, 28), classes=10, rescale=1 / 255)` and
  `tfs.models.dense(...)` with their defaults, trained with
  `CNN_RECIPE` / `CNN_LONG_RECIPE` / `DENSE_RECIPE` (and, on Fashion-MNIST
  only, `CNN_FASHION_RECIPE`) through `recipe.fit(model, x, y)` (a
  `tfs.Trainer` with its defaults, in the recipe's loop:
  `jit_compile={trainer_jit_default()}` by default in this version), and
  `CNN_RECIPE` once more under plain `model.fit` on the recipe's own pipelines
  and schedule.
* Efficiency: training FLOPs per sample are counted from the layers (Conv2D
  and Dense forward multiply-adds x 2, times 3 for the forward and two
  backward products of training); GFLOP/s adds the validation passes
  (forward only); the share is of the machine's dense float32 matmul rate,
  measured in this run: **{peak / 1e9:.0f} GFLOP/s** (2048x2048 products,
  best of several).
* Environment: `TF_ENABLE_ONEDNN_OPTS` was **{onednn}** for the main table,
  as the `tfstarter` command sets it for its runs on x86 CPUs unless the
  environment sets it (TensorFlow turns oneDNN on by itself only on CPUs
  with AVX-512 VNNI/BF16 or AMX; a script sets the variable before
  importing TensorFlow). The probes below time TensorFlow's own default for
  this CPU beside it.
"""
    checks = "\n".join(verdicts(results)) or "- (no target was run)"
    probe_intro = f"""
Samples/s of training the default `cnn` on its recipe's pipeline (random
MNIST-shaped images, {QUICK_PROBE_SAMPLES if quick else PROBE_SAMPLES:,} per
epoch), each setting in a process of its own (TensorFlow reads oneDNN and
thread settings once per process), {probe_rounds} timed call(s) of 2 epochs
per setting and pass, the settings alternating over {probe_passes} pass(es),
best of each. The first row is what the main table's "Trainer defaults" rows
ran; every other row changes one thing.
"""
    return f"""# Time to accuracy
{warning}{intro}
## Results

{table(results, contenders, peak, datasets)}

## Targets

{checks}

## Where the CPU time goes: the default CNN under other settings
{probe_intro}
{probe_table(probes, peak)}

Machine: {machine()}. CPU model: {cpu_model()}. Load (1-minute average): {loads[0]:.1f}
when the run started ({started}), {loads[-1]:.1f} when it ended, {busiest:.1f} at most
between runs, on {cores} cores.
"""


def run_probe(argument: str) -> int:
    from _efficiency import Probe, probe

    spec = json.loads(argument)
    result = probe(
        Probe(**spec["probe"]),
        samples=spec["samples"],
        rounds=spec["rounds"],
        epochs=spec["epochs"],
    )
    print(json.dumps(result), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_TRAIN} training and {QUICK_TEST} test images, one "
        f"epoch, one seed, tiny probes; written to {QUICK_PAGE.relative_to(ROOT)}",
    )
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS)
    parser.add_argument(
        "--seeds", type=int, default=None, help="seeds per contender (3; --quick 1)"
    )
    parser.add_argument(
        "--anchor-seeds",
        type=int,
        default=None,
        help="seeds per anchor (the tutorials' and keras.io's recipes; default: "
        "--seeds); the first seeds of the tfstarter contenders' run",
    )
    parser.add_argument(
        "--only", nargs="+", default=None, help="contender keys to run (default: all)"
    )
    parser.add_argument(
        "--anchor-datasets",
        nargs="+",
        choices=DATASETS,
        default=None,
        help="the datasets the anchors train on (default: --datasets)",
    )
    parser.add_argument(
        "--probe-passes",
        type=int,
        default=2,
        help="passes over the probes, in alternating order (best of them is kept)",
    )
    parser.add_argument(
        "--probe-rounds",
        type=int,
        default=3,
        help="timed calls of 2 epochs per probe and pass",
    )
    parser.add_argument("--no-probes", action="store_true", help="skip the probes")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return run_probe(args.probe)

    import tfstarter as tfs
    from _accuracy_runs import contenders, run_one
    from _efficiency import PROBES, matmul_peak, run_probes

    output = args.output or (QUICK_PAGE if args.quick else DOCS_PAGE)
    if args.quick and output.resolve() == DOCS_PAGE.resolve():
        parser.error("--quick results never overwrite the docs page")
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    anchor_seeds = seeds if args.anchor_seeds is None else args.anchor_seeds
    anchor_datasets = args.anchor_datasets or args.datasets
    probe_passes = 1 if args.quick else args.probe_passes
    probe_rounds = 1 if args.quick else args.probe_rounds
    for flag, value in (
        ("--seeds", seeds),
        ("--probe-passes", probe_passes),
        ("--probe-rounds", probe_rounds),
    ):
        if value < 1:
            parser.error(f"{flag} is {value}; it must be at least 1")
    if not 1 <= anchor_seeds <= seeds:
        parser.error(
            f"--anchor-seeds is {anchor_seeds}; it must be from 1 to --seeds ({seeds})"
        )
    if not set(anchor_datasets) <= set(args.datasets):
        parser.error(
            f"--anchor-datasets is {' '.join(anchor_datasets)}; each must be one "
            f"of --datasets ({' '.join(args.datasets)})"
        )
    chosen = [c for c in contenders() if args.only is None or c.key in args.only]
    started = time.strftime("%H:%M")
    loads = [load_now()]
    peak = matmul_peak()
    loaders = {"mnist": tfs.datasets.mnist, "fashion_mnist": tfs.datasets.fashion_mnist}
    results = []
    for dataset in args.datasets:
        (x_train, y_train), (x_test, y_test) = loaders[dataset]()
        if args.quick:
            x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
            x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
        for seed in range(seeds):
            order = chosen[seed % len(chosen) :] + chosen[: seed % len(chosen)]
            for contender in order:
                if contender.datasets is not None and dataset not in contender.datasets:
                    continue
                if contender.is_anchor and (
                    seed >= anchor_seeds or dataset not in anchor_datasets
                ):
                    continue
                result = run_one(
                    contender,
                    dataset,
                    (x_train, y_train),
                    (x_test, y_test),
                    seed=seed,
                    epochs=1 if args.quick else contender.epochs,
                )
                results.append(result)
                loads += [result.load_before, result.load_after]
                print(
                    f"{dataset:>13} seed {seed} {contender.key:<19} "
                    f"accuracy {100 * result.test_accuracy:6.2f}%  "
                    f"fit {result.fit_seconds:6.1f} s  load {result.load_after:.1f}",
                    flush=True,
                )
    peak = max(peak, matmul_peak())
    probes: list[dict[str, Any]] = []
    if not args.no_probes:
        probes = run_probes(
            PROBES[:2] if args.quick else PROBES,
            samples=QUICK_PROBE_SAMPLES if args.quick else PROBE_SAMPLES,
            rounds=probe_rounds,
            epochs=1 if args.quick else 2,
            repeats=probe_passes,
        )
        peak = max([peak, *(p["peak"] for p in probes)])
    loads.append(load_now())
    text = page(
        quick=args.quick,
        results=results,
        contenders=chosen,
        datasets=args.datasets,
        seeds=seeds,
        anchor_seeds=anchor_seeds,
        anchor_datasets=anchor_datasets,
        probe_passes=probe_passes,
        probe_rounds=probe_rounds,
        peak=peak,
        probes=probes,
        loads=loads,
        started=started,
    )
    write_page(output, text)
    print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
