"""Callbacks: stop when validation stops improving, log curves for TensorBoard.

Mirrors workflow 8 of the "first model" tutorials: ``EarlyStopping`` and
``TensorBoard`` passed to ``fit``.

What tfstarter does for you: `tfs.Trainer` drives stock Keras callbacks the
way ``model.fit`` does, in both loops, so ``EarlyStopping`` (with
``restore_best_weights``), ``TensorBoard`` and ``ModelCheckpoint`` work
unchanged with the compiled custom loop used here. `tfs.data.split` holds
out the validation data they watch. The model is a dense network without
dropout on 20,000 Fashion-MNIST images, which starts to overfit within a
few epochs; early stopping ends training there and puts back the best
weights. Watch the curves with ``tensorboard --logdir <output-dir>/logs``.

Run (needs Fashion-MNIST and the ``tensorboard`` package):
    python examples/08_callbacks.py            # full run (~1 min)
    python examples/08_callbacks.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import tfstarter as tfs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("artifacts") / Path(__file__).stem,
        help="where results are written (default: %(default)s)",
    )
    return parser.parse_args()


def check(ok: bool, message: str) -> None:
    """Exit with status 1 and ``message`` unless ``ok``."""
    if not ok:
        sys.exit(f"FAILED: {message}")


def main() -> None:
    args = parse_args()
    check(
        importlib.util.find_spec("tensorboard") is not None,
        "keras.callbacks.TensorBoard needs the tensorboard package: "
        "pip install tensorboard",
    )
    keras.utils.set_random_seed(0)

    (x_train, y_train), (x_test, y_test) = tfs.datasets.fashion_mnist()
    size = 2000 if args.quick else 20_000
    train, val = tfs.data.split(
        x_train[:size], y_train[:size], fractions=(0.8, 0.2), stratify=True, seed=0
    )

    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255, dropout=0.0)
    trainer = tfs.Trainer(model, loop="custom")
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=3, restore_best_weights=True, verbose=1
    )
    logs = args.output_dir / "logs"
    callbacks = [
        early_stopping,
        keras.callbacks.TensorBoard(log_dir=str(logs)),
        keras.callbacks.ModelCheckpoint(
            str(args.output_dir / "best.keras"), monitor="val_loss", save_best_only=True
        ),
    ]
    max_epochs = 2 if args.quick else 50
    history = trainer.fit(
        tfs.data.from_arrays(*train, batch_size=64, shuffle=True, seed=0),
        validation_data=tfs.data.from_arrays(*val, batch_size=1000),
        epochs=max_epochs,
        callbacks=callbacks,
        verbose=2,
    )

    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    print(f"ran {len(val_loss)} of {max_epochs} epochs; best epoch {best + 1}")
    restored = trainer.evaluate(*val, batch_size=1000, verbose=0)
    print(f"validation loss now {restored['loss']:.4f} (best {val_loss[best]:.4f})")
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"test accuracy {scores['accuracy']:.2%}")
    events = sorted(logs.rglob("events.out.tfevents.*"))
    print(f"TensorBoard: {len(events)} event files; tensorboard --logdir {logs}")

    results = {**scores, "epochs_run": len(val_loss), "best_epoch": best + 1}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(
        {path.parent.name for path in events} >= {"train", "validation"},
        f"no TensorBoard event files for train and validation under {logs}",
    )
    check((args.output_dir / "best.keras").is_file(), "no checkpoint was written")
    check(np.isfinite(scores["loss"]), "the test loss is not finite")
    if not args.quick:
        check(len(val_loss) < max_epochs, "early stopping never stopped training")
        check(
            abs(restored["loss"] - val_loss[best]) < 1e-3,
            "the best weights were not restored",
        )


if __name__ == "__main__":
    main()
