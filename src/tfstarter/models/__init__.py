"""Model builders: each returns a compiled `keras.Model` that knows its head.

* `linear` — linear regression, any number of features and outputs;
* `logistic` — binary (sigmoid) or multinomial (softmax) logistic regression;
* `dense` — a multilayer perceptron with a regression or classification head;
* `cnn` — a convolutional image classifier.

`CNN_RECIPE`, `CNN_LONG_RECIPE`, `CNN_FASHION_RECIPE` and `DENSE_RECIPE` say
how to train the defaults (epochs, batch size, validation hold-out,
learning-rate schedule, augmentation, loop), and apply it in one call:
``CNN_RECIPE.fit(model, x, y)``.
`RECIPES` holds them by name (`recipe("cnn")`).

The head follows from the arguments (``classes=`` or ``outputs=``) and brings
its loss, output activation and metrics, as Keras objects that survive H5 and
``.keras`` round trips. Train with ``tfs.Trainer(model).fit(...)`` or plain
``model.fit(...)``.

Examples:
    >>> import tfstarter as tfs
    >>> model = tfs.models.cnn(input_shape=(28, 28), classes=10, rescale=1 / 255)
    >>> (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()  # doctest: +SKIP
    >>> model.fit(x_train, y_train, epochs=1)  # doctest: +SKIP
"""

from __future__ import annotations

from tfstarter.models._cnn import cnn
from tfstarter.models._dense import dense
from tfstarter.models._linear import linear
from tfstarter.models._logistic import logistic
from tfstarter.models._recipes import (
    CNN_FASHION_RECIPE,
    CNN_LONG_RECIPE,
    CNN_RECIPE,
    DENSE_RECIPE,
    RECIPES,
    Recipe,
    recipe,
)
from tfstarter.models._schedules import OneCycle

__all__ = [
    "CNN_FASHION_RECIPE",
    "CNN_LONG_RECIPE",
    "CNN_RECIPE",
    "DENSE_RECIPE",
    "RECIPES",
    "OneCycle",
    "Recipe",
    "cnn",
    "dense",
    "linear",
    "logistic",
    "recipe",
]
