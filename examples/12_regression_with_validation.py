"""Regression with a validation split: predict a number, report MAE.

Mirrors workflow 12 of the "first model" tutorials: Dense(64, relu) ->
Dense(1), Adam, mean squared error with a mean-absolute-error metric,
``fit(..., validation_data=...)``, then ``evaluate``.

What tfstarter does for you: ``tfs.models.dense(8, hidden=(64,),
normalize=x_train)`` builds that network with the regression head (linear
output, mean squared error, ``mae`` metric, no dropout — dropout noise biases
regression fits) and standardizes the features inside the model with
statistics of the training split only. `tfs.data.split` makes disjoint
train / validation / test parts, so the validation curve watches for
overfitting and the test score is untouched by any choice made on it. The
data is synthetic — a known linear rule plus Gaussian noise of standard
deviation 0.5 — so the script can say how close the model gets to the best
possible error (the noise) and how much better it is than always predicting
the training mean.

Run:
    python examples/12_regression_with_validation.py            # full run (~30 s)
    python examples/12_regression_with_validation.py --quick    # smoke test
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

    data = tfs.datasets.synthetic_regression(
        n_samples=500 if args.quick else 5000, n_features=8, noise=0.5, seed=0
    )
    train, val, test = tfs.data.split(data.x, data.y, fractions=(0.8, 0.1, 0.1))
    (x_train, y_train), (x_test, y_test) = train, test

    model = tfs.models.dense(8, hidden=(64,), normalize=x_train)
    trainer = tfs.Trainer(model)
    history = trainer.fit(
        train,
        validation_data=val,
        epochs=2 if args.quick else 40,
        batch_size=32,
        verbose=0,
        seed=0,
    )
    for epoch in (0, len(history.history["loss"]) - 1):
        logs = {key: values[epoch] for key, values in history.history.items()}
        print(
            f"epoch {epoch + 1}: train MAE {logs['mae']:.3f}, "
            f"validation MAE {logs['val_mae']:.3f}"
        )
    scores = trainer.evaluate(test, verbose=0)
    best = float(np.abs(data.predict(x_test) - y_test).mean())  # the noise
    baseline = float(np.abs(y_train.mean() - y_test).mean())
    print(f"test MAE {scores['mae']:.3f}, test MSE {scores['loss']:.3f}")
    print(f"(the true rule: MAE {best:.3f}; always the mean: MAE {baseline:.3f})")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {**scores, "true_rule_mae": best, "mean_baseline_mae": baseline}
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(np.isfinite(scores["mae"]), "the test MAE is not finite")
    if not args.quick:
        check(
            scores["mae"] <= 1.15 * best,
            f"test MAE {scores['mae']:.3f} is 15% above the noise's {best:.3f}",
        )


if __name__ == "__main__":
    main()
