"""Hidden layer blocks shared by `dense` and the head of `cnn`."""

from __future__ import annotations

from typing import Any

import keras

from tfstarter.models._validate import layer_seed


def dense_block(
    tensor: Any,
    units: int,
    *,
    name: str,
    activation: str,
    batch_norm: bool,
    dropout: float,
    kernel_regularizer: keras.regularizers.Regularizer | None,
    seed: int | None,
) -> Any:
    """Apply ``Dense -> [BatchNormalization] -> activation -> [Dropout]``.

    With batch norm the dense layer has no bias (the normalization's offset
    replaces it). Layers are named ``{name}``, ``{name}_bn``,
    ``{name}_{activation}`` and ``{name}_dropout``.

    Examples:
        >>> inputs = keras.Input((8,))
        >>> outputs = dense_block(
        ...     inputs,
        ...     4,
        ...     name="hidden_1",
        ...     activation="relu",
        ...     batch_norm=True,
        ...     dropout=0.1,
        ...     kernel_regularizer=None,
        ...     seed=0,
        ... )
        >>> [layer.name for layer in keras.Model(inputs, outputs).layers[1:]]
        ['hidden_1', 'hidden_1_bn', 'hidden_1_relu', 'hidden_1_dropout']
    """
    tensor = keras.layers.Dense(
        units,
        use_bias=not batch_norm,
        kernel_initializer=keras.initializers.HeUniform(seed=layer_seed(seed, 0)),
        kernel_regularizer=kernel_regularizer,
        name=name,
    )(tensor)
    if batch_norm:
        tensor = keras.layers.BatchNormalization(name=f"{name}_bn")(tensor)
    tensor = keras.layers.Activation(activation, name=f"{name}_{activation}")(tensor)
    if dropout > 0.0:
        tensor = keras.layers.Dropout(
            dropout, seed=layer_seed(seed, 1), name=f"{name}_dropout"
        )(tensor)
    return tensor
