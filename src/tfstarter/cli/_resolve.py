"""The config a run trains with: recipe applied, name decided, values checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfstarter.cli._parsers import CLI_ONLY
from tfstarter.cli._recipe import resolve
from tfstarter.errors import ConfigError


def resolved_config(config: Any) -> Any:
    """Return the config with the recipe applied and the run's name decided.

    The name defaults to the config file's stem (``mnist_cnn`` for
    ``examples/configs/mnist_cnn.yaml``), else ``run``.
    """
    config = resolve(config.clone())
    if config.name is None:
        files = config.get("config") or []
        config.name = Path(str(files[-1])).stem if files else "run"
    check_values(config)
    return config


def check_values(config: Any) -> None:
    """Reject values the types allow but the run cannot use.

    Raises:
        ConfigError: naming the key, showing the value and saying the fix.
    """
    from tfstarter._checks import check_number_in_range, check_positive_int

    check_positive_int("fit.epochs", config["fit.epochs"])
    check_positive_int("data.batch_size", config["data.batch_size"])
    split = check_number_in_range(
        "data.validation_split", config["data.validation_split"], low=0.0, high=1.0
    )
    for key in ("data.limit", "data.test_limit"):
        if config[key] is not None:
            check_positive_int(key, config[key])
    stopping = config["fit.early_stopping"]
    if stopping is not None:
        check_positive_int("fit.early_stopping.patience", stopping.patience)
        if str(stopping.monitor).startswith("val_") and split == 0:
            raise ConfigError(
                f"`fit.early_stopping.monitor` is {stopping.monitor!r}, but "
                f"data.validation_split is 0, so there is no validation data. Set "
                f"data.validation_split above 0, or monitor a training metric."
            )


def saved_yaml(parser: Any, config: Any) -> str:
    """Return the config as the YAML a run saves (without command-only options)."""
    saved = config.clone()
    for key in CLI_ONLY:
        if key in saved:
            del saved[key]
    text: str = parser.dump(saved)
    return text
