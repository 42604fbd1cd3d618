"""Bad input across the whole public API, as a careless or hurried user passes it.

One table, one test: each case calls the public API the wrong way and asserts
the error's type and that its message names the argument (or the file) and
shows the value. Cases that train assert, with a spy callback, that not one
training batch ran before the error. A case waiting on a part still being
built is marked ``xfail(strict=True)``: it flips to a failure the day the
part lands, so the mark must then go.

Add a case for every bad input you find.
"""

from __future__ import annotations

import errno
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.datasets._catalog import FASHION_MNIST, MNIST, DatasetSpec
from tfstarter.errors import (
    ArgumentTypeError,
    ArtifactExistsError,
    ArtifactNotFoundError,
    ConfigError,
    CorruptFileError,
    DataError,
    DatasetNotFoundError,
    ExportError,
    TrainingError,
)

pytestmark = pytest.mark.extended  # a long reference suite: its own step of .ci/run

# ---------------------------------------------------------------- harness


class Spy(keras.callbacks.Callback):
    """Counts training batches, to show an error came before training."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self.batches += 1


@dataclass
class Ctx:
    """What a case may use: a folder of its own, monkeypatch, the spy."""

    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    spy: Spy


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes:
        id: the test id.
        call: does the bad thing.
        error: the error class expected.
        match: a regex the message must match: it names the argument or file
            and shows the value.
        trains: the call starts a fit; no training batch may run first.
        needs: the part still being built; the case is a strict xfail.
    """

    id: str
    call: Callable[[Ctx], object]
    error: type[BaseException]
    match: str
    trains: bool = False
    needs: str | None = None


CASES: list[Case] = []


def add(
    id: str,
    call: Callable[[Ctx], object],
    error: type[BaseException],
    match: str,
    *,
    trains: bool = False,
    needs: str | None = None,
) -> None:
    CASES.append(Case(id, call, error, match, trains, needs))


# ---------------------------------------------------------------- helpers

X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
Y3 = np.arange(64) % 3


def clf3() -> keras.Model:
    return tfs.models.dense(4, classes=3, hidden=(8,), seed=0)


def binary() -> keras.Model:
    return tfs.models.logistic(4, classes=2, seed=0)


def regressor(outputs: int = 1) -> keras.Model:
    return tfs.models.linear(4, outputs=outputs, seed=0)


def image_model() -> keras.Model:
    return tfs.models.cnn((28, 28), 10, filters=(2,), hidden=(8,), seed=0)


def fit(ctx: Ctx, model: keras.Model, *args: Any, loop: str = "fit", **kw: Any) -> Any:
    kw.setdefault("epochs", 1)
    kw.setdefault("verbose", 0)
    return tfs.Trainer(model, loop=loop).fit(  # type: ignore[arg-type]
        *args, callbacks=[ctx.spy], **kw
    )


def write(ctx: Ctx, name: str, text: str | bytes) -> Path:
    path = ctx.tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def png(height: int = 6, width: int = 5) -> bytes:
    return bytes(tf.io.encode_png(tf.zeros([height, width, 3], tf.uint8)).numpy())


def image_folder(ctx: Ctx) -> Path:
    for name in ("cat", "dog"):
        for i in range(2):
            write(ctx, f"img/{name}/{i}.png", png())
    return ctx.tmp / "img"


def records(ctx: Ctx, **kw: Any) -> Path:
    folder = ctx.tmp / "rec"
    tfs.data.write_tfrecord(folder, X, Y3, num_shards=2, **kw)
    return folder


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    shape = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + shape + array.astype(np.uint8).tobytes()


def fake_dataset(ctx: Ctx, spec: DatasetSpec, root: str = "data") -> Path:
    folder = ctx.tmp / root / spec.folder
    folder.mkdir(parents=True, exist_ok=True)
    for images, labels, n in (
        (spec.train_images, spec.train_labels, 6),
        (spec.test_images, spec.test_labels, 4),
    ):
        pixels = np.zeros((n, 28, 28), np.uint8)
        (folder / images.name).write_bytes(gzip.compress(idx_bytes(pixels, 2051)))
        (folder / labels.name).write_bytes(
            gzip.compress(idx_bytes(np.arange(n) % 10, 2049))
        )
    return ctx.tmp / root


def csv_pair(ctx: Ctx, train: str, val: str) -> tuple[Path, Path]:
    return write(ctx, "train.csv", train), write(ctx, "val.csv", val)


def from_schema(ctx: Ctx, train: str, val: str, label: str = "y") -> Any:
    train_file, val_file = csv_pair(ctx, train, val)
    _, schema = tfs.data.from_csv(train_file, label=label)
    return tfs.data.from_csv(val_file, label=label, schema=schema)


# ================================================================ tfs.data.from_arrays

add(
    "arrays/length-mismatch",
    lambda c: tfs.data.from_arrays(X[:10], Y3[:9]),
    DataError,
    r"`x` has 10 samples but `y` has 9",
)
add(
    "arrays/empty",
    lambda c: tfs.data.from_arrays(np.zeros((0, 4))),
    DataError,
    r"`x` is empty \(0 samples\)",
)
add(
    "arrays/nan-feature",
    lambda c: tfs.data.from_arrays(np.array([[1.0], [2.0], [np.nan]])),
    DataError,
    r"`x` holds NaN or Inf in 1 of 3 rows \(first at row 2\).*non_finite='drop'",
)
add(
    "arrays/inf-label",
    lambda c: tfs.data.from_arrays(np.ones((3, 1)), np.array([0.0, np.inf, 1.0])),
    DataError,
    r"`y` holds NaN or Inf in 1 of 3 rows \(first at row 1\)",
)
add(
    "arrays/all-rows-dropped",
    lambda c: tfs.data.from_arrays(np.full((2, 1), np.nan), non_finite="drop"),
    DataError,
    r"every one of the 2 rows of `x` holds NaN or Inf",
)
add(
    "arrays/batch-size-zero",
    lambda c: tfs.data.from_arrays(X, batch_size=0),
    ConfigError,
    r"`batch_size` must be a positive integer, got 0",
)
add(
    "arrays/batch-size-float",
    lambda c: tfs.data.from_arrays(X, batch_size=2.5),
    ArgumentTypeError,
    r"`batch_size` must be a positive integer, got 2\.5 of type float",
)
add(
    "arrays/shuffle-string",
    lambda c: tfs.data.from_arrays(X, shuffle="yes"),
    ArgumentTypeError,
    r"`shuffle` must be True or False, got 'yes'",
)
add(
    "arrays/drop-remainder-int",
    lambda c: tfs.data.from_arrays(X, drop_remainder=1),
    ArgumentTypeError,
    r"`drop_remainder` must be True or False, got 1",
)
add(
    "arrays/seed-negative",
    lambda c: tfs.data.from_arrays(X, seed=-1),
    ConfigError,
    r"`seed` must be in \[0, 2\*\*63\), got -1",
)
add(
    "arrays/seed-string",
    lambda c: tfs.data.from_arrays(X, seed="0"),
    ArgumentTypeError,
    r"`seed` must be an int or None, got '0'",
)
add(
    "arrays/cache-number",
    lambda c: tfs.data.from_arrays(X, cache=3),
    ArgumentTypeError,
    r"`cache` must be False, True .* got 3 of type int",
)
add(
    "arrays/prefetch-zero",
    lambda c: tfs.data.from_arrays(X, prefetch=0),
    ConfigError,
    r"`prefetch` must be a positive integer, got 0",
)
add(
    "arrays/map-not-callable",
    lambda c: tfs.data.from_arrays(X, map=3),
    ArgumentTypeError,
    r"`map` must be a function, got 3 of type int",
)
add(
    "arrays/map-takes-x-only",
    lambda c: tfs.data.from_arrays(X, Y3, map=lambda x: x),
    ArgumentTypeError,
    r"`map` takes 1 positional argument \(x\), but `map` receives \(x, y\)",
)
add(
    "arrays/map-drops-labels",
    lambda c: tfs.data.from_arrays(X, Y3, map=lambda x, y: x * 2),
    ConfigError,
    r"`map` returned one value, not an \(x, y\) pair",
)
add(
    "arrays/map-fails",
    lambda c: tfs.data.from_arrays(X, Y3, map=lambda x, y: (x + "s", y)),
    ArgumentTypeError,
    r"`map` failed on a sample: TypeError: .*string",
)
add(
    "arrays/rescale-zero",
    lambda c: tfs.data.from_arrays(X, rescale=0),
    ConfigError,
    r"`rescale` must be a non-zero, finite number, got 0\.",
)
add(
    "arrays/rescale-string",
    lambda c: tfs.data.from_arrays(X, rescale="1/255"),
    ArgumentTypeError,
    r"`rescale` must be a number such as 1 / 255, got '1/255'",
)
add(
    "arrays/normalize-zero-std",
    lambda c: tfs.data.from_arrays(X, normalize=(0.0, 0.0)),
    ConfigError,
    r"`normalize` std must be > 0 everywhere, got a minimum of 0\.0",
)
add(
    "arrays/normalize-wrong-shape",
    lambda c: tfs.data.from_arrays(X, normalize=(np.zeros(3), 1.0)),
    ConfigError,
    r"`normalize` mean has shape \(3,\), which does not broadcast to one sample "
    r"of shape \(4,\)",
)
add(
    "arrays/normalize-not-a-pair",
    lambda c: tfs.data.from_arrays(X, normalize=1.0),
    ArgumentTypeError,
    r"`normalize` must be a \(mean, std\) pair, got 1\.0",
)
add(
    "arrays/non-finite-policy",
    lambda c: tfs.data.from_arrays(X, non_finite="keep"),
    ConfigError,
    r"`non_finite` must be one of 'raise', 'drop'; got 'keep'",
)
add(
    "arrays/classes-out-of-range",
    lambda c: tfs.data.from_arrays(X[:3], np.array([0, 1, 5]), classes=3),
    DataError,
    r"`y` must hold class labels in \[0, 3\), got values from 0 to 5",
)
add(
    "arrays/classes-zero",
    lambda c: tfs.data.from_arrays(X, Y3, classes=0),
    ConfigError,
    r"`classes` must be a positive integer, got 0",
)
add(
    "arrays/ragged",
    lambda c: tfs.data.from_arrays([[1, 2], [3]]),
    DataError,
    r"`x` could not be made into an array .*pad or crop ragged samples",
)
add(
    "arrays/python-objects",
    lambda c: tfs.data.from_arrays(np.array([object(), object()])),
    ArgumentTypeError,
    r"`x` holds Python objects \(array of shape \(2,\) and dtype object\)",
)
add(
    "arrays/none",
    lambda c: tfs.data.from_arrays(None),
    ArgumentTypeError,
    r"`x` must be an array or a mapping of arrays, got None",
)
add(
    "arrays/complex-features",
    lambda c: tfs.data.from_arrays(X.astype(complex)),
    DataError,
    r"`x` holds complex numbers \(dtype complex128\).*imaginary part",
)
add(
    "arrays/complex-labels",
    lambda c: tfs.data.from_arrays(X, (Y3 + 1j).astype("complex64")),
    DataError,
    r"`y` holds complex numbers \(dtype complex64\)",
)
add(
    "arrays/augment-without-shuffle",
    lambda c: tfs.data.from_arrays(
        np.zeros((4, 8, 8, 1)), augment=keras.layers.RandomFlip()
    ),
    ConfigError,
    r"`augment` is for training pipelines",
)
add(
    "arrays/dict-keys-not-strings",
    lambda c: tfs.data.from_arrays({1: X}),
    ArgumentTypeError,
    r"`x` keys must be strings, got \['1'\]",
)
add(
    "arrays/scalar",
    lambda c: tfs.data.from_arrays(np.float32(3.0)),
    DataError,
    r"`x` must have a leading sample dimension, got a scalar",
)
add(
    "arrays/dict-rows-differ",
    lambda c: tfs.data.from_arrays({"a": X, "b": X[:5]}),
    DataError,
    r"`x\['b'\]` has 5 rows but `x\['a'\]` has 64",
)
add(
    "arrays/rescale-dict",
    lambda c: tfs.data.from_arrays({"a": X}, rescale=0.5),
    ConfigError,
    r"`rescale` and `normalize` apply to array features, but `x` is a dict with "
    r"keys \['a'\]",
)

# ================================================================ tfs.data.split


def split(**kw: Any) -> Any:
    kw.setdefault("fractions", (0.5, 0.5))
    return tfs.data.split(kw.pop("x", X[:20]), kw.pop("y", Y3[:20]), **kw)


add(
    "split/fractions-sum",
    lambda c: split(fractions=(0.5, 0.4)),
    ConfigError,
    r"`fractions` must sum to 1, got \(0\.5, 0\.4\) which sums to 0\.9",
)
add(
    "split/one-fraction",
    lambda c: split(fractions=(1.0,)),
    ConfigError,
    r"`fractions` must name at least two parts, got \(1\.0,\)",
)
add(
    "split/zero-fraction",
    lambda c: split(fractions=(1.0, 0.0)),
    ConfigError,
    r"`fractions\[1\]` must be in \(0, 1\], got 0\.0",
)
add(
    "split/fractions-string",
    lambda c: split(fractions="0.8,0.2"),
    ArgumentTypeError,
    r"`fractions` must be a sequence of numbers .* got '0\.8,0\.2'",
)
add(
    "split/fraction-not-a-number",
    lambda c: split(fractions=(0.5, "half")),
    ArgumentTypeError,
    r"`fractions\[1\]` must be a number, got 'half'",
)
add(
    "split/seed-none",
    lambda c: split(seed=None),
    ArgumentTypeError,
    r"`seed` must be an int so the split is reproducible, got None",
)
add(
    "split/empty-part",
    lambda c: split(x=X[:3], y=Y3[:3], fractions=(0.9, 0.1)),
    ConfigError,
    r"`fractions` \(0\.9, 0\.1\) of 3 samples leave part 1 empty",
)
add(
    "split/stratify-continuous",
    lambda c: split(y=np.linspace(0, 1, 20), stratify=True),
    DataError,
    r"`stratify` needs class labels, but `y` holds continuous values \(e\.g\. "
    r"0\.05\d* at row 1\)",
)
add(
    "split/stratify-without-y",
    lambda c: tfs.data.split(X[:20], fractions=(0.5, 0.5), stratify=True),
    ConfigError,
    r"`stratify=True` stratifies on the labels, so `y` must be one label array; "
    r"got y=None",
)
add(
    "split/stratify-wrong-length",
    lambda c: split(stratify=np.zeros(7)),
    DataError,
    r"`stratify` must hold one group label per sample \(20\), got array of "
    r"shape \(7,\)",
)
add(
    "split/length-mismatch",
    lambda c: split(y=Y3[:19]),
    DataError,
    r"`x` has 20 samples but `y` has 19",
)
add(
    "split/shuffle-string",
    lambda c: split(shuffle="no"),
    ArgumentTypeError,
    r"`shuffle` must be True or False, got 'no'",
)

# ================================================================ tfs.data.from_csv

add(
    "csv/missing-file",
    lambda c: tfs.data.from_csv(c.tmp / "nope.csv", label="y"),
    DatasetNotFoundError,
    r"`path` '.*nope\.csv' is not a file",
)
add(
    "csv/label-not-in-header",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), label="price"),
    DataError,
    r"label column 'price' is not in '.*a\.csv'; the columns found are \['a', 'b'\]",
)
add(
    "csv/wrong-field-count",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n3\n"), label="b"),
    DataError,
    r"line 3 of '.*a\.csv' has 1 fields but the header has 2",
)
add(
    "csv/missing-value",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\nNA,3\n"), label="b"),
    DataError,
    r"column 'a' of '.*a\.csv' has 1 missing values \(first on line 3\)",
)
add(
    "csv/missing-label",
    lambda c: tfs.data.from_csv(
        write(c, "a.csv", "a,b\n1,2\n2,\n"), label="b", missing="fill"
    ),
    DataError,
    r"label column 'b' of '.*a\.csv' has 1 missing values \(first on line 3\); "
    r"labels are never filled",
)
add(
    "csv/infinite-value",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\ninf,3\n"), label="b"),
    DataError,
    r"column 'a' of '.*a\.csv' has 1 infinite or NaN values \(first on line 3\)",
)
add(
    "csv/not-utf8",
    lambda c: tfs.data.from_csv(
        write(c, "latin.csv", b"name,y\nab,1\ncaf\xe9,2\n"), label="y"
    ),
    CorruptFileError,
    r"line 3 of '.*latin\.csv' is not valid UTF-8 \(byte 0xe9 at column 4\)",
)
add(
    "csv/schema-integer-label-never-seen",
    lambda c: from_schema(c, "a,y\n1,0\n2,1\n3,2\n", "a,y\n1,0\n2,7\n"),
    DataError,
    r"label column 'y' of '.*val\.csv' holds labels the training file never had: "
    r"\[7\] \(first on line 3\)",
)
add(
    "csv/schema-text-class-never-seen",
    lambda c: from_schema(c, "a,y\n1,cat\n2,dog\n", "a,y\n1,cow\n"),
    DataError,
    r"label column 'y' of '.*val\.csv' holds classes the training file does not "
    r"have: \['cow'\] \(first on line 2\)",
)
add(
    "csv/schema-text-in-numeric-column",
    lambda c: from_schema(c, "a,y\n1,0\n2,1\n", "a,y\none,0\n"),
    DataError,
    r"column 'a' of '.*val\.csv' holds text on line 2, but it is numeric",
)
add(
    "csv/schema-fractional-label",
    lambda c: from_schema(c, "a,y\n1,0\n2,1\n", "a,y\n1,0.5\n"),
    DataError,
    r"label column 'y' of '.*val\.csv' holds fractional values",
)
add(
    "csv/schema-other-label",
    lambda c: tfs.data.from_csv(
        write(c, "b.csv", "a,y\n1,0\n"),
        label="a",
        schema=tfs.data.from_csv(write(c, "a.csv", "a,y\n1,0\n"), label="y")[1],
    ),
    ConfigError,
    r"`label` is \['a'\] but the schema was learned with label \['y'\]",
)
add(
    "csv/schema-wrong-type",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,y\n1,0\n"), "y", schema={}),
    ArgumentTypeError,
    r"`schema` must be the CsvSchema returned by from_csv .* got dict",
)
add(
    "csv/delimiter",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), "b", delimiter=",,"),
    ConfigError,
    r"`delimiter` must be one character other than a quote or newline, got ',,'",
)
add(
    "csv/missing-policy",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), "b", missing="skip"),
    ConfigError,
    r"`missing` must be one of 'raise', 'drop', 'fill'; got 'skip'",
)
add(
    "csv/label-empty-list",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), label=[]),
    ConfigError,
    r"`label` is an empty list",
)
add(
    "csv/label-number",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), label=3),
    ArgumentTypeError,
    r"`label` must be a list of strings, got 3 of type int",
)
add(
    "csv/no-header",
    lambda c: tfs.data.from_csv(write(c, "a.csv", ""), label="b"),
    DataError,
    r"`path` '.*a\.csv' has no header line",
)
add(
    "csv/duplicate-column",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,a\n1,2\n"), label=None),
    DataError,
    r"the header of '.*a\.csv' names 'a' more than once",
)
add(
    "csv/only-header",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n"), label="b"),
    DataError,
    r"'.*a\.csv' holds no usable rows \(only a header\)",
)
add(
    "csv/too-many-categories",
    lambda c: tfs.data.from_csv(
        write(c, "a.csv", "a,b\nx,1\ny,2\nz,3\n"), label="b", max_categories=2
    ),
    DataError,
    r"column 'a' of '.*a\.csv' holds more than 2 distinct values",
)
add(
    "csv/batch-size-negative",
    lambda c: tfs.data.from_csv(write(c, "a.csv", "a,b\n1,2\n"), "b", batch_size=-1),
    ConfigError,
    r"`batch_size` must be a positive integer, got -1",
)
add(
    "csv/categorical-unknown",
    lambda c: tfs.data.from_csv(
        write(c, "a.csv", "a,b\n1,2\n"), "b", categorical=["zzz"]
    ),
    ConfigError,
    r"`categorical` names 'zzz', which is not a feature column",
)

# ================================================================ from_image_directory

add(
    "images/not-a-folder",
    lambda c: tfs.data.from_image_directory(c.tmp / "missing"),
    DatasetNotFoundError,
    r"`path` '.*missing' is not a folder",
)
add(
    "images/no-class-folders",
    lambda c: tfs.data.from_image_directory(write(c, "loose/a.png", png()).parent),
    DataError,
    r"`path` '.*loose' has no class subfolders \(found: \['a\.png'\]\)",
)
add(
    "images/no-images",
    lambda c: tfs.data.from_image_directory(
        write(c, "f/cat/readme.txt", "x").parent.parent
    ),
    DataError,
    r"`path` '.*f' has class folders \['cat'\] but no images",
)
add(
    "images/not-an-image",
    lambda c: (
        write(c, "img/dog/notes.png", b"just text"),
        tfs.data.from_image_directory(image_folder(c)),
    ),
    CorruptFileError,
    r"dog/notes\.png is not a PNG, JPEG, GIF or BMP image \(it starts with "
    r"b'just tex'\)",
)
add(
    "images/truncated-png",
    lambda c: (
        write(c, "img/cat/cut.png", png()[:-20]),
        tfs.data.from_image_directory(image_folder(c)),
    ),
    CorruptFileError,
    r"cat/cut\.png is a truncated PNG file \(no IEND chunk",
)
add(
    "images/different-size",
    lambda c: (
        write(c, "img/dog/big.png", png(9, 9)),
        tfs.data.from_image_directory(image_folder(c)),
    ),
    DataError,
    r"images differ in size: .*cat/0\.png is 6x5 but .*dog/big\.png is 9x9",
)
add(
    "images/damaged-inside-with-verify",
    lambda c: (
        image_folder(c),
        write(c, "img/dog/bad.png", png()[:40] + bytes(20) + png()[60:]),
        tfs.data.from_image_directory(c.tmp / "img", verify=True),
    ),
    CorruptFileError,
    r"1 of 5 images could not be decoded, e\.g\. \['.*dog/bad\.png'\]",
)
add(
    "images/unknown-subfolder",
    lambda c: tfs.data.from_image_directory(image_folder(c), class_names=["cat"]),
    DataError,
    r"has subfolder 'dog', which is not one of class_names \['cat'\]",
)
add(
    "images/class-names-duplicate",
    lambda c: tfs.data.from_image_directory(
        image_folder(c), class_names=["cat", "cat"]
    ),
    ConfigError,
    r"`class_names` must be non-empty and unique, got \['cat', 'cat'\]",
)
add(
    "images/class-names-string",
    lambda c: tfs.data.from_image_directory(image_folder(c), class_names="cat"),
    ArgumentTypeError,
    r"`class_names` must be a list of folder names, got 'cat'",
)
add(
    "images/image-size-int",
    lambda c: tfs.data.from_image_directory(image_folder(c), image_size=28),
    ArgumentTypeError,
    r"`image_size` must be a \(height, width\) pair of ints, got 28",
)
add(
    "images/image-size-zero",
    lambda c: tfs.data.from_image_directory(image_folder(c), image_size=(0, 5)),
    ConfigError,
    r"`image_size\[0\]` must be a positive integer, got 0",
)
add(
    "images/color-mode",
    lambda c: tfs.data.from_image_directory(image_folder(c), color_mode="cmyk"),
    ConfigError,
    r"`color_mode` must be one of 'grayscale', 'rgb', 'rgba'; got 'cmyk'",
)
add(
    "images/interpolation",
    lambda c: tfs.data.from_image_directory(image_folder(c), interpolation="cubic"),
    ConfigError,
    r"`interpolation` must be one of .*; got 'cubic'",
)
add(
    "images/verify-string",
    lambda c: tfs.data.from_image_directory(image_folder(c), verify="yes"),
    ArgumentTypeError,
    r"`verify` must be True or False, got 'yes'",
)

# ================================================================ TFRecord


def flip_byte(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


add(
    "tfrecord/write-over-existing",
    lambda c: (records(c), records(c)),
    ArtifactExistsError,
    r"`path` '.*rec' already holds TFRecord data \(tfrecord_spec\.json\)\. Pass "
    r"overwrite=True",
)
add(
    "tfrecord/compression",
    lambda c: tfs.data.write_tfrecord(c.tmp / "r", X, compression="zip"),
    ConfigError,
    r"`compression` must be None, 'GZIP' or 'ZLIB', got 'zip'",
)
add(
    "tfrecord/num-shards-zero",
    lambda c: tfs.data.write_tfrecord(c.tmp / "r", X, num_shards=0),
    ConfigError,
    r"`num_shards` must be a positive integer, got 0",
)
add(
    "tfrecord/y-with-dataset",
    lambda c: tfs.data.write_tfrecord(
        c.tmp / "r", tf.data.Dataset.from_tensor_slices(X), Y3
    ),
    ConfigError,
    r"`y` must be None when `x` is a tf.data.Dataset",
)
add(
    "tfrecord/infinite-dataset",
    lambda c: tfs.data.write_tfrecord(c.tmp / "r", tf.data.Dataset.range(3).repeat()),
    ConfigError,
    r"`x` is an infinite dataset \(it repeats forever\)",
)
add(
    "tfrecord/batched-dataset",
    lambda c: tfs.data.write_tfrecord(
        c.tmp / "r", tf.data.Dataset.from_tensor_slices(X).batch(8)
    ),
    ConfigError,
    r"`sample` has shape \(None, 4\) with an unknown dimension.*\.unbatch\(\)",
)
add(
    "tfrecord/nan-written",
    lambda c: tfs.data.write_tfrecord(c.tmp / "r", np.array([[1.0], [np.nan]])),
    DataError,
    r"`x` holds NaN or Inf in 1 of 2 rows \(first at row 1\)",
)
add(
    "tfrecord/nan-in-dataset",
    lambda c: tfs.data.write_tfrecord(
        c.tmp / "r", tf.data.Dataset.from_tensor_slices([1.0, 2.0, np.nan])
    ),
    DataError,
    r"sample 2 of `x` holds NaN or Inf.*non_finite='drop'",
)
add(
    "tfrecord/non-finite-policy",
    lambda c: tfs.data.write_tfrecord(c.tmp / "r", X, non_finite="keep"),
    ConfigError,
    r"`non_finite` must be one of 'raise', 'drop'; got 'keep'",
)
add(
    "tfrecord/read-missing-folder",
    lambda c: tfs.data.from_tfrecord(c.tmp / "none"),
    DatasetNotFoundError,
    r"`path` '.*none' is not a folder",
)
add(
    "tfrecord/read-folder-without-spec",
    lambda c: tfs.data.from_tfrecord(write(c, "plain/x.txt", "x").parent),
    DatasetNotFoundError,
    r"`path` '.*plain' holds no tfrecord_spec\.json \(found: \['x\.txt'\]\)",
)
add(
    "tfrecord/truncated-shard",
    lambda c: (
        (records(c) / "part-00001-of-00002.tfrecord").write_bytes(b"\0" * 10),
        tfs.data.from_tfrecord(c.tmp / "rec"),
    ),
    CorruptFileError,
    r"shard .*part-00001-of-00002\.tfrecord is 10 bytes but .* says \d+: it was "
    r"truncated",
)
add(
    "tfrecord/missing-shard",
    lambda c: (
        (records(c) / "part-00000-of-00002.tfrecord").unlink(),
        tfs.data.from_tfrecord(c.tmp / "rec"),
    ),
    DatasetNotFoundError,
    r"shard .*part-00000-of-00002\.tfrecord listed in .* is missing",
)
add(
    "tfrecord/corrupt-spec",
    lambda c: (
        (records(c) / "tfrecord_spec.json").write_text("{not json"),
        tfs.data.from_tfrecord(c.tmp / "rec"),
    ),
    CorruptFileError,
    r".*rec/tfrecord_spec\.json is not a valid tfstarter TFRecord spec",
)
add(
    "tfrecord/flipped-bytes-with-verify",
    lambda c: (
        flip_byte(records(c) / "part-00001-of-00002.tfrecord"),
        tfs.data.from_tfrecord(c.tmp / "rec", verify=True),
    ),
    CorruptFileError,
    r"shard .*part-00001-of-00002\.tfrecord is corrupt \(corrupted record at \d+\)",
)
add(
    "tfrecord/rescale-nested",
    lambda c: (
        tfs.data.write_tfrecord(c.tmp / "d", {"a": X, "b": X}),
        tfs.data.from_tfrecord(c.tmp / "d", rescale=0.5),
    ),
    ConfigError,
    r"`rescale` and `normalize` apply to one feature tensor, but the samples' "
    r"features are nested",
)
add(
    "tfrecord/map-takes-x-only",
    lambda c: tfs.data.from_tfrecord(records(c), map=lambda x: x),
    ArgumentTypeError,
    r"`map` takes 1 positional argument \(x\), but `map` receives \(x, y\)",
)
add(
    "tfrecord/shuffle-buffer-zero",
    lambda c: tfs.data.from_tfrecord(records(c), shuffle_buffer=0),
    ConfigError,
    r"`shuffle_buffer` must be a positive integer, got 0",
)

# ================================================================ tfs.datasets

add(
    "datasets/data-dir-without-the-dataset",
    lambda c: (
        c.monkeypatch.setenv("TFSTARTER_DATA_DIR", str(fake_dataset(c, MNIST))),
        tfs.datasets.mnist(data_dir=c.tmp / "nonexistent", verify=False),
    ),
    DatasetNotFoundError,
    r"`data_dir` '.*nonexistent' does not hold mnist",
)
add(
    "datasets/mnist-files-as-fashion",
    lambda c: tfs.datasets.fashion_mnist(
        data_dir=fake_dataset(c, MNIST) / "mnist", download=False
    ),
    CorruptFileError,
    r"train-images-idx3-ubyte\.gz is not fashion_mnist's train images: it matches "
    r"no published file",
)
add(
    "datasets/modified-files",
    lambda c: tfs.datasets.mnist(data_dir=fake_dataset(c, MNIST), download=False),
    CorruptFileError,
    r"mnist/train-images-idx3-ubyte\.gz is not mnist's train images.*"
    r"verify=False",
)
add(
    "datasets/truncated-gzip",
    lambda c: (
        (
            fake_dataset(c, FASHION_MNIST) / "fashion-mnist" / MNIST.test_labels.name
        ).write_bytes(gzip.compress(idx_bytes(np.arange(4), 2049))[:-6]),
        tfs.datasets.fashion_mnist(data_dir=c.tmp / "data", verify=False),
    ),
    CorruptFileError,
    r"t10k-labels-idx1-ubyte\.gz is not a complete gzip file",
)
add(
    "datasets/partial-folder",
    lambda c: (
        (fake_dataset(c, MNIST) / "mnist" / MNIST.test_labels.name).unlink(),
        tfs.datasets.mnist(data_dir=c.tmp / "data", verify=False),
    ),
    DatasetNotFoundError,
    r"mnist holds only part of mnist: missing \['t10k-labels-idx1-ubyte\.gz'\]",
)
add(
    "datasets/offline-and-nowhere",
    lambda c: (
        c.monkeypatch.setenv("KERAS_HOME", str(c.tmp / "keras")),
        c.monkeypatch.delenv("TFSTARTER_DATA_DIR", raising=False),
        tfs.datasets.fashion_mnist(download=False),
    ),
    DatasetNotFoundError,
    r"fashion_mnist was not found and download=False",
)
add(
    "datasets/verify-string",
    lambda c: tfs.datasets.mnist(data_dir=c.tmp, verify="no"),
    ArgumentTypeError,
    r"`verify` must be True or False, got 'no'",
)
add(
    "datasets/synthetic-no-samples",
    lambda c: tfs.datasets.synthetic_classification(0),
    ConfigError,
    r"`n_samples` must be a positive integer, got 0",
)
add(
    "datasets/synthetic-one-class",
    lambda c: tfs.datasets.synthetic_classification(10, classes=1),
    ConfigError,
    r"`classes` must be at least 2, got 1",
)
add(
    "datasets/synthetic-negative-noise",
    lambda c: tfs.datasets.synthetic_regression(10, noise=-1.0),
    ConfigError,
    r"`noise` must be in \[0\.0, inf\), got -1\.0",
)
add(
    "datasets/synthetic-label-noise",
    lambda c: tfs.datasets.synthetic_classification(10, label_noise=2.0),
    ConfigError,
    r"`label_noise` must be in \[0\.0, 1\.0\], got 2\.0",
)
add(
    "datasets/synthetic-margin-too-large",
    lambda c: tfs.datasets.synthetic_classification(10, margin=1e6),
    ConfigError,
    r"`margin`=1000000\.0 is too large",
)
add(
    "datasets/synthetic-seed",
    lambda c: tfs.datasets.synthetic_regression(10, seed=-3),
    ConfigError,
    r"`seed` must be a non-negative integer, got -3",
)
add(
    "datasets/synthetic-features-float",
    lambda c: tfs.datasets.synthetic_regression(10, n_features=2.5),
    ArgumentTypeError,
    r"`n_features` must be a positive integer, got 2\.5",
)

# ================================================================ tfs.models

add(
    "models/input-shape-zero",
    lambda c: tfs.models.linear(0),
    ConfigError,
    r"`input_shape`.*got 0",
)
add(
    "models/input-shape-negative-dim",
    lambda c: tfs.models.dense((28, -1), classes=3),
    ConfigError,
    r"`input_shape`.*-1",
)
add(
    "models/input-shape-string",
    lambda c: tfs.models.cnn("28x28", 10),
    ArgumentTypeError,
    r"`input_shape`.*'28x28'",
)
add(
    "models/outputs-zero",
    lambda c: tfs.models.linear(4, outputs=0),
    ConfigError,
    r"`outputs` must be a positive integer, got 0",
)
add(
    "models/l2-negative",
    lambda c: tfs.models.linear(4, l2=-1.0),
    ConfigError,
    r"`l2`.*-1\.0",
)
add(
    "models/l1-negative",
    lambda c: tfs.models.logistic(4, l1=-0.1),
    ConfigError,
    r"`l1`.*-0\.1",
)
add(
    "models/rescale-zero",
    lambda c: tfs.models.linear(4, rescale=0.0),
    ConfigError,
    r"`rescale` must be a non-zero, finite number, got 0\.0",
)
add(
    "models/learning-rate-negative",
    lambda c: tfs.models.linear(4, learning_rate=-1.0),
    ConfigError,
    r"`learning_rate` must be a positive, finite number, got -1\.0",
)
add(
    "models/learning-rate-string",
    lambda c: tfs.models.linear(4, learning_rate="fast"),
    ArgumentTypeError,
    r"`learning_rate` must be a float .* got 'fast'",
)
add(
    "models/optimizer-unknown",
    lambda c: tfs.models.linear(4, optimizer="adamx"),
    ConfigError,
    r"`optimizer`='adamx' is not a Keras optimizer name",
)
add(
    "models/optimizer-number",
    lambda c: tfs.models.linear(4, optimizer=3),
    ArgumentTypeError,
    r"`optimizer` must be a name such as 'adam' .* got 3",
)
add(
    "models/optimizer-and-learning-rate",
    lambda c: tfs.models.linear(4, optimizer=keras.optimizers.SGD(), learning_rate=0.1),
    ConfigError,
    r"got both an optimizer instance \(SGD\) and learning_rate=0\.1",
)
add(
    "models/seed-negative",
    lambda c: tfs.models.dense(4, classes=3, seed=-1),
    ConfigError,
    r"`seed` must be in \[0, 2\*\*63\), got -1",
)
add(
    "models/one-class",
    lambda c: tfs.models.logistic(4, classes=1),
    ConfigError,
    r"`classes` must be at least 2, got 1",
)
add(
    "models/classes-and-outputs",
    lambda c: tfs.models.dense(4, classes=3, outputs=2),
    ConfigError,
    r"pass either `classes` .* or `outputs` .* not both; got classes=3 and "
    r"outputs=2",
)
add(
    "models/hidden-zero",
    lambda c: tfs.models.dense(4, classes=3, hidden=(0,)),
    ConfigError,
    r"`hidden`.*0",
)
add(
    "models/dropout-one",
    lambda c: tfs.models.dense(4, classes=3, dropout=1.5),
    ConfigError,
    r"`dropout` must be in \[0\.0, 1\.0\), got 1\.5",
)
add(
    "models/activation-unknown",
    lambda c: tfs.models.dense(4, classes=3, activation="relux"),
    ConfigError,
    r"`activation`.*'relux'",
)
add(
    "models/rescale-and-normalize",
    lambda c: tfs.models.dense(2, rescale=0.5, normalize=np.ones((3, 2))),
    ConfigError,
    r"pass either `rescale` or `normalize`, not both",
)
add(
    "models/normalize-nan",
    lambda c: tfs.models.linear(2, normalize=np.array([[1.0, np.nan]])),
    DataError,
    r"`normalize` holds NaN or Inf",
)
add(
    "models/cnn-one-class",
    lambda c: tfs.models.cnn((28, 28), 1),
    ConfigError,
    r"`classes` must be at least 2, got 1",
)
add(
    "models/cnn-kernel-zero",
    lambda c: tfs.models.cnn((28, 28), 10, kernel_size=0),
    ConfigError,
    r"`kernel_size` must be a positive integer, got 0",
)
add(
    "models/cnn-padding",
    lambda c: tfs.models.cnn((28, 28), 10, padding="full"),
    ConfigError,
    r"`padding` must be one of .*; got 'full'",
)
add(
    "models/cnn-pool",
    lambda c: tfs.models.cnn((28, 28), 10, pool="min"),
    ConfigError,
    r"`pool` must be one of .*; got 'min'",
)
add(
    "models/cnn-feature-map-too-small",
    lambda c: tfs.models.cnn((4, 4), 10, filters=(8, 8, 8, 8)),
    ConfigError,
    r"(?i)block 3.*\b(4, 4)\b|feature map|too small",
)
add(
    "models/loss-string",
    lambda c: tfs.models.dense(4, classes=3, loss="sparse_categorical_crossentropy"),
    ArgumentTypeError,
    r"`loss` must be a keras\.losses\.Loss.*'sparse_categorical_crossentropy'",
)
add(
    "models/metrics-strings",
    lambda c: tfs.models.dense(4, classes=3, metrics=["accuracy"]),
    ArgumentTypeError,
    r"`metrics.*'accuracy'",
)

# ================================================================ tfs.export

add(
    "export/h5-not-a-model",
    lambda c: tfs.export.h5("model", c.tmp / "m.h5"),
    ArgumentTypeError,
    r"`model` must be a keras\.Model, got 'model' of type str",
)
add(
    "export/target-exists",
    lambda c: (
        write(c, "m.keras", b"old"),
        tfs.export.keras(regressor(), c.tmp / "m.keras"),
    ),
    ArtifactExistsError,
    r"m\.keras.*overwrite=True",
)
add(
    "export/unbuilt-model",
    lambda c: tfs.export.keras(
        keras.Sequential([keras.layers.Dense(2)]), c.tmp / "m.keras"
    ),
    ExportError,
    r"`model`.*not built|unbuilt|no weights",
)


def disk_full(ctx: Ctx) -> object:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    ctx.monkeypatch.setattr(keras.Model, "save", full)
    return tfs.export.keras(regressor(), ctx.tmp / "full.keras")


add(
    "export/disk-full",
    disk_full,
    ExportError,
    r"no space left on the disk of .*full\.keras: the export needs at least "
    r"[\d,]+ bytes",
)
add(
    "export/tflite-quantize-unknown",
    lambda c: tfs.export.tflite(regressor(), c.tmp / "m.tflite", quantize="int4"),
    ConfigError,
    r"`quantize`.*'int4'",
)
add(
    "export/tflite-int8-without-data",
    lambda c: tfs.export.tflite(regressor(), c.tmp / "m.tflite", quantize="int8"),
    ConfigError,
    r"quantize='int8' .* but `representative_data` is None",
)
add(
    "export/tflite-calibration-zero",
    lambda c: tfs.export.tflite(
        regressor(),
        c.tmp / "m.tflite",
        quantize="int8",
        representative_data=X,
        calibration_samples=0,
    ),
    ConfigError,
    r"`calibration_samples` must be a positive integer, got 0",
)
add(
    "export/saved-model-version-negative",
    lambda c: tfs.export.saved_model(regressor(), c.tmp / "sm", version=-1),
    ConfigError,
    r"`version`.*-1",
)
add(
    "export/verify-missing-artifact",
    lambda c: tfs.export.verify(c.tmp / "nope.tflite", regressor(), X),
    ArtifactNotFoundError,
    r"nope\.tflite",
)
add(
    "export/load-missing-artifact",
    lambda c: tfs.export.load(c.tmp / "nope.keras"),
    ArtifactNotFoundError,
    r"nope\.keras",
)
add(
    "export/sample-wrong-shape",
    lambda c: tfs.export.keras(regressor(), c.tmp / "m.keras", sample=X[:, :3]),
    DataError,
    r"`sample` has shape \(64, 3\), but the model takes inputs of shape "
    r"\(n_samples, 4\)",
)
add(
    "export/sample-nan",
    lambda c: tfs.export.keras(
        regressor(), c.tmp / "m.keras", sample=np.full((2, 4), np.nan)
    ),
    DataError,
    r"`sample` holds NaN or Inf in 2 of 2 rows",
)
add(
    "export/sample-strings",
    lambda c: tfs.export.keras(
        regressor(), c.tmp / "m.keras", sample=np.array([["a"] * 4])
    ),
    DataError,
    r"`sample` must hold numbers, got array of shape \(1, 4\)",
)
add(
    "export/bundle-unknown-format",
    lambda c: tfs.export.bundle(regressor(), c.tmp / "b", formats=["pdf"]),
    ConfigError,
    r"`formats\[\.\.\.\]` must be one of .*; got 'pdf'",
)


def predictor_flattened(ctx: Ctx) -> object:
    model = image_model()
    path = tfs.export.keras(model, ctx.tmp / "cnn.keras", check=False)
    return tfs.export.load(path).predict(np.zeros((2, 784), "float32"))


add(
    "export/predictor-flattened-images",
    predictor_flattened,
    DataError,
    r"`x` must have shape \(n_samples, 28, 28\) .* got array of shape \(2, 784\)"
    r"(?!.*x\[None\]).*reshape",
)

# ================================================================ tfs.Trainer


def fit_both(
    id: str,
    call: Callable[[Ctx, str], object],
    error: type[BaseException],
    match: str,
    *,
    needs: str | None = None,
    trains: bool = True,
) -> None:
    for loop in ("fit", "custom"):
        add(
            f"{id}[{loop}]",
            lambda c, loop=loop: call(c, loop),  # type: ignore[misc]
            error,
            match,
            trains=trains,
            needs=needs,
        )


LABELS = "trainer: label checks against the head (tfstarter.data._labels)"
EPOCHS = "trainer: a fit that would train no epoch refused (initial_epoch >= epochs)"

fit_both(
    "trainer/binary-labels-0-1-2-5",
    lambda c, loop: fit(c, binary(), X[:4], np.array([0, 1, 2, 5]), loop=loop),
    DataError,
    r"`y` holds label 2 at row 2, but the model is a binary classifier",
)
fit_both(
    "trainer/binary-labels-minus-one",
    lambda c, loop: fit(c, binary(), X[:4], np.array([1, -1, 1, -1]), loop=loop),
    DataError,
    r"`y` holds label -1 at row 1, .*Map -1/\+1 labels with \(y > 0\)",
)
fit_both(
    "trainer/regression-targets-broadcast",
    lambda c, loop: fit(c, regressor(1), X, np.zeros((64, 3)), loop=loop),
    DataError,
    r"`y` has shape \(n, 3\), but a regression model .* \(n, 1\)",
)
fit_both(
    "trainer/one-hot-into-sparse",
    lambda c, loop: fit(c, clf3(), X, np.eye(3)[Y3], loop=loop),
    DataError,
    r"`y` has shape \(n, 3\), one row of 3 per sample: it looks one-hot encoded",
)
fit_both(
    "trainer/label-out-of-range-in-from-arrays-pipeline",
    lambda c, loop: fit(
        c, clf3(), tfs.data.from_arrays(X, np.where(Y3 == 2, 7, Y3)), loop=loop
    ),
    DataError,
    r"`y` of `x` holds label 7 at row 2, but the model is a 3-class",
    trains=False,  # its label arrays are checked whole, before the first step
)
fit_both(
    "trainer/label-out-of-range-in-pipeline",
    lambda c, loop: fit(
        c,
        clf3(),
        tf.data.Dataset.from_tensor_slices((X, np.where(Y3 == 2, 7, Y3))).batch(32),
        loop=loop,
    ),
    DataError,
    r"`y` of `x` holds label 7 at batch 0, row 2, but the model is a 3-class",
    trains=False,  # checked on the fly, as the batch is read
)
fit_both(
    "trainer/string-features",
    lambda c, loop: fit(c, clf3(), X.astype(str), Y3, loop=loop),
    DataError,
    r"`x` holds strings, but the model takes numbers",
)
fit_both(
    "trainer/string-targets",
    lambda c, loop: fit(c, clf3(), X, np.array(["a", "b", "c", "a"] * 16), loop=loop),
    DataError,
    r"`y` (holds strings|must hold integer class labels .* dtype <U1)",
)
fit_both(
    "trainer/csv-label-outside-the-head",
    lambda c, loop: fit(
        c,
        clf3(),
        tfs.data.from_csv(
            write(c, "t.csv", "a,b,c,d,y\n" + "1,2,3,4,5\n" * 4), label="y"
        )[0],
        loop=loop,
    ),
    DataError,
    r"`y` of `x` holds label 5 at batch 0, row 0",
    trains=False,  # checked on the fly, as the batch is read
)
fit_both(
    "trainer/complex-features",
    lambda c, loop: fit(c, clf3(), X.astype("complex64"), Y3, loop=loop),
    DataError,
    r"`x` holds complex numbers \(dtype complex64\)",
)
fit_both(
    "trainer/nan-label-arrays",
    lambda c, loop: fit(c, clf3(), X, np.where(Y3 == 1, np.nan, Y3), loop=loop),
    DataError,
    r"`y` holds NaN or Inf in \d+ of 64 rows",
)
fit_both(
    "trainer/length-mismatch",
    lambda c, loop: fit(c, clf3(), X, Y3[:60], loop=loop),
    DataError,
    r"`x` has 64 samples but `y` has 60",
)
fit_both(
    "trainer/initial-epoch-past-epochs",
    lambda c, loop: fit(c, clf3(), X, Y3, epochs=2, initial_epoch=5, loop=loop),
    ConfigError,
    r"`initial_epoch`.*5.*`epochs`.*2|`epochs`.*2.*`initial_epoch`.*5",
)
fit_both(
    "trainer/epochs-zero",
    lambda c, loop: fit(c, clf3(), X, Y3, epochs=0, loop=loop),
    ConfigError,
    r"`epochs`.*\b0\b",
)
fit_both(
    "trainer/validation-split-too-large",
    lambda c, loop: fit(c, clf3(), X, Y3, validation_split=1.5, loop=loop),
    ConfigError,
    r"`validation_split` must be in \(0\.0, 1\.0\), got 1\.5",
)
fit_both(
    "trainer/batch-size-with-dataset",
    lambda c, loop: fit(
        c, clf3(), tfs.data.from_arrays(X, Y3), batch_size=8, loop=loop
    ),
    ConfigError,
    r"`batch_size` must not be given when `x` is a tf\.data\.Dataset \(got "
    r"batch_size=8\)",
)
fit_both(
    "trainer/unbatched-dataset",
    lambda c, loop: fit(
        c, clf3(), tf.data.Dataset.from_tensor_slices((X, Y3)), loop=loop
    ),
    DataError,
    r"`x` yields inputs of shape \(4,\) but the model expects \(None, 4\).*"
    r"looks unbatched",
)
fit_both(
    "trainer/dataset-without-targets",
    lambda c, loop: fit(c, clf3(), tf.data.Dataset.from_tensor_slices(X).batch(8)),
    DataError,
    r"`x` yields only inputs \(shape \(None, 4\) float32\), but the model's loss "
    r"needs targets",
)
fit_both(
    "trainer/endless-dataset",
    lambda c, loop: fit(c, clf3(), tfs.data.from_arrays(X, Y3).repeat(), loop=loop),
    ConfigError,
    r"`x` is an endless dataset \(it repeats\).*steps_per_epoch",
)
fit_both(
    "trainer/generator",
    lambda c, loop: fit(c, clf3(), iter([(X, Y3)]), loop=loop),
    DataError,  # a ValueError, as Keras raises
    r"`x` must be a tf\.data\.Dataset, arrays .* list_iterator.*not a generator",
)
fit_both(
    "trainer/callback-not-a-callback",
    lambda c, loop: tfs.Trainer(clf3(), loop=loop).fit(
        X, Y3, callbacks=[print], verbose=0
    ),
    ArgumentTypeError,
    r"`callbacks\[0\]` must be a keras\.callbacks\.Callback, got <built-in function "
    r"print>",
)


def nan_feature_pipeline(ctx: Ctx, loop: str) -> object:
    model = regressor()
    x = X.copy()
    x[5, 1] = np.nan  # NaN, not inf: every kernel propagates it the same way
    ds = tf.data.Dataset.from_tensor_slices((x, np.ones(64, "float32"))).batch(8)
    try:
        return fit(ctx, model, ds, loop=loop)
    finally:
        weights = [np.asarray(w) for w in model.get_weights()]
        assert all(np.isfinite(w).all() for w in weights), "NaN weights left behind"


for _loop in ("fit", "custom"):
    CASES.append(
        Case(
            f"trainer/nan-feature-in-pipeline-leaves-finite-weights[{_loop}]",
            lambda c, loop=_loop: nan_feature_pipeline(c, loop),  # type: ignore[misc]
            TrainingError,
            r"(?i)epoch 1, batch 0 .*(the loss became nan|kernel|bias)",
        )
    )

add(
    "trainer/not-a-model",
    lambda c: tfs.Trainer("model"),
    ArgumentTypeError,
    r"`model` must be a keras\.Model, got 'model' of type str",
)
add(
    "trainer/loop-unknown",
    lambda c: tfs.Trainer(clf3(), loop="gradient"),
    ConfigError,
    r"`loop` must be one of 'fit', 'custom'; got 'gradient'",
)
add(
    "trainer/accumulation-zero",
    lambda c: tfs.Trainer(clf3(), gradient_accumulation_steps=0),
    ConfigError,
    r"`gradient_accumulation_steps` must be a positive integer, got 0",
)
add(
    "trainer/on-non-finite-unknown",
    lambda c: tfs.Trainer(clf3(), on_non_finite="drop"),
    ConfigError,
    r"`on_non_finite` must be one of .*; got 'drop'",
)
add(
    "trainer/jit-compile-string",
    lambda c: tfs.Trainer(clf3(), jit_compile="yes"),
    ArgumentTypeError,
    r"`jit_compile` must be True, False, 'auto' or 'autotune'.*'yes'",
)
add(
    "trainer/uncompiled-without-loss",
    lambda c: tfs.Trainer(
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    ).fit(X, Y3, verbose=0),
    ConfigError,
    r"`model` is not compiled, so it cannot fit.*Pass loss=",
)
add(
    "trainer/verbose-bool",
    lambda c: fit(c, clf3(), X, Y3, verbose=True),
    ArgumentTypeError,
    r"`verbose` must be 'auto', 0, 1 or 2, got True",
    trains=True,
)
add(
    "trainer/steps-per-epoch-zero",
    lambda c: fit(c, clf3(), X, Y3, steps_per_epoch=0),
    ConfigError,
    r"`steps_per_epoch` must be a positive integer, got 0",
    trains=True,
)
add(
    "trainer/validation-freq-zero",
    lambda c: fit(c, clf3(), X, Y3, validation_data=(X, Y3), validation_freq=0),
    ConfigError,
    r"`validation_freq` .*0",
    trains=True,
)
add(
    "trainer/validation-split-and-data",
    lambda c: fit(c, clf3(), X, Y3, validation_split=0.2, validation_data=(X, Y3)),
    ConfigError,
    r"`validation_split` and `validation_data` are both given",
    trains=True,
)
add(
    "trainer/validation-data-bad-labels",
    lambda c: fit(c, clf3(), X, Y3, validation_data=(X, Y3 + 3)),
    DataError,
    r"`validation_data`.*`y`.*\b3\b",
    trains=True,
)
add(
    "trainer/seed-string",
    lambda c: fit(c, clf3(), X, Y3, seed="1"),
    ArgumentTypeError,
    r"`seed` must be an int or None, got '1'",
    trains=True,
)
add(
    "trainer/evaluate-empty-dataset",
    lambda c: tfs.Trainer(clf3()).evaluate(tfs.data.from_arrays(X, Y3).take(0)),
    DataError,
    r"`x` is an empty dataset \(0 batches\)",
)
add(
    "trainer/predict-flattened-images",
    lambda c: tfs.Trainer(image_model()).predict(np.zeros((2, 784), "float32")),
    DataError,
    r"`x` yields inputs of shape \(None, 784\) but the model expects "
    r"\(None, 28, 28\)(?!.*x\[None\])",
)
add(
    "trainer/predict-x-y-tuple",
    lambda c: tfs.Trainer(clf3()).predict((X, Y3)),
    DataError,
    r"yields 2 input tensor.*to predict, pass x alone, not \(x, y\)",
)
add(
    "trainer/evaluate-labels-out-of-range",
    lambda c: tfs.Trainer(clf3()).evaluate(X, Y3 + 1),
    DataError,
    r"`[xy]`.*label.*3",
)


# ---------------------------------------------------------------- the test


def _params() -> list[Any]:
    params = []
    for item in CASES:
        marks = (
            [pytest.mark.xfail(strict=True, reason=f"needs {item.needs}")]
            if item.needs
            else []
        )
        params.append(pytest.param(item, id=item.id, marks=marks))
    return params


def test_the_table_is_large_and_ids_are_unique() -> None:
    ids = [item.id for item in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150


@pytest.mark.parametrize("item", _params())
def test_bad_input_gets_a_clear_early_error(
    item: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = Ctx(tmp_path, monkeypatch, Spy())
    with pytest.raises(item.error, match=item.match):
        item.call(ctx)
    if item.trains:
        assert ctx.spy.batches == 0, "training started before the error"


def test_raw_uint8_pixels_warn_once_per_model(tmp_path: Path) -> None:
    from tfstarter.data._labels import check_features
    from tfstarter.errors import DataWarning

    model = image_model()
    pixels = np.zeros((2, 28, 28), np.uint8)
    with pytest.warns(DataWarning, match=r"`x` holds raw uint8 values \(0-255\)"):
        check_features(model, pixels)


def test_raw_uint8_pixels_into_the_trainer_warn(tmp_path: Path) -> None:
    from tfstarter.errors import DataWarning

    x = np.zeros((8, 28, 28), np.uint8)
    with pytest.warns(DataWarning, match=r"raw uint8 values.*rescale=1/255"):
        tfs.Trainer(image_model()).fit(x, np.arange(8) % 10, verbose=0)
