"""`logistic`: binary (sigmoid) or multinomial (softmax) logistic regression."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy.typing as npt

from tfstarter._checks import check_seed
from tfstarter.models._compile import LearningRate, OptimizerLike, compile_model
from tfstarter.models._heads import classification_head
from tfstarter.models._inputs import flat_inputs
from tfstarter.models._linear import LINEAR_LEARNING_RATE
from tfstarter.models._validate import (
    check_input_shape,
    check_penalty,
    regularizer,
)


def logistic(
    input_shape: int | Sequence[int],
    classes: int = 2,
    *,
    l1: float = 0.0,
    l2: float = 0.0,
    use_bias: bool = True,
    rescale: float | None = None,
    normalize: npt.ArrayLike | None = None,
    optimizer: OptimizerLike = "adam",
    learning_rate: LearningRate | None = None,
    loss: keras.losses.Loss | None = None,
    metrics: Sequence[keras.metrics.Metric] | None = None,
    seed: int | None = None,
    name: str = "logistic",
) -> keras.Model:
    """Build a compiled logistic-regression classifier.

    With ``classes=2`` the model has one sigmoid output, the probability of
    class 1, and trains on 0/1 labels with binary cross-entropy (metrics
    ``accuracy`` and ``auc``). With more classes it outputs softmax
    probabilities over the classes and trains on integer labels with sparse
    categorical cross-entropy (metric ``accuracy``).

    Args:
        input_shape: the shape of one sample, without the batch dimension; an
            int ``n`` means ``n`` features. Larger shapes are flattened.
        classes: the number of classes, at least 2.
        l1: L1 penalty on the weights (sparse solutions); 0 for none.
        l2: L2 penalty on the weights; 0 for none.
        use_bias: learn an intercept per output.
        rescale: multiply the inputs by this inside the model (e.g. ``1 / 255``).
        normalize: sample inputs, of shape ``(n, *input_shape)``, whose
            per-feature mean and variance standardize the inputs inside the
            model. Exclusive with ``rescale``.
        optimizer: an optimizer name (``"adam"``, ``"rmsprop"``, ...) or instance.
        learning_rate: a float or a Keras schedule; only with an optimizer
            name. Defaults to 0.05 (a single layer converges much faster
            with a larger step than the usual 1e-3).
        loss: a `keras.losses.Loss` object replacing the default.
        metrics: `keras.metrics.Metric` objects replacing the defaults.
        seed: seed of the weight initializer; ``None`` uses Keras's global seed.
        name: the model's name.

    Returns:
        A compiled `keras.Model` with outputs of shape ``(batch, 1)`` for two
        classes, else ``(batch, classes)`` with rows summing to 1.

    Raises:
        ConfigError: for ``classes < 2``, a non-positive size, a negative
            penalty, both ``rescale`` and ``normalize``, or an invalid
            optimizer setting.
        ArgumentTypeError: for an argument of the wrong type.
        DataError: if ``normalize`` data has the wrong shape or holds NaN/Inf.

    Examples:
        >>> spam = logistic(4)
        >>> probabilities = spam(np.zeros((2, 4), "float32")).numpy()
        >>> probabilities.shape, bool(((probabilities > 0) & (probabilities < 1)).all())
        ((2, 1), True)
        >>> logistic(4, classes=3, l2=1e-3).output_shape
        (None, 3)
    """
    shape = check_input_shape(input_shape)
    head = classification_head(classes)
    penalty = regularizer(check_penalty("l1", l1), check_penalty("l2", l2))
    seed = check_seed(seed)
    inputs, features = flat_inputs(shape, rescale=rescale, normalize=normalize)
    layer = head.output_layer(regularizer=penalty, seed=seed, use_bias=bool(use_bias))
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
