"""`main`: parse the command line, run the subcommand, report errors in one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from tfstarter._version import __version__

SUBCOMMANDS = ("train", "evaluate", "predict", "export", "report")
"""The subcommands of ``tfstarter``."""

USAGE_ERROR = 2
"""Exit status for a bad command line or config."""

RUN_ERROR = 1
"""Exit status for a run that failed."""

RESUME_TAKES = ("--resume", "--quiet", "--verbose")
"""The options ``train --resume RUN`` takes: a resumed run keeps its config."""


def _subcommand(args: Sequence[str]) -> str | None:
    return next((arg for arg in args if arg in SUBCOMMANDS), None)


def _resume_target(args: Sequence[str]) -> str | None:
    """The run ``train --resume RUN`` (or ``--resume=RUN``) names, if any."""
    for index, arg in enumerate(args):
        if arg == "--resume" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--resume="):
            return arg.partition("=")[2]
    return None


def _with_saved_config(args: list[str]) -> list[str]:
    """``train --resume RUN`` parses RUN's saved config (its model among it).

    A resumed run goes on exactly as it was saved, so the only options it
    takes besides ``--resume`` are the output flags.

    Raises:
        ConfigError: for any other option after ``train``, with the command
            that starts a new run from the saved config instead.
    """
    run = _resume_target(args) if _subcommand(args) == "train" else None
    if run is None:
        return args
    from tfstarter.cli._run_folder import RunFolder
    from tfstarter.errors import ConfigError

    config = str(RunFolder.unfinished(run).config)
    at = args.index("train") + 1
    others = [
        arg
        for arg in args[at:]
        if arg not in RESUME_TAKES and arg != run and not arg.startswith("--resume=")
    ]
    if others:
        given = " ".join(others)
        raise ConfigError(
            f"`--resume` goes on with the run exactly as it was saved in {config}, "
            f"so it takes no other options besides {', '.join(RESUME_TAKES[1:])}; "
            f"got: {given}. To train with other settings, start a new run: "
            f"tfstarter train --config {config} {given}"
        )
    return [*args[:at], "--config", config, *args[at:]]


def _parse(args: list[str]) -> tuple[Any, dict[str, Any]]:
    import argparse

    from tfstarter.cli._config_errors import explain
    from tfstarter.cli._parsers import MODEL_FROM_DATA, subcommand_parsers, top_parser
    from tfstarter.errors import ConfigError

    parsers = subcommand_parsers()
    parser = top_parser(parsers)
    args = _with_saved_config(args)
    try:
        return parser.parse_args(args), parsers
    except (argparse.ArgumentError, ValueError, TypeError, KeyError) as error:
        name = _subcommand(args)
        target = parsers.get(name or "", parser)
        raise ConfigError(explain(error, target, model_skip=MODEL_FROM_DATA)) from None


def _run(command: str, config: Any, parsers: dict[str, Any], args: list[str]) -> int:
    from tfstarter.cli import _run_commands as commands
    from tfstarter.cli._run_folder import RunFolder

    options = config[command]
    if command == "train":
        from tfstarter.cli._resolve import resolved_config, saved_yaml
        from tfstarter.cli._train import train

        if options.print_config:
            print(
                saved_yaml(parsers["train"], resolved_config(options)),
                end="",
            )
            return 0
        path = train(
            parsers["train"],
            options,
            argv=["tfstarter", *args],
            verbose=bool(options.verbose),
            quiet=bool(options.quiet),
        )
        print(f"run: {path}")
        return 0
    folder = RunFolder.open(options.run)
    if command == "evaluate":
        data = _evaluation_data(parsers["evaluate"], folder, args)
        print(commands.metrics_json(commands.evaluate(folder, data)))
    elif command == "predict":
        rows = commands.predict(
            folder, options.input, options.output, batch_size=options.batch_size
        )
        print(f"predicted {rows} input(s): {options.output}")
    elif command == "export":
        path = commands.export(folder, options.format, options.quantize)
        print(f"export: {path}")
    else:
        print(f"report: {commands.report(folder)}")
    return 0


def _evaluation_data(parser: Any, folder: Any, args: list[str]) -> Any:
    """Return the run's data config with the ``--data.*`` options applied."""
    from tfstarter.cli._run_commands import run_config

    saved = run_config(folder)
    parser.set_defaults({f"data.{key}": value for key, value in saved.data.items()})
    return parser.parse_args(args[args.index("evaluate") + 1 :]).data


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tfstarter`` command; return its exit status.

    ``tfstarter train --config FILE.yaml`` trains into a run folder;
    ``evaluate``, ``predict``, ``export`` and ``report`` work on one. Errors
    in the command line or config exit with status 2, failed runs with 1,
    each with a one-line message on stderr.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).

    Examples:
        >>> main(["--version"])  # doctest: +ELLIPSIS
        tfstarter ...
        0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V"):
        print(f"tfstarter {__version__}")
        return 0
    from tfstarter.cli._onednn import prefer_onednn
    from tfstarter.cli._quiet import start_tensorflow

    prefer_onednn()
    start_tensorflow(verbose="--verbose" in args)
    from tfstarter.errors import ConfigError, TfstarterError

    name = _subcommand(args) or "tfstarter"
    prefix = f"tfstarter {name}" if name != "tfstarter" else name
    try:
        config, parsers = _parse(args)
        return _run(config.command, config, parsers, args)
    except ConfigError as error:
        print(f"{prefix}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except TfstarterError as error:
        print(f"{prefix}: error: {error}", file=sys.stderr)
        return RUN_ERROR
