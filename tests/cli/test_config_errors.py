"""Unknown keys list the valid keys and the nearest; bad values name key and value."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def config(tmp_path: Path, regression_config: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(regression_config)
    return path


def edited(config: Path, old: str, new: str) -> Path:
    text = config.read_text()
    assert old in text
    target = config.with_name("edited.yaml")
    target.write_text(text.replace(old, new))
    return target


def error_of(cli: Callable[..., Any], *args: object) -> str:
    result = cli(*args)
    assert result.code == 2, result.out
    assert result.out == ""
    message: str = result.err
    assert message.startswith("tfstarter train: error: ")
    return message


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "--data.limt=5",
            r"unknown key `data.limt` in `data`\. Did you mean `limit`\?",
        ),
        (
            "--seeed=5",
            r"unknown key `seeed` in the config's top level\. Did you mean `seed`\?",
        ),
        (
            "--fitt.epochs=1",
            r"unknown key `fitt.epochs` in the config's top level\. "
            r"Did you mean `fit`\?",
        ),
        (
            "--fit.early_stopping.patiense=5",
            r"unknown key `fit.early_stopping.patiense` in `fit.early_stopping`\. "
            r"Did you mean `patience`\? Valid keys: min_delta, monitor, patience, "
            r"restore_best_weights\.",
        ),
        (
            "--model.hiden=[4]",
            r"unknown key `model.hiden` in `model` \(tfstarter.models.dense\)\. "
            r"Did you mean `hidden`\?",
        ),
        (
            "--trainer.lop=custom",
            r"unknown key `trainer.lop` in `trainer`\. Did you mean `loop`\?",
        ),
    ],
)
def test_unknown_key_on_the_command_line(
    cli: Callable[..., Any], config: Path, override: str, expected: str
) -> None:
    message = error_of(cli, "train", "--config", config, override)

    assert re.search(expected, message), message
    assert "Valid keys: " in message


def test_unknown_key_lists_every_valid_key_of_its_section(
    cli: Callable[..., Any], config: Path
) -> None:
    message = error_of(cli, "train", "--config", config, "--data.limt=5")
    listed = message.split("Valid keys: ")[1].rstrip(".\n").split(", ")
    assert {
        "source",
        "path",
        "label",
        "limit",
        "validation_split",
        "batch_size",
    } <= set(listed)
    top = error_of(cli, "train", "--config", config, "--seeed=5")
    assert top.split("Valid keys: ")[1].rstrip(".\n").split(", ") == [
        "data",
        "export",
        "fit",
        "model",
        "name",
        "recipe",
        "runs_dir",
        "seed",
        "trainer",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "seed: 3",
            "seeed: 3",
            "unknown key `seeed` in the config's top level. Did you mean `seed`?",
        ),
        (
            "  samples: 240",
            "  sampels: 240",
            "unknown key `data.sampels` in `data`. Did you mean `samples`?",
        ),
        (
            "    hidden: [8]",
            "    hiden: [8]",
            "unknown key `model.hiden` in `model` (tfstarter.models.dense). "
            "Did you mean `hidden`?",
        ),
    ],
)
def test_unknown_key_in_the_config_file(
    cli: Callable[..., Any], config: Path, old: str, new: str, expected: str
) -> None:
    message = error_of(cli, "train", "--config", edited(config, old, new))
    assert expected in message


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("--fit.epochs=abc", "bad value for `fit.epochs`: abc."),
        ("--data.source=mnsit", "bad value for `data.source`: mnsit."),
        ("--trainer.loop=fast", "bad value for `trainer.loop`: fast."),
        (
            "--model=tfstarter.models.nope",
            "bad value for `model`: tfstarter.models.nope.",
        ),
        (
            "--data.validation_split=1.5",
            "`data.validation_split` must be in [0.0, 1.0), got 1.5.",
        ),
        ("--fit.epochs=0", "`fit.epochs` must be a positive integer, got 0."),
        ("--data.limit=-3", "`data.limit` must be a positive integer, got -3."),
        ("--recipe=cnnn", "`recipe` is 'cnnn'; pass one of cnn, "),
    ],
)
def test_bad_values_name_the_key_and_the_value(
    cli: Callable[..., Any], config: Path, override: str, expected: str
) -> None:
    message = error_of(cli, "train", "--config", config, override, "--print-config")
    assert expected in message


def test_early_stopping_on_validation_needs_validation_data(
    cli: Callable[..., Any], config: Path
) -> None:
    message = error_of(
        cli,
        "train",
        "--config",
        config,
        "--data.validation_split=0",
        "--fit.early_stopping.patience=2",
        "--print-config",
    )
    assert (
        "`fit.early_stopping.monitor` is 'val_loss', but data.validation_split is 0"
        in message
    )


def test_a_missing_model_says_how_to_name_one(cli: Callable[..., Any]) -> None:
    assert "`model` is required but not given" in error_of(cli, "train")


def test_print_config_shows_the_resolved_config(
    cli: Callable[..., Any], config: Path
) -> None:
    result = cli("train", "--config", config, "--fit.epochs=7", "--print-config")
    assert result.code == 0, result.err
    printed = yaml.safe_load(result.out)
    assert printed["name"] == "tiny"  # the config file's name
    assert printed["fit"]["epochs"] == 7
    assert printed["data"]["batch_size"] == 32
    assert printed["data"]["validation_split"] == 0.1
    assert printed["trainer"]["jit_compile"] == "auto"
    assert not (config.parent / "runs").exists()


def test_a_recipe_fills_what_the_config_leaves_unset(
    cli: Callable[..., Any], config: Path
) -> None:
    import tfstarter as tfs

    result = cli(
        "train",
        "--config",
        config,
        "--recipe=cnn",
        "--fit.schedule=null",
        "--fit.epochs=null",
        "--print-config",
    )
    assert result.code == 0, result.err
    printed = yaml.safe_load(result.out)
    recipe = tfs.models.CNN_RECIPE
    assert printed["fit"]["epochs"] == recipe.epochs
    assert printed["data"]["batch_size"] == recipe.batch_size
    assert printed["fit"]["schedule"] == recipe.schedule
    assert printed["fit"]["shift"] == recipe.shift
    assert printed["fit"]["flip"] is recipe.flip


def test_a_config_value_wins_over_the_recipe(
    cli: Callable[..., Any], config: Path
) -> None:
    result = cli(
        "train", "--config", config, "--recipe=cnn", "--fit.flip=true", "--print-config"
    )
    assert result.code == 0, result.err
    assert yaml.safe_load(result.out)["fit"]["flip"] is True


def test_environment_variables_set_options(
    cli: Callable[..., Any], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSTARTER_TRAIN__NAME", "from_env")
    result = cli("train", "--config", config, "--print-config")
    assert yaml.safe_load(result.out)["name"] == "from_env"


@pytest.mark.parametrize("command", ["evaluate", "predict", "export", "report"])
def test_a_path_that_is_not_a_run_folder_is_an_error(
    cli: Callable[..., Any], tmp_path: Path, command: str
) -> None:
    extra = {
        "predict": ["--input", "x.npy", "--output", "y.csv"],
        "export": ["--format", "tflite"],
    }.get(command, [])
    result = cli(command, tmp_path, *extra)
    assert result.code == 2
    assert (
        f"tfstarter {command}: error: {str(tmp_path)!r} is not a run folder: it has no "
        in result.err
    )
    assert "such as runs/NAME/version_0" in result.err
