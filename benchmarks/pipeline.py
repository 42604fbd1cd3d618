"""Input-pipeline benchmark: what tfstarter.data costs, side by side in one run.

1. Training throughput (samples/s) of a Keras MLP and CNN on MNIST at batch
   128, fed by ``tfs.data.from_arrays`` vs by the same in-memory arrays passed
   straight to ``model.fit``. Target: the pipeline costs at most 5%.
2. Reading throughput (samples/s) of ``tfs.data.from_csv`` and
   ``tfs.data.from_tfrecord`` vs hand-written ``tf.data`` pipelines reading the
   same files (see ``_pipeline_baselines.py``). Target: no slower.
3. Iterator teardown: how long dropping a ``tf.data`` iterator takes after an
   epoch of CNN training, with tf.data's autotuner on (TensorFlow's default)
   and off (what tfstarter pipelines do).

Feeds are measured in alternation (A B A B ...) and the median is reported, so
a slow moment of a shared machine hits both sides.

    python benchmarks/pipeline.py          # full run; rewrites the docs page
    python benchmarks/pipeline.py --quick  # smoke test (< 1 min); prints only

The full run writes ``docs/benchmarks/pipeline.md``.

Data comes from ``$TFSTARTER_DATA_DIR`` (or the other places
`tfstarter.datasets.mnist` looks).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine, median_paired_ratio, write_page

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "benchmarks" / "pipeline.md"
BATCH = 128


@dataclass(frozen=True)
class Settings:
    """How much work one run does."""

    train_samples: int
    cnn_samples: int
    epochs: int
    csv_rows: int
    reader_passes: int
    teardown_samples: int
    teardown_epochs: int


FULL = Settings(
    train_samples=60_000,
    cnn_samples=15_000,
    epochs=12,
    csv_rows=200_000,
    reader_passes=8,
    teardown_samples=2_560,
    teardown_epochs=12,
)
QUICK = Settings(
    train_samples=2_048,
    cnn_samples=1_024,
    epochs=2,
    csv_rows=10_000,
    reader_passes=1,
    teardown_samples=256,
    teardown_epochs=2,
)


# ----------------------------------------------------------------- training


def build_model(kind: str) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    if kind == "MLP":
        layers = [
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    else:  # the tutorials' MNIST CNN (workflow 5)
        layers = [
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Conv2D(12, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    model = keras.Sequential([keras.Input((28, 28)), *layers])
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def epoch_feeds(kind: str, x: Any, y: Any) -> dict[str, Callable[[], float]]:
    """One fresh model per feed; each call trains it one epoch, returns samples/s.

    The epoch is timed from ``on_epoch_begin`` to ``on_epoch_end``, so it
    includes the end of the epoch's iterator but not ``fit``'s set-up.
    """
    import keras

    import tfstarter as tfs

    class Clock(keras.callbacks.Callback):
        seconds = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.seconds = time.perf_counter() - self.start

    def in_memory() -> Callable[[], float]:
        model, clock = build_model(kind), Clock()

        def epoch() -> float:
            model.fit(
                x, y, batch_size=BATCH, shuffle=True, verbose=0, callbacks=[clock]
            )
            return len(x) / clock.seconds

        return epoch

    def from_arrays() -> Callable[[], float]:
        model, clock = build_model(kind), Clock()
        ds = tfs.data.from_arrays(x, y, batch_size=BATCH, shuffle=True, seed=0)

        def epoch() -> float:
            model.fit(ds, shuffle=False, verbose=0, callbacks=[clock])
            return len(x) / clock.seconds

        return epoch

    return {"memory": in_memory(), "tfs": from_arrays()}


def training_rows(settings: Settings) -> list[list[str]]:
    import tfstarter as tfs

    (x, y), _ = tfs.datasets.mnist()
    x = (x[: settings.train_samples] / 255.0).astype("float32")
    y = y[: settings.train_samples].astype("int64")
    rows = []
    for kind in ("MLP", "CNN"):
        # The CNN trains on the first images only, so that it gets as many
        # epochs as the MLP in a few minutes.
        n = settings.train_samples if kind == "MLP" else settings.cnn_samples
        feeds = epoch_feeds(kind, x[:n], y[:n])
        for epoch in feeds.values():
            epoch()  # the first epoch traces the step
        rates: dict[str, list[float]] = {name: [] for name in feeds}
        for pair in range(settings.epochs):
            # The feeds take turns epoch by epoch, the order alternating, so
            # the two epochs of a pair ran side by side on the machine.
            names = list(feeds) if pair % 2 == 0 else list(reversed(feeds))
            for name in names:
                rates[name].append(feeds[name]())
        cost = 1.0 - median_paired_ratio(rates["tfs"], rates["memory"])
        memory, ours = (
            f"{max(rates[f]):,.0f} ({statistics.median(rates[f]):,.0f})"
            for f in ("memory", "tfs")
        )
        print(f"train {kind}: memory {memory}, from_arrays {ours}, cost {cost:+.1%}")
        rows.append([kind, memory, ours, f"{cost:+.1%}", _verdict(cost <= 0.05)])
    return rows


# ----------------------------------------------------------------- teardown


def teardown_rows(settings: Settings) -> list[list[str]]:
    """Milliseconds to drop an iterator after an epoch of CNN training.

    Each epoch trains the CNN on every batch of a fresh iterator (one compiled
    step per batch, as a hand-written loop does), then times ``del iterator``;
    the pipelines take turns epoch by epoch.
    """
    import keras
    import tensorflow as tf

    import tfstarter as tfs
    from tfstarter.data._tuning import PREFETCH_BATCHES, without_autotune

    (x, y), _ = tfs.datasets.mnist()
    n = settings.teardown_samples
    x = (x[:n] / 255.0).astype("float32")
    y = y[:n].astype("int64")
    plain = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    pipelines = {
        "tf.data, autotuner on (TensorFlow's default)": plain.prefetch(
            tf.data.AUTOTUNE
        ),
        "tf.data, autotuner off": without_autotune(plain.prefetch(PREFETCH_BATCHES)),
        "tfs.data.from_arrays": tfs.data.from_arrays(x, y, batch_size=BATCH),
    }
    model = build_model("CNN")
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(images: Any, labels: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        model.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return loss

    for ds in pipelines.values():  # warm-up: trace the step for each pipeline
        for images, labels in ds:
            step(images, labels)
    stalls: dict[str, list[float]] = {name: [] for name in pipelines}
    epochs: dict[str, list[float]] = {name: [] for name in pipelines}
    names = list(pipelines)
    for epoch in range(settings.teardown_epochs):
        shift = epoch % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            iterator = iter(pipelines[name])
            for images, labels in iterator:
                step(images, labels)
            trained = time.perf_counter()
            del iterator
            end = time.perf_counter()
            stalls[name].append(end - trained)
            epochs[name].append(end - start)
    rows = []
    for name in names:
        share = sum(stalls[name]) / sum(epochs[name])
        rows.append(
            [
                name,
                f"{statistics.median(stalls[name]) * 1e3:,.0f}",
                f"{max(stalls[name]) * 1e3:,.0f}",
                f"{share:.0%}",
            ]
        )
        print(f"teardown {name}: max {max(stalls[name]) * 1e3:.0f} ms, {share:.0%}")
    return rows


# ----------------------------------------------------------------- readers


def pass_rate(make: Callable[[], Any], count: int) -> float:
    """Samples/s of one full pass over a freshly built dataset."""
    ds = make()
    start = time.perf_counter()
    for _ in ds:
        pass
    return count / (time.perf_counter() - start)


def compare(
    makers: dict[str, Callable[[], Any]], count: int, passes: int
) -> dict[str, float]:
    """Best samples/s of each pipeline over passes in alternating order."""
    for make in makers.values():
        pass_rate(make, count)  # warm-up: tracing, file cache
    rates: dict[str, list[float]] = {name: [] for name in makers}
    for round_ in range(passes):
        names = list(makers) if round_ % 2 == 0 else list(reversed(makers))
        for name in names:
            rates[name].append(pass_rate(makers[name], count))
    return {name: max(values) for name, values in rates.items()}


def reader_rows(settings: Settings, workdir: Path) -> tuple[list[list[str]], str]:
    import numpy as np

    import _pipeline_baselines as hand
    import tfstarter as tfs

    rows = []
    # CSV: 16 float features and an integer label.
    rng = np.random.default_rng(0)
    n = settings.csv_rows
    table = np.column_stack(
        [rng.normal(size=(n, 16)).astype(np.float32), rng.integers(0, 10, n)]
    )
    csv_file = workdir / "table.csv"
    header = ",".join([f"f{i}" for i in range(16)] + ["label"])
    np.savetxt(csv_file, table, delimiter=",", header=header, comments="", fmt="%.7g")
    start = time.perf_counter()
    tfs.data.from_csv(csv_file, label="label", batch_size=BATCH)
    build = time.perf_counter() - start
    rates = compare(
        {
            "tfs": lambda: tfs.data.from_csv(csv_file, label="label", batch_size=BATCH)[
                0
            ],
            "hand": lambda: hand.csv_by_batch(str(csv_file), 17, BATCH),
            "tutorial": lambda: hand.csv_make_csv_dataset(
                str(csv_file), "label", BATCH
            ),
        },
        n,
        settings.reader_passes,
    )
    rows.append(_reader_row(f"CSV, {n:,} rows x 17 columns", rates))
    print(f"csv: {rates}, build (scan) {build:.2f} s")

    # TFRecord: MNIST training images and labels, 4 shards.
    (x, y), _ = tfs.datasets.mnist()
    x, y = x[: settings.train_samples], y[: settings.train_samples]
    folder = workdir / "mnist-tfrecord"
    files = [str(f) for f in tfs.data.write_tfrecord(folder, x, y, num_shards=4)]
    rates = compare(
        {
            "tfs": lambda: tfs.data.from_tfrecord(folder, batch_size=BATCH),
            "hand": lambda: hand.tfrecord_by_batch(files, (28, 28), BATCH),
            "tutorial": lambda: hand.tfrecord_by_record(files, (28, 28), BATCH),
        },
        len(x),
        settings.reader_passes,
    )
    rows.append(
        _reader_row(f"TFRecord, MNIST {len(x):,} x 28x28 uint8, 4 shards", rates)
    )
    print(f"tfrecord: {rates}")
    return rows, f"{build:.2f} s for {n:,} rows"


def _reader_row(name: str, rates: dict[str, float]) -> list[str]:
    ratio = rates["tfs"] / rates["hand"]
    return [
        name,
        f"{rates['tfs']:,.0f}",
        f"{rates['hand']:,.0f}",
        f"{rates['tutorial']:,.0f}",
        f"{ratio:.2f}x",
        _verdict(ratio >= 0.95),
    ]


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "**misses target**"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


TRAIN_HEADER = [
    "model",
    "in memory (samples/s)",
    "tfs.data.from_arrays (samples/s)",
    "pipeline cost",
    "target",
]
TEARDOWN_HEADER = [
    "pipeline",
    "median (ms)",
    "max (ms)",
    "share of the epoch time",
]
READER_HEADER = [
    "files",
    "tfstarter",
    "hand-written",
    "tutorial pattern",
    "tfstarter / hand-written",
    "target",
]


def render(
    train: list[list[str]],
    readers: list[list[str]],
    build: str,
    teardown: list[list[str]],
    settings: Settings,
) -> str:
    return f"""# Input pipelines

Measured by `benchmarks/pipeline.py` on {machine()}.

## Training throughput at batch {BATCH}

Samples per second of `model.fit` on MNIST images (float32 in memory;
all {settings.train_samples:,} for the MLP, the first
{settings.cnn_samples:,} for the CNN), one model per feed, the feeds taking
turns epoch by epoch ({settings.epochs} timed epochs each after an untimed
first one, the order alternating): the best epoch and, in brackets, the
median one. "in memory" passes the arrays to
`model.fit(x, y, batch_size={BATCH}, shuffle=True)`; tfstarter passes
`tfs.data.from_arrays(x, y, batch_size={BATCH}, shuffle=True, seed=0)`.
Each epoch includes dropping its iterator: Keras replaces it with the next
epoch's before `on_epoch_end` (see the last section). The pipeline cost is
one minus the median, over the pairs of epochs that ran side by side, of
tfstarter's samples/s over in-memory samples/s: whole epochs on this 2-core
VM run at half speed now and then, and a pair shares the state of the
machine where the best or the median of each feed alone need not.
Target: the pipeline costs at most 5% of the throughput.

{_table(TRAIN_HEADER, train)}

## Reading throughput at batch {BATCH}

Samples per second of one full pass over the files (no shuffle, no model),
the best of 8 passes in alternating order after a warm-up pass. "hand-written" reads
and parses a batch at a time with plain `tf.data`
(`TFRecordDataset(files, num_parallel_reads=AUTOTUNE)` or
`TextLineDataset`, then one `parse_example` / `decode_csv` per batch; see
`benchmarks/_pipeline_baselines.py`); "tutorial pattern" is
`tf.data.experimental.make_csv_dataset` for CSV and
`parse_single_example` per record for TFRecord. Target: tfstarter is no
slower than hand-written (ratio at least 0.95, the noise of these runs).

{_table(READER_HEADER, readers)}

`from_csv` also reads the file once when the pipeline is built, to learn and
check the columns (types, vocabularies, statistics, missing values): {build}.
That pass is not part of the epoch throughput above.

## Dropping an iterator after an epoch

Keras makes a new `tf.data` iterator every epoch (so does a hand-written
`for x, y in dataset` loop), and the old one is dropped. Milliseconds that
`del iterator` took after an epoch of CNN training ({settings.teardown_samples:,}
MNIST images, batch {BATCH}, one compiled step per batch), over
{settings.teardown_epochs} epochs per pipeline, the pipelines taking turns; the last
column is the time spent dropping iterators over the time of the epochs.

{_table(TEARDOWN_HEADER, teardown)}

With the autotuner on, dropping the iterator waits for tf.data's autotuning
thread, and after an epoch that kept the cores busy that wait is what the
first row shows. This is why every tfstarter pipeline turns the autotuner
off and sets its parallelism itself (one call per core, a prefetch of two
batches; see `tfstarter/data/_tuning.py`).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small data, one round; prints the tables and leaves the docs alone",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        readers, build = reader_rows(settings, Path(tmp))
    teardown = teardown_rows(settings)
    train = training_rows(settings)
    page = render(train, readers, build, teardown, settings)
    if args.quick:
        print(page)
        print("(--quick: docs/benchmarks/pipeline.md left unchanged)")
    else:
        write_page(DOCS_PAGE, page)
        print(f"wrote {DOCS_PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
