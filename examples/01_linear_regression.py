"""Linear regression: learn y = x from five points, then predict x = 6.

Mirrors workflow 1 of the "first model" tutorials: one Dense unit trained
with SGD and mean squared error on x = 1..5 for 500 epochs, which predicts
about 5.98 for x = 6.

What tfstarter does for you: `tfs.models.linear` builds and compiles the
one-unit model (mean squared error, an ``mae`` metric, Adam at 0.05 — a
single layer converges far faster with a larger step than the usual 1e-3),
and `tfs.Trainer` trains it. The same 500 passes land on 6.00.

Run:
    python examples/01_linear_regression.py            # full run (~10 s)
    python examples/01_linear_regression.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
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
    keras.utils.set_random_seed(0)

    x = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]], dtype="float32")
    y = x.copy()  # the rule to learn: y = x

    model = tfs.models.linear(1)  # Dense(1), MSE, Adam(0.05)
    trainer = tfs.Trainer(model, loop="custom")
    epochs = 50 if args.quick else 500
    history = trainer.fit(x, y, epochs=epochs, batch_size=5, verbose=0, seed=0)

    prediction = float(trainer.predict(np.array([[6.0]], "float32"), verbose=0)[0, 0])
    weight, bias = (float(np.ravel(v)[0]) for v in model.get_weights())
    print(f"learned y = {weight:.4f} * x + {bias:.4f} in {epochs} epochs")
    print(f"final loss (MSE): {history.history['loss'][-1]:.2e}")
    print(f"prediction for x = 6: {prediction:.4f}  (the tutorial's SGD: 5.98)")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {"epochs": epochs, "prediction_x6": prediction, "w": weight, "b": bias}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(bool(np.isfinite(prediction)), f"the prediction {prediction} is not finite")
    if not args.quick:
        check(abs(prediction - 6) <= 0.1, f"prediction {prediction:.4f} is not 6 ± 0.1")


if __name__ == "__main__":
    main()
