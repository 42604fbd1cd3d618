"""Fill what a config leaves unset from a named recipe of `tfstarter.models`.

``recipe: cnn`` names ``tfs.models.CNN_RECIPE``: its epochs, batch size,
validation split and learning-rate schedule fill ``fit.epochs``,
``data.batch_size``, ``data.validation_split`` and ``fit.schedule`` where
the config leaves them ``null``. The resolved values are written into the
run's config.yaml, so repeating a run does not depend on later changes to
the recipe.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfstarter.errors import ConfigError

DEFAULT_EPOCHS = 10
DEFAULT_BATCH_SIZE = 32
DEFAULT_VALIDATION_SPLIT = 0.1
DEFAULT_SCHEDULE = "constant"


def recipes() -> dict[str, Any]:
    """Return the recipes of `tfstarter.models` by short name (``cnn``, ``dense``, ...).

    Examples:
        >>> {"cnn", "dense"} <= set(recipes())
        True
    """
    import tfstarter as tfs

    suffix = "_RECIPE"
    return {
        name[: -len(suffix)].lower(): getattr(tfs.models, name)
        for name in tfs.models.__all__
        if name.endswith(suffix)
    }


def named_recipe(name: str | None) -> Any:
    """Return the recipe called ``name``, or None for None.

    Raises:
        ConfigError: for an unknown name, listing the known ones.
    """
    if name is None:
        return None
    known = recipes()
    if name not in known:
        raise ConfigError(
            f"`recipe` is {name!r}; pass one of {', '.join(sorted(known))} (the "
            f"tfstarter.models.*_RECIPE objects), or null."
        )
    return known[name]


def resolve(config: Any) -> Any:
    """Fill the unset epochs, batch size, validation split and schedule of a config.

    Values set in the config win; the rest come from the recipe, else from
    the command's defaults (10 epochs, batch 32, 10% validation, constant
    rate). ``config`` is the parsed namespace; it is changed in place and
    returned.
    """
    recipe = named_recipe(config.recipe)
    fields = (
        ("fit.epochs", "epochs", DEFAULT_EPOCHS),
        ("data.batch_size", "batch_size", DEFAULT_BATCH_SIZE),
        ("data.validation_split", "validation_split", DEFAULT_VALIDATION_SPLIT),
        ("fit.schedule", "schedule", DEFAULT_SCHEDULE),
    )
    for key, attribute, default in fields:
        if config[key] is None:
            config[key] = getattr(recipe, attribute) if recipe is not None else default
    return config


def schedule_callbacks(config: Any) -> list[Any]:
    """Return fresh callbacks that apply the resolved config's learning-rate schedule.

    With a named recipe they come from that recipe with the config's values
    put in (so whatever else the recipe sets is kept); without one, from a
    `Recipe` of the config's values.
    """
    from tfstarter.models import Recipe

    values = {
        "epochs": config["fit.epochs"],
        "batch_size": config["data.batch_size"],
        "validation_split": config["data.validation_split"],
        "schedule": config["fit.schedule"],
    }
    recipe = named_recipe(config.recipe)
    chosen = dataclasses.replace(recipe, **values) if recipe else Recipe(**values)
    return list(chosen.callbacks())
