"""Predictions: ten probabilities per image, and the answer is their argmax.

Mirrors workflow 9 of the "first model" tutorials: the model outputs 10
probabilities, the largest is the answer ("92% sure this is a 7").

What tfstarter does for you: a `tfs.models.dense` (or `cnn`) classifier
already ends in a softmax, so ``trainer.predict`` returns probabilities
(rows sum to 1) for raw uint8 images — no separate softmax, no rescaling
before predicting. The script prints how sure the model is for a few test
digits, then shows the digit it is least sure about.

Run (needs MNIST; set TFSTARTER_DATA_DIR to a folder holding ``mnist/``):
    python examples/09_predictions.py            # full run (~30 s)
    python examples/09_predictions.py --quick    # smoke test
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
import numpy.typing as npt

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


def show(image: npt.NDArray[np.uint8]) -> str:
    """Draw a 28x28 digit as text, two pixel rows per line."""
    shades = " .:-=+*#%@"
    rows = image[::2].astype(int) * (len(shades) - 1) // 255
    return "\n".join("".join(shades[v] for v in row) for row in rows)


def main() -> None:
    args = parse_args()
    keras.utils.set_random_seed(0)

    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]

    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(model, loop="custom")
    trainer.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=1 if args.quick else 5,
        validation_split=0.1,
        verbose=2,
        seed=0,
    )

    probabilities = trainer.predict(x_test, batch_size=1000, verbose=0)  # (n, 10)
    answers = probabilities.argmax(axis=1)
    sure = probabilities.max(axis=1)
    for i in range(5):
        print(f"{sure[i]:.1%} sure this is a {answers[i]} (it is a {y_test[i]})")

    accuracy = float((answers == y_test).mean())
    doubt = int(sure.argmin())
    top2 = probabilities[doubt].argsort()[::-1][:2]
    print(f"\ntest accuracy {accuracy:.2%}; least sure about test image {doubt}:")
    print(show(x_test[doubt]))
    print(
        f"{probabilities[doubt, top2[0]]:.0%} a {top2[0]}, "
        f"{probabilities[doubt, top2[1]]:.0%} a {top2[1]} (it is a {y_test[doubt]})"
    )

    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "accuracy": accuracy,
        "first_answers": answers[:5].tolist(),
        "first_probabilities": sure[:5].tolist(),
        "least_sure_image": doubt,
    }
    (args.output_dir / "results.json").write_text(json.dumps(results, indent=2))

    check(probabilities.shape == (len(x_test), 10), f"shape {probabilities.shape}")
    check(bool(((probabilities >= 0) & (probabilities <= 1)).all()), "not in [0, 1]")
    check(np.allclose(probabilities.sum(axis=1), 1, atol=1e-4), "rows do not sum to 1")
    if not args.quick:
        check(accuracy >= 0.97, f"test accuracy {accuracy:.2%} < 97%")


if __name__ == "__main__":
    main()
