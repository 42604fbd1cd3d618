"""The NaN guard under whole-step XLA: the update apart from the step, or inside it.

Where the custom loop's rule compiles the whole step with XLA, the guard
(``on_non_finite="raise"``, the default) runs the update apart: the forward
pass, the gradients and the metrics in one XLA-compiled function, then the
verdict in the graph and the XLA-compiled update (`Step.train_guarded_apart`).
The alternative, the whole step with the guard inside one compiled function,
must skip a bad batch's update with a conditional there, around which XLA
copies the weights and the optimizer's moments each step.

For each model, three ``Trainer(loop="custom")`` contenders with default
options, on the same data, interleaved in rounds in one process after a
warm-up in which the rule decides: the guard off, the guard with the update
apart (the default), and the guard inside the one compiled step (forced here
by turning `Step.guards_apart` off for that model alone). The ratios are
medians over rounds of each contender's rate over the guard-off rate of the
same round.

    python benchmarks/guard_apart.py          # writes docs/benchmarks/guard.md
    python benchmarks/guard_apart.py --quick  # a smoke run: prints only
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _trainer_contenders as contenders
from _machine import machine, median_paired_ratio, write_page
from tfstarter.training._step import Step
from trainer import QUICK_WHOLE_STEP_STEPS, measure, mnist_shaped

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks" / "guard.md"
BATCH = 32
WIDE = 1024


def wide_mlp() -> keras.Model:
    """The benchmark MLP with 1,024 hidden units (0.8 M weights)."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(WIDE, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


MODELS = {
    "CNN (1.5 M weights)": ("CNN", 2_560),
    "MLP (0.1 M weights)": ("MLP", 6_400),
    f"MLP, {WIDE} hidden (0.8 M weights)": ("WIDE", 6_400),
}
INSIDE = "_tfstarter_benchmark_guard_inside"
"""Set on a model to run its guard inside the one compiled step."""


def _allow_inside() -> None:
    """Let a model opt out of the update apart (for the "inside" contender)."""
    apart = Step.guards_apart

    def guards_apart(step: Step) -> bool:
        return bool(apart.fget(step)) and not getattr(step.model, INSIDE, False)  # type: ignore[attr-defined]

    Step.guards_apart = property(guards_apart)  # type: ignore[method-assign,assignment]


def run(model: str, samples: int, rounds: int) -> dict[str, float]:
    """Median paired ratios over the guard-off contender, and its median rate."""
    data = mnist_shaped(samples, BATCH)
    off = contenders.trainer(model, data, loop="custom", on_non_finite="ignore")
    apart = contenders.trainer(model, data, loop="custom")
    inside = contenders.trainer(model, data, loop="custom")
    assert inside.trainer is not None
    setattr(inside.trainer.model, INSIDE, True)
    inside.label += " inside"
    rates = measure([off, apart, inside], samples, rounds, 1)
    for contender in (off, apart, inside):
        if contender.trainer is not None and not contender.trainer.xla.whole_step:
            raise RuntimeError(f"the rule did not choose whole-step XLA for {model}")
    return {
        "off": statistics.median(rates[off.label]),
        "apart": median_paired_ratio(rates[apart.label], rates[off.label]),
        "inside": median_paired_ratio(rates[inside.label], rates[off.label]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run; no page")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    contenders.MODELS["WIDE"] = wide_mlp
    _allow_inside()
    if args.quick:
        contenders.shorten_whole_step_rule(QUICK_WHOLE_STEP_STEPS)
    rounds = args.rounds or (1 if args.quick else 9)
    rows = []
    for label, (model, size) in MODELS.items():
        result = run(model, 256 if args.quick else size, rounds)
        rows.append(
            f"| {label} | {result['off']:,.0f} | {result['apart']:.3f}x "
            f"| {result['inside']:.3f}x | {result['apart'] / result['inside']:.3f}x |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join(
        [
            "| model | guard off, samples/s (median) | guard, update apart "
            "(default) | guard inside the compiled step | apart over inside |",
            "|---|---:|---:|---:|---:|",
            *rows,
        ]
    )
    text = PAGE.format(rounds=rounds, batch=BATCH, table=table, machine=machine())
    print(text)
    if not args.quick:
        write_page(DOC, text)
        print(f"wrote {DOC}", file=sys.stderr)
    return 0


PAGE = """# The NaN guard under whole-step XLA

Where `jit_compile="auto"` (the default) chooses whole-step XLA in the custom
loop, the NaN guard runs the update apart from the compiled step: the
forward pass, the gradients, the metrics and the quick finiteness test of
the loss and the gradients in one XLA-compiled function; then, in the
graph, the verdict, and only where it allows, the XLA-compiled update with
the weight check and put-back. The alternative, the guard inside one
compiled step, skips a bad batch's update with a conditional inside XLA,
and XLA copies every weight and optimizer moment around it each step.

Each model trains with `Trainer(loop="custom")` and default options at batch
{batch}, MNIST-shaped data, Adam; three contenders interleaved in {rounds}
rounds of one epoch in one process, after a warm-up in which the rule chose
whole-step XLA. Each ratio is the median over rounds of the contender's
rate over the guard-off rate in the same round (1.0x: the guard costs
nothing). Produced by `python benchmarks/guard_apart.py`.

{table}

**Machine:** {machine}
"""


if __name__ == "__main__":
    raise SystemExit(main())
