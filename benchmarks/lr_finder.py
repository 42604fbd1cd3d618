"""The learning-rate finder's suggestion for the default `cnn` on MNIST.

Runs `tfs.Trainer.find_learning_rate` (100 batches of 128, the rate growing
from 1e-7 to 10) on a fresh default CNN with `CNN_RECIPE`'s trainer, for
seeds 0, 1 and 2, and prints each suggestion beside the rate the recipe
peaks at. The models guide ("Finding a learning rate") quotes the result.
About 40 seconds on 2 cores.

    python benchmarks/lr_finder.py
    python benchmarks/lr_finder.py --seeds 0 1 2 3 4

Runs with oneDNN on, as the ``tfstarter`` command does on x86 CPUs (unless
``TF_ENABLE_ONEDNN_OPTS`` is set). Data comes from ``$TFSTARTER_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model
from tfstarter.cli._onednn import prefer_onednn

prefer_onednn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    import keras

    import tfstarter as tfs

    (x, y), _ = tfs.datasets.mnist()
    recipe = tfs.models.CNN_RECIPE
    print(f"machine: {cpu_model()}; CNN_RECIPE peaks at {recipe.learning_rate:g}")
    print("| seed | suggestion |\n|---:|---:|")
    for seed in args.seeds:
        keras.utils.set_random_seed(seed)
        model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255, seed=seed)
        finding = recipe.trainer(model).find_learning_rate(
            (x, y), batch_size=recipe.batch_size, seed=seed
        )
        print(f"| {seed} | {finding.suggestion:.2g} |", flush=True)


if __name__ == "__main__":
    main()
