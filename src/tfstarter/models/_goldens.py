"""A registry of builder configurations that other test suites run over.

Every entry builds a small, seeded model and makes valid inputs and targets
for it, so the saving, export and training suites can check *every* kind of
model tfstarter builds (each head, each kind of preprocessing, batch norm and
dropout) without knowing how to configure one::

    @pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
    def test_round_trip(golden: Golden) -> None:
        model = golden.build()
        x = golden.sample_inputs(8)
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import keras
import numpy as np
import numpy.typing as npt

from tfstarter.models._cnn import cnn
from tfstarter.models._dense import dense
from tfstarter.models._heads import HeadKind
from tfstarter.models._linear import linear
from tfstarter.models._logistic import logistic

InputKind = Literal["features", "pixels", "raw_features"]
"""How sample inputs are drawn: standard-normal features, integer pixel values
0..255 (as float32), or features far from standardized (mean 50, std 10)."""

_RAW_MEAN, _RAW_STD = 50.0, 10.0


def _draw_inputs(
    kind: InputKind, shape: tuple[int, ...], n: int, seed: int
) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    if kind == "pixels":
        return rng.integers(0, 256, size=(n, *shape)).astype(np.float32)
    values = rng.standard_normal((n, *shape)).astype(np.float32)
    if kind == "raw_features":
        values = (_RAW_MEAN + _RAW_STD * values).astype(np.float32)
    return values


@dataclass(frozen=True)
class Golden:
    """One registered builder configuration and an input spec for it.

    Attributes:
        name: a unique identifier, used as the pytest id.
        head: ``"regression"``, ``"binary"`` or ``"multiclass"``.
        input_shape: the shape of one sample, without the batch dimension.
        units: the width of the model's output (outputs, 1 for binary, or
            the number of classes).
        input_kind: how `sample_inputs` draws values (see `InputKind`).
        factory: builds the model; call `build` instead.

    Examples:
        >>> golden = next(g for g in GOLDENS if g.name == "logistic_binary")
        >>> golden.sample_inputs(2).shape, golden.sample_targets(2).dtype
        ((2, 4), dtype('int64'))
    """

    name: str
    head: HeadKind
    input_shape: tuple[int, ...]
    units: int
    input_kind: InputKind
    factory: Callable[[], keras.Model] = field(repr=False)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The shape of one output row, without the batch dimension."""
        return (self.units,)

    def build(self) -> keras.Model:
        """Return a fresh, compiled model; weights are seeded, so equal every call."""
        return self.factory()

    def sample_inputs(self, n: int, seed: int = 0) -> npt.NDArray[np.float32]:
        """Return ``n`` valid float32 inputs of shape ``(n, *input_shape)``.

        Image models with in-model rescaling get integer pixel values in
        0..255, models with in-model normalization get unstandardized values.
        """
        return _draw_inputs(self.input_kind, self.input_shape, n, seed)

    def sample_targets(self, n: int, seed: int = 0) -> npt.NDArray[np.generic]:
        """Return ``n`` valid targets for the head.

        Regression: float32 of shape ``(n, units)``; binary: int64 0/1 labels
        of shape ``(n,)``; multiclass: int64 labels in ``[0, units)``.
        """
        rng = np.random.default_rng(seed + 1_000_003)
        if self.head == "regression":
            return rng.standard_normal((n, self.units)).astype(np.float32)
        classes = 2 if self.head == "binary" else self.units
        return rng.integers(0, classes, size=n).astype(np.int64)


def _adapt_data(kind: InputKind, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """Sample data a normalizing golden adapts to (same distribution as its inputs)."""
    return _draw_inputs(kind, shape, 256, seed=12345)


GOLDENS: tuple[Golden, ...] = (
    Golden(
        name="linear_multi_output",
        head="regression",
        input_shape=(4,),
        units=3,
        input_kind="features",
        factory=lambda: linear(4, outputs=3, seed=0),
    ),
    Golden(
        name="logistic_binary",
        head="binary",
        input_shape=(4,),
        units=1,
        input_kind="features",
        factory=lambda: logistic(4, seed=0),
    ),
    Golden(
        name="logistic_multinomial_l1_l2",
        head="multiclass",
        input_shape=(6,),
        units=3,
        input_kind="features",
        factory=lambda: logistic(6, classes=3, l1=1e-4, l2=1e-3, seed=0),
    ),
    Golden(
        name="dense_regression_normalized",
        head="regression",
        input_shape=(6,),
        units=1,
        input_kind="raw_features",
        factory=lambda: dense(
            6,
            hidden=(16, 8),
            normalize=_adapt_data("raw_features", (6,)),
            seed=0,
        ),
    ),
    Golden(
        name="dense_binary",
        head="binary",
        input_shape=(4,),
        units=1,
        input_kind="features",
        factory=lambda: dense(4, classes=2, hidden=(32, 16), seed=0),
    ),
    Golden(
        name="dense_multiclass_batch_norm_dropout",
        head="multiclass",
        input_shape=(10,),
        units=4,
        input_kind="features",
        factory=lambda: dense(
            10, classes=4, hidden=(32, 16), batch_norm=True, dropout=0.25, seed=0
        ),
    ),
    Golden(
        name="cnn_mnist_rescale",
        head="multiclass",
        input_shape=(28, 28),
        units=10,
        input_kind="pixels",
        # Every argument pinned: this entry is a fixed small model, and a
        # change of the builder's defaults must not move it (that is what
        # `cnn_mnist_default` is for). Its int8 export is checked on random
        # pixels, where a briefly trained model has many near-ties.
        factory=lambda: cnn(
            (28, 28),
            10,
            filters=(4, 8),
            hidden=(16,),
            dropout=0.3,
            rescale=1 / 255,
            seed=0,
        ),
    ),
    Golden(
        name="cnn_rgb_normalized_binary",
        head="binary",
        input_shape=(12, 12, 3),
        units=1,
        input_kind="pixels",
        factory=lambda: cnn(
            (12, 12, 3),
            2,
            filters=(4,),
            convs_per_block=2,
            pool="average",
            batch_norm=False,
            conv_dropout=0.1,
            hidden=(),
            normalize=_adapt_data("pixels", (12, 12, 3)),
            seed=0,
        ),
    ),
    Golden(
        name="cnn_mnist_default",
        head="multiclass",
        input_shape=(28, 28, 1),
        units=10,
        input_kind="pixels",
        factory=lambda: cnn((28, 28, 1), 10, rescale=1 / 255, seed=0),
    ),
)
"""Every registered configuration, one or more per builder, with unique names."""
