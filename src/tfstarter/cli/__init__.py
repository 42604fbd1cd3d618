"""The ``tfstarter`` command: train, evaluate, predict, export and report from a config.

``tfstarter train --config examples/configs/mnist_cnn.yaml`` reads the data,
builds the model, trains it with a live progress line, evaluates it on the
test split, exports it to every deployment format (each verified) and
writes ``runs/mnist_cnn/version_N/`` with the resolved config, the
environment, the per-epoch metrics, TensorBoard logs, the model, plots and a
self-contained ``report.html``. Options come from a YAML file, environment
variables and dotted overrides (``--fit.epochs=1 --data.limit=2000``),
checked against the typed signatures of the library (jsonargparse). Needs
the ``cli`` extra: ``pip install "tfstarter[cli]"``. See docs/cli.md.

Examples:
    >>> from tfstarter.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    tfstarter ...
    0
"""

from __future__ import annotations

from tfstarter.cli._main import main

__all__ = ["main"]
