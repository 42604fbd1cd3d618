"""The training recipe of a run: a named `tfstarter.models` recipe and the config.

``recipe: cnn`` names ``tfs.models.RECIPES["cnn"]``: its epochs, batch size,
validation split, learning-rate schedule (with its peak and warm-up) and
image augmentation fill ``fit.epochs``, ``data.batch_size``,
``data.validation_split``, ``fit.schedule``, ``fit.learning_rate``,
``fit.warmup``, ``fit.shift`` and ``fit.flip`` where the config leaves them
``null``.
The resolved values are written into the run's config.yaml, so repeating a
run does not depend on later changes to the recipe.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfstarter.errors import ConfigError

RECIPE_KEYS = {
    "fit.epochs": "epochs",
    "data.batch_size": "batch_size",
    "data.validation_split": "validation_split",
    "fit.schedule": "schedule",
    "fit.learning_rate": "learning_rate",
    "fit.warmup": "warmup",
    "fit.shift": "shift",
    "fit.flip": "flip",
}
"""Config keys a recipe fills, and the `Recipe` field each comes from."""

DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 32,
    "validation_split": 0.1,
    "schedule": "constant",
}
"""What a config without a recipe trains with where it says nothing."""


def named_recipe(name: str | None) -> Any:
    """Return the recipe of `tfstarter.models.RECIPES` called ``name``; None for None.

    Raises:
        ConfigError: for an unknown name, listing the known ones.

    Examples:
        >>> named_recipe("cnn").batch_size > 0
        True
    """
    import tfstarter as tfs

    if name is None:
        return None
    if name not in tfs.models.RECIPES:
        raise ConfigError(
            f"`recipe` is {name!r}; pass one of {', '.join(tfs.models.RECIPES)} "
            f"(tfstarter.models.RECIPES), or null."
        )
    return tfs.models.RECIPES[name]


def _base(config: Any) -> Any:
    from tfstarter.models import Recipe

    return named_recipe(config.recipe) or Recipe(**DEFAULTS)


def resolve(config: Any) -> Any:
    """Fill the recipe keys the config leaves ``null`` (see `RECIPE_KEYS`).

    Values set in the config win; the rest come from the named recipe, else
    from `DEFAULTS` and the `Recipe` defaults. ``config`` is the parsed
    namespace; it is changed in place and returned.
    """
    base = _base(config)
    for key, field in RECIPE_KEYS.items():
        if config[key] is None:
            config[key] = getattr(base, field)
    return config


def run_recipe(config: Any) -> Any:
    """Return the `Recipe` a resolved config trains with.

    The named recipe (or a default one) with every value of the config put
    in, so whatever else a recipe sets is kept.

    Examples:
        >>> from jsonargparse import Namespace
        >>> config = Namespace(recipe="cnn")
        >>> for key in RECIPE_KEYS:
        ...     config[key] = None
        >>> config["fit.epochs"] = 1
        >>> run_recipe(resolve(config)).epochs
        1
    """
    values = {field: config[key] for key, field in RECIPE_KEYS.items()}
    return dataclasses.replace(_base(config), **values)
