"""`linear`: linear regression with any number of features and outputs."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy.typing as npt

from tfstarter._checks import check_seed
from tfstarter.models._compile import LearningRate, OptimizerLike, compile_model
from tfstarter.models._heads import regression_head
from tfstarter.models._inputs import flat_inputs
from tfstarter.models._validate import (
    check_input_shape,
    check_penalty,
    regularizer,
)

LINEAR_LEARNING_RATE = 0.05
"""Default learning rate of `linear` and `logistic`: a single layer tolerates a
larger step than Adam's usual ``1e-3`` and converges in far fewer epochs."""


def linear(
    input_shape: int | Sequence[int],
    outputs: int = 1,
    *,
    use_bias: bool = True,
    l2: float = 0.0,
    rescale: float | None = None,
    normalize: npt.ArrayLike | None = None,
    optimizer: OptimizerLike = "adam",
    learning_rate: LearningRate | None = None,
    loss: keras.losses.Loss | None = None,
    metrics: Sequence[keras.metrics.Metric] | None = None,
    seed: int | None = None,
    name: str = "linear",
) -> keras.Model:
    """Build a compiled linear-regression model ``y = x @ W + b``.

    Inputs of more than one dimension are flattened first. The model is
    compiled with mean squared error and a mean-absolute-error metric (logged
    as ``mae``) unless you pass your own.

    Args:
        input_shape: the shape of one sample, without the batch dimension; an
            int ``n`` means ``n`` features.
        outputs: the number of targets predicted at once.
        use_bias: learn the intercept ``b``.
        l2: L2 penalty on the weights (ridge regression); 0 for none.
        rescale: multiply the inputs by this inside the model (e.g. ``1 / 255``).
        normalize: sample inputs, of shape ``(n, *input_shape)``, whose
            per-feature mean and variance standardize the inputs inside the
            model. Exclusive with ``rescale``.
        optimizer: an optimizer name (``"adam"``, ``"sgd"``, ...) or instance.
        learning_rate: a float or a Keras schedule; only with an optimizer
            name. Defaults to 0.05 (a single layer converges much faster
            with a larger step than the usual 1e-3).
        loss: a `keras.losses.Loss` object replacing mean squared error.
        metrics: `keras.metrics.Metric` objects replacing the default metric.
        seed: seed of the weight initializer; ``None`` uses Keras's global seed.
        name: the model's name.

    Returns:
        A compiled `keras.Model` from ``(batch, *input_shape)`` float inputs
        to ``(batch, outputs)`` float32 predictions.

    Raises:
        ConfigError: for a non-positive size, a negative ``l2``, both
            ``rescale`` and ``normalize``, or an invalid optimizer setting.
        ArgumentTypeError: for an argument of the wrong type (e.g. a string loss).
        DataError: if ``normalize`` data has the wrong shape or holds NaN/Inf.

    Examples:
        >>> model = linear(3, outputs=2)
        >>> model.output_shape
        (None, 2)
        >>> model(np.ones((4, 3), "float32")).shape
        TensorShape([4, 2])
    """
    shape = check_input_shape(input_shape)
    head = regression_head(outputs)
    penalty = check_penalty("l2", l2)
    seed = check_seed(seed)
    inputs, features = flat_inputs(shape, rescale=rescale, normalize=normalize)
    layer = head.output_layer(
        regularizer=regularizer(0.0, penalty), seed=seed, use_bias=bool(use_bias)
    )
    model = keras.Model(inputs, layer(features), name=name)
    return compile_model(
        model,
        head,
        optimizer=optimizer,
        learning_rate=learning_rate,
        loss=loss,
        metrics=metrics,
        default_learning_rate=LINEAR_LEARNING_RATE,
    )
