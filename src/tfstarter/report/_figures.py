"""Figures without pyplot: one `matplotlib.figure.Figure` per plot, saved as PNG.

Plots are made on plain `Figure` objects, never through ``pyplot``: no global
figure registry to leak memory in long runs, no GUI backend to pick on a
headless machine (saving goes through the Agg canvas), and nothing shared
between threads.
"""

from __future__ import annotations

from matplotlib.figure import Figure

TRAIN_COLOR = "#1f77b4"
"""The colour of training curves."""

VALIDATION_COLOR = "#ff7f0e"
"""The colour of validation curves."""

BEST_COLOR = "#2ca02c"
"""The colour that marks the best epoch."""

DPI = 110
"""Resolution of the saved PNG files."""


def new_figure(width: float, height: float) -> Figure:
    """Return an empty figure of ``width`` x ``height`` inches, laid out tightly.

    Examples:
        >>> new_figure(4, 3).get_size_inches().tolist()
        [4.0, 3.0]
    """
    return Figure(figsize=(width, height), layout="constrained")
