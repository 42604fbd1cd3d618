"""`dense`: a multilayer perceptron with a regression or classification head."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy.typing as npt

from tfstarter._checks import check_seed
from tfstarter.models._blocks import dense_block
from tfstarter.models._compile import LearningRate, OptimizerLike, compile_model
from tfstarter.models._heads import resolve_head
from tfstarter.models._inputs import flat_inputs
from tfstarter.models._validate import (
    check_activation,
    check_dropout,
    check_input_shape,
    check_penalty,
    check_sizes,
    layer_seed,
    regularizer,
)

DENSE_LEARNING_RATE = 1e-3
"""Default learning rate of `dense` (Adam's usual step)."""

CLASSIFIER_DROPOUT = 0.2
"""The dropout rate `dense` uses for a classifier when ``dropout`` is not given."""


def dense(
    input_shape: int | Sequence[int],
    *,
    classes: int | None = None,
    outputs: int | None = None,
    hidden: int | Sequence[int] = (256, 128),
    activation: str = "relu",
    dropout: float | None = None,
    batch_norm: bool = False,
    l2: float = 0.0,
    rescale: float | None = None,
    normalize: npt.ArrayLike | None = None,
    optimizer: OptimizerLike = "adam",
    learning_rate: LearningRate | None = None,
    loss: keras.losses.Loss | None = None,
    metrics: Sequence[keras.metrics.Metric] | None = None,
    seed: int | None = None,
    name: str = "dense",
) -> keras.Model:
    """Build a compiled multilayer perceptron.

    Each hidden layer is ``Dense -> [BatchNormalization] -> activation ->
    [Dropout]``; inputs of more than one dimension (e.g. 28x28 images) are
    flattened first. The head follows from the arguments:

    * ``classes=2``: one sigmoid output, binary cross-entropy, metrics
      ``accuracy`` and ``auc``;
    * ``classes=k > 2``: ``k`` softmax probabilities, sparse categorical
      cross-entropy on integer labels, metric ``accuracy``;
    * ``outputs=n`` (or neither): ``n`` linear outputs, mean squared error,
      metric ``mae``.

    Args:
        input_shape: the shape of one sample, without the batch dimension; an
            int ``n`` means ``n`` features.
        classes: the number of classes of a classifier (at least 2).
        outputs: the number of regression targets. Exclusive with ``classes``.
        hidden: the widths of the hidden layers, first to last; ``()`` for none.
        activation: the hidden layers' activation (a Keras activation name).
        dropout: the dropout rate after each hidden layer, in ``[0, 1)``.
            ``None`` means 0.2 for a classifier and 0 for
            regression (dropout noise biases regression fits).
        batch_norm: add batch normalization before each activation.
        l2: L2 penalty on the hidden and output weights; 0 for none.
        rescale: multiply the inputs by this inside the model (``1 / 255``
            for raw pixels).
        normalize: sample inputs, of shape ``(n, *input_shape)``, whose
            per-feature mean and variance standardize the inputs inside the
            model. Exclusive with ``rescale``.
        optimizer: an optimizer name or instance.
        learning_rate: a float or a Keras schedule; only with an optimizer
            name. Defaults to 1e-3.
        loss: a `keras.losses.Loss` object replacing the head's default.
        metrics: `keras.metrics.Metric` objects replacing the head's defaults.
        seed: seed of the initializers and dropout; ``None`` uses Keras's
            global seed.
        name: the model's name.

    Returns:
        A compiled `keras.Model` from ``(batch, *input_shape)`` inputs to
        ``(batch, units)`` float32 outputs, where ``units`` is ``outputs``, 1
        for two classes, or ``classes``.

    Raises:
        ConfigError: for both ``classes`` and ``outputs``, ``classes < 2``, a
            non-positive size, dropout outside ``[0, 1)``, an unknown
            activation, a negative ``l2``, both ``rescale`` and ``normalize``,
            or an invalid optimizer setting.
        ArgumentTypeError: for an argument of the wrong type.
        DataError: if ``normalize`` data has the wrong shape or holds NaN/Inf.

    Examples:
        >>> digits = dense((28, 28), classes=10, rescale=1 / 255)
        >>> digits.output_shape
        (None, 10)
        >>> house_prices = dense(13, hidden=(64,))
        >>> house_prices.output_shape, type(house_prices.loss).__name__
        ((None, 1), 'MeanSquaredError')
    """
    shape = check_input_shape(input_shape)
    head = resolve_head(classes=classes, outputs=outputs)
    sizes = check_sizes("hidden", hidden, allow_empty=True)
    activation = check_activation(activation)
    if dropout is None:
        rate = 0.0 if head.kind == "regression" else CLASSIFIER_DROPOUT
    else:
        rate = check_dropout("dropout", dropout)
    penalty = regularizer(0.0, check_penalty("l2", l2))
    seed = check_seed(seed)

    inputs, tensor = flat_inputs(shape, rescale=rescale, normalize=normalize)
    for index, units in enumerate(sizes):
        tensor = dense_block(
            tensor,
            units,
            name=f"hidden_{index + 1}",
            activation=activation,
            batch_norm=bool(batch_norm),
            dropout=rate,
            kernel_regularizer=penalty,
            seed=layer_seed(seed, 2 * index),
        )
    output = head.output_layer(
        regularizer=penalty, seed=layer_seed(seed, 2 * len(sizes))
    )
    model = keras.Model(inputs, output(tensor), name=name)
    return compile_model(
        model,
        head,
        optimizer=optimizer,
        learning_rate=learning_rate,
        loss=loss,
        metrics=metrics,
        default_learning_rate=DENSE_LEARNING_RATE,
    )
