"""The command-line parsers: options derived from typed signatures by jsonargparse.

``train`` reads one YAML config (``--config``), environment variables
(``TFSTARTER_TRAIN__FIT__EPOCHS=3``) and dotted overrides
(``--fit.epochs=3``), later sources winning, and checks every key and value
against the types: the dataclasses of `tfstarter.cli._sections`, the
signature of `tfstarter.Trainer`, of `tfstarter.export.bundle`, and of the
builder named by ``model.class_path``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfstarter._version import __version__

if TYPE_CHECKING:
    from jsonargparse import ArgumentParser

MODEL_FROM_DATA = frozenset({"input_shape", "classes", "outputs", "normalize", "seed"})
"""Builder arguments the command fills in from the data and the seed."""


EXPORT_FROM_RUN = frozenset(
    {
        "model",
        "path",
        "representative_data",
        "sample",
        "tolerances",
        "name",
        "overwrite",
        "check",
    }
)
"""`bundle` arguments the command fills in from the run."""

CLI_ONLY = ("config", "print_config", "quiet", "verbose", "resume", "__path__")
"""Options that steer the command and are not saved in a run's config.yaml."""


def _new(prog: str, description: str) -> ArgumentParser:
    from jsonargparse import ArgumentParser

    return ArgumentParser(
        prog=prog,
        description=description,
        exit_on_error=False,
        default_env=True,
        env_prefix="TFSTARTER",
        print_config=None,
    )


def _output_flags(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="No progress line while an epoch runs; one summary line per epoch.",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="Show TensorFlow's start-up and runtime logs.",
    )


def train_parser() -> ArgumentParser:
    """Return the parser of ``tfstarter train``.

    Examples:
        >>> parser = train_parser()
        >>> config = parser.parse_args(
        ...     ["--model=tfstarter.models.dense", "--fit.epochs=2", "--seed=3"]
        ... )
        >>> config.fit.epochs, config.seed, config.trainer.jit_compile
        (2, 3, 'auto')
    """
    import keras

    import tfstarter as tfs
    from tfstarter.cli._sections import DataConfig, FitConfig

    parser = _new(
        "tfstarter train",
        "Train a model from a YAML config into runs/NAME/version_N/: metrics, "
        "TensorBoard logs, the model, verified exports, plots and report.html.",
    )
    from jsonargparse import ActionConfigFile  # type: ignore[attr-defined]

    parser.add_argument(
        "--config",
        action=ActionConfigFile,
        help="A YAML config file (see docs/cli.md).",
    )
    parser.add_argument(
        "--print-config",
        "--print_config",
        action="store_true",
        dest="print_config",
        help="Print the resolved config as YAML and exit.",
    )
    _output_flags(parser)
    parser.add_argument(
        "--name",
        type=str | None,
        default=None,
        help="The run's name: runs go to RUNS_DIR/NAME/version_N (default: the "
        "config file's name).",
    )
    parser.add_argument(
        "--runs-dir",
        "--runs_dir",
        dest="runs_dir",
        type=str,
        default="runs",
        help="The folder that holds the runs.",
    )
    parser.add_argument(
        "--resume",
        type=str | None,
        default=None,
        help="Go on with a run that was stopped (killed, or SIGTERM), from its "
        "backup: RUNS_DIR/NAME/version_N. Its saved config is used.",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="Seeds Python, NumPy and TensorFlow, the split and the shuffling.",
    )
    parser.add_argument(
        "--recipe",
        type=str | None,
        default=None,
        help="A training recipe of tfstarter.models (cnn, dense, ...): it gives "
        "the epochs, batch size, validation split and schedule that the config "
        "leaves unset.",
    )
    parser.add_class_arguments(DataConfig, "data")
    parser.add_subclass_arguments(
        keras.Model,
        "model",
        skip=set(MODEL_FROM_DATA),
        required=True,
        help="The model: class_path names a builder (tfstarter.models.cnn, "
        ".dense, .linear, .logistic) and init_args its arguments.",
    )
    parser.add_class_arguments(
        tfs.training.TrainerOptions, "trainer", instantiate=False
    )
    parser.add_class_arguments(FitConfig, "fit")
    parser.add_function_arguments(
        tfs.export.bundle, "export", skip=set(EXPORT_FROM_RUN)
    )
    return parser


def run_parser(prog: str, description: str) -> ArgumentParser:
    """Return a parser whose first argument is a run folder."""
    parser = _new(prog, description)
    parser.add_argument("run", type=str, help="A run folder: RUNS_DIR/NAME/version_N.")
    return parser


def evaluate_parser() -> ArgumentParser:
    """Return the parser of ``tfstarter evaluate``."""
    from tfstarter.cli._sections import DataConfig

    parser = run_parser(
        "tfstarter evaluate",
        "Evaluate a run's model on its test data (or on --data.*) and print the "
        "metrics as JSON.",
    )
    parser.add_class_arguments(DataConfig, "data")
    _output_flags(parser)
    return parser


def predict_parser() -> ArgumentParser:
    """Return the parser of ``tfstarter predict``."""
    parser = run_parser(
        "tfstarter predict",
        "Predict with a run's model: the predicted class and its probability "
        "(or the values, for regression) of each input, as CSV.",
    )
    parser.add_argument(
        "--input",
        type=str,
        required=True,
        help="A .npy file, a .csv file with a header line, or a folder of images.",
    )
    parser.add_argument(
        "--output", type=str, required=True, help="The CSV file to write."
    )
    parser.add_argument(
        "--batch-size", "--batch_size", dest="batch_size", type=int, default=256
    )
    _output_flags(parser)
    return parser


def export_parser() -> ArgumentParser:
    """Return the parser of ``tfstarter export``."""
    from tfstarter.export._formats import Format, Quantize

    parser = run_parser(
        "tfstarter export",
        "Export a run's model to one more format, verified, into RUN/export/.",
    )
    parser.add_argument("--format", type=Format, required=True, help="The format.")
    parser.add_argument(
        "--quantize",
        type=Quantize | None,
        default=None,
        help="The TFLite quantization mode.",
    )
    _output_flags(parser)
    return parser


def report_parser() -> ArgumentParser:
    """Return the parser of ``tfstarter report``."""
    parser = run_parser(
        "tfstarter report",
        "Rebuild a run's plots and report.html from its files.",
    )
    _output_flags(parser)
    return parser


def subcommand_parsers() -> dict[str, ArgumentParser]:
    """Return the parser of each subcommand, by name."""
    return {
        "train": train_parser(),
        "evaluate": evaluate_parser(),
        "predict": predict_parser(),
        "export": export_parser(),
        "report": report_parser(),
    }


_SUMMARIES = {
    "train": "Train from a config into a new run folder.",
    "evaluate": "Print a run's test metrics as JSON.",
    "predict": "Predict on a .npy file, a .csv file or a folder of images.",
    "export": "Add a verified export to a run.",
    "report": "Rebuild a run's plots and report.html.",
}


def top_parser(parsers: dict[str, ArgumentParser]) -> ArgumentParser:
    """Return the ``tfstarter`` parser, with ``parsers`` as its subcommands."""
    parser = _new(
        "tfstarter",
        "Train, evaluate, predict, export and report from a YAML config, into "
        "run folders with plots and an HTML report.",
    )
    parser.add_argument(
        "--version", action="version", version=f"tfstarter {__version__}"
    )
    commands = parser.add_subcommands(required=True, dest="command")
    for name, subparser in parsers.items():
        commands.add_subcommand(name, subparser, help=_SUMMARIES[name])
    return parser
