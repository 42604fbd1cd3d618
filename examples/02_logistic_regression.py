"""Logistic regression: the probability that a message is spam, from 4 features.

Mirrors workflow 2 of the "first model" tutorials: one sigmoid unit on four
features, RMSprop, binary cross-entropy, "spam / not spam".

What tfstarter does for you: `tfs.models.logistic` picks the sigmoid head,
binary cross-entropy and the ``accuracy`` / ``auc`` metrics; the features are
standardized inside the model with statistics of the training split only
(``normalize=x_train``), so the saved model takes raw features; and
`tfs.data.split` holds out stratified validation and test data. The data is
synthetic, made by a known linear rule with 5% of the labels flipped.

Run:
    python examples/02_logistic_regression.py            # full run (~15 s)
    python examples/02_logistic_regression.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

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

    data = tfs.datasets.synthetic_classification(
        n_samples=500 if args.quick else 5000, n_features=4, label_noise=0.05, seed=0
    )
    train, val, test = tfs.data.split(
        data.x, data.y, fractions=(0.8, 0.1, 0.1), stratify=True, seed=0
    )
    x_train, _ = train

    model = tfs.models.logistic(4, optimizer="rmsprop", normalize=x_train)
    trainer = tfs.Trainer(model)  # loop="fit": Keras' own model.fit
    trainer.fit(
        train, validation_data=val, epochs=2 if args.quick else 10, verbose=2, seed=0
    )
    scores = trainer.evaluate(test, verbose=0)
    print(f"test accuracy {scores['accuracy']:.2%}, AUC {scores['auc']:.3f}")
    x_test, y_test = test
    best = float((data.true_labels(x_test) == y_test).mean())
    print(f"(the rule that labelled the data scores {best:.2%}: 5% noisy labels)")

    spam = trainer.predict(x_test, verbose=0)[:, 0]  # P(spam), one per message
    for p, label in zip(spam[:5], y_test[:5], strict=True):
        guess = "spam" if p > 0.5 else "not spam"
        truth = "spam" if label else "not spam"
        print(f"P(spam) = {p:.3f} -> {guess:8}  (truly {truth})")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {
        **scores,
        "true_rule_accuracy": best,
        "min_p": float(spam.min()),
        "max_p": float(spam.max()),
    }
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(spam.shape == (len(x_test),), f"predictions of shape {spam.shape}")
    check(bool(((spam >= 0) & (spam <= 1)).all()), "a probability outside [0, 1]")
    if not args.quick:
        check(scores["accuracy"] >= 0.9, f"test accuracy {scores['accuracy']:.2%}")
    print("all probabilities are in [0, 1]")


if __name__ == "__main__":
    main()
