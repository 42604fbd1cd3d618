r"""Kill it any time and run it again; then the same training on two workers.

Two things a long run needs, shown on the MNIST dense network of
``04_mnist_dense.py`` (with dropout, on a shuffled pipeline):

1. **Backups.** ``trainer.fit(..., backup_dir=DIR, backup_every=N)`` writes
   a backup every N optimizer steps (and at every epoch's end). If DIR holds
   one when ``fit`` starts, training continues from it: same epoch and
   batch, same weights and optimizer slots, same random generators (so the
   same dropout masks) and the same data order. This script runs the
   training command in a child process, SIGKILLs it part-way through an
   epoch, runs the same command again, and checks that the resumed run ends
   bit for bit where a run that was never stopped ends.
2. **Several workers.** The same training command, run by
   ``python -m tfstarter.launch --workers 2``, trains on two processes under
   ``tfs.training.auto_strategy()`` (``MultiWorkerMirroredStrategy``, from
   the ``TF_CONFIG`` the launcher gives each worker). Each step's global
   batch is split between the workers and their gradients are all-reduced,
   so both workers end with the same weights, and train as one process on
   the same global batches does (the same losses; the weights equal up to
   the rounding of a different summation order). On real hosts, run the
   same command on each host with its own ``TF_CONFIG`` (see the training
   guide).

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/13_kill_resume_and_workers.py            # full run (~3 min)
    python examples/13_kill_resume_and_workers.py --quick    # smoke test

The training command it runs (and runs again after the kill)::

    python examples/13_kill_resume_and_workers.py train --out OUT \
        --backup-dir OUT/backup [--quick]
    python -m tfstarter.launch --workers 2 -- \
        examples/13_kill_resume_and_workers.py train --out OUT --dropout 0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SCRIPT = Path(__file__).resolve()
BATCH_SIZE = 64  # the global batch: split between the workers
BACKUP_EVERY = 10  # optimizer steps (plus a backup at every epoch's end)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "role",
        nargs="?",
        choices=["demo", "train"],
        default="demo",
        help="demo (default): the whole demonstration; train: one training run",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("artifacts") / SCRIPT.stem,
        help="where the demo writes its runs (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="train: where to write weights")
    parser.add_argument("--backup-dir", type=Path, help="train: the backup folder")
    parser.add_argument(
        "--dropout", type=float, default=0.2, help="train: the hidden layers' dropout"
    )
    parser.add_argument(
        "--kill-after",
        type=int,
        default=0,
        help="train: SIGKILL itself after N batches",
    )
    return parser.parse_args(argv)


# ---------------------------------------------------------------- one run


def task_name() -> str:
    """``worker<i>`` under a ``TF_CONFIG`` naming this process, else ``single``."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        return "single"
    task = json.loads(config)["task"]
    return f"{task['type']}{task['index']}"


def train(args: argparse.Namespace) -> None:
    """One training run: what a user runs, and runs again after a kill."""
    import tfstarter as tfs

    # Under TF_CONFIG, MultiWorkerMirroredStrategy sets up collective ops when
    # it is made, so it comes before any other TensorFlow work.
    strategy = tfs.training.auto_strategy()

    import keras
    import numpy as np

    class KillAfter(keras.callbacks.Callback):
        """SIGKILLs this process after ``batches`` training batches: a crash."""

        def __init__(self, batches: int) -> None:
            super().__init__()
            self.batches = batches
            self.seen = 0

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.seen += 1
            if self.seen == self.batches:
                os.kill(os.getpid(), signal.SIGKILL)

    (x_train, y_train), _ = tfs.datasets.mnist()
    samples = 2_000 if args.quick else 20_000
    x_train, y_train = x_train[:samples], y_train[:samples]
    with strategy.scope():  # variables are mirrored on every worker
        model = tfs.models.dense(
            (28, 28), classes=10, rescale=1 / 255, dropout=args.dropout, seed=0
        )
    keras.utils.set_random_seed(0)  # the dropout masks
    trainer = tfs.Trainer(model, loop="custom", strategy=strategy)
    callbacks = [KillAfter(args.kill_after)] if args.kill_after else []
    history = trainer.fit(
        tfs.data.from_arrays(
            x_train, y_train, batch_size=BATCH_SIZE, shuffle=True, seed=0
        ),
        epochs=3,
        verbose=2,
        callbacks=callbacks,
        backup_dir=args.backup_dir,
        backup_every=BACKUP_EVERY,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    np.savez(args.out / f"{task_name()}.npz", **weights)
    (args.out / f"{task_name()}.json").write_text(json.dumps(history.history))
    print(f"{task_name()}: final loss {history.history['loss'][-1]:.4f}", flush=True)


# ---------------------------------------------------------------- the demo


def check(ok: bool, message: str) -> None:
    """Exit with status 1 and ``message`` unless ``ok``."""
    if not ok:
        sys.exit(f"FAILED: {message}")


def run(command: list[str], *, expect: int = 0) -> None:
    """Run ``command``, show its output, and check its exit status."""
    print("$", " ".join(command), flush=True)
    finished = subprocess.run(command, check=False)
    check(
        finished.returncode == expect,
        f"exit status {finished.returncode}, expected {expect}: {' '.join(command)}",
    )


def load(path: Path) -> list[Any]:
    import numpy as np

    with np.load(path) as weights:
        return [weights[f"w{i}"] for i in range(len(weights.files))]


def demo(args: argparse.Namespace) -> None:
    import numpy as np

    out = args.output_dir
    train_command = [sys.executable, str(SCRIPT), "train"] + (
        ["--quick"] if args.quick else []
    )
    print("== 1. backups: kill it part-way, run the same command again")
    run([*train_command, "--out", str(out / "uninterrupted")])
    backup = out / "resumed" / "backup"
    if backup.exists():  # left by an earlier demo: start from scratch
        import shutil

        shutil.rmtree(backup)
    resumed = [*train_command, "--out", str(out / "resumed")]
    resumed += ["--backup-dir", str(backup)]
    batches_per_epoch = (2_000 if args.quick else 20_000) // BATCH_SIZE + 1
    kill_after = batches_per_epoch + 15  # mid-epoch 2, between two backups
    run([*resumed, "--kill-after", str(kill_after)], expect=-signal.SIGKILL)
    behind = kill_after % BACKUP_EVERY
    print(f"(killed after {kill_after} batches, {behind} after the newest backup)")
    run(resumed)
    reference = load(out / "uninterrupted" / "single.npz")
    again = load(out / "resumed" / "single.npz")
    same = all(np.array_equal(a, b) for a, b in zip(reference, again, strict=True))
    check(same, "the resumed run's weights differ from the uninterrupted run's")
    check(not backup.exists(), "the backup folder was left after success")
    print("the resumed run ends bit-identical to the uninterrupted one")

    print("== 2. two workers on this machine, and one process for comparison")
    run([*train_command, "--out", str(out / "one_process"), "--dropout", "0"])
    launch = [sys.executable, "-m", "tfstarter.launch", "--workers", "2", "--"]
    run([*launch, *train_command[1:], "--out", str(out / "workers"), "--dropout", "0"])
    worker0 = load(out / "workers" / "worker0.npz")
    worker1 = load(out / "workers" / "worker1.npz")
    single = load(out / "one_process" / "single.npz")
    check(
        all(np.array_equal(a, b) for a, b in zip(worker0, worker1, strict=True)),
        "the two workers ended with different weights",
    )
    gap = max(
        float(np.max(np.abs(a - b))) for a, b in zip(worker0, single, strict=True)
    )
    losses = [
        json.loads((out / folder / f"{name}.json").read_text())["loss"]
        for folder, name in (("workers", "worker0"), ("one_process", "single"))
    ]
    loss_gap = max(abs(a / b - 1) for a, b in zip(*losses, strict=True))
    # The all-reduce adds the gradients in another order than one process
    # does: the last bits differ, and Adam (which divides by the root of tiny
    # second moments on the images' rarely-lit border pixels) lets those
    # weights drift apart by up to a few steps' size, while the loss agrees.
    print(
        f"the workers agree exactly; vs one process: epoch losses within "
        f"{loss_gap:.1e} (relative), weights within {gap:.2g}"
    )
    check(loss_gap < 1e-3, f"workers' and one process's losses differ by {loss_gap}")
    results = {
        "resumed_bit_identical": same,
        "workers_vs_one_process_weights": gap,
        "workers_vs_one_process_losses": loss_gap,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))


def main() -> None:
    args = parse_args(sys.argv[1:])
    if args.role == "train":
        if args.out is None:
            sys.exit("train needs --out DIR")
        train(args)
    else:
        demo(args)


if __name__ == "__main__":
    main()
