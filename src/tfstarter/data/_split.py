"""`split`: disjoint train / validation / test parts, optionally stratified."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from tfstarter._checks import (
    as_arrays,
    check_bool,
    check_same_length,
    check_seed,
    describe,
    take_rows,
)
from tfstarter.data._arrays import ArrayTree
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError

_SUM_TOLERANCE = 1e-6


@overload
def split(
    x: ArrayTree,
    y: None = None,
    *,
    fractions: Sequence[float] = ...,
    stratify: bool | npt.ArrayLike = ...,
    shuffle: bool = ...,
    seed: int = ...,
) -> tuple[Any, ...]: ...


@overload
def split(
    x: ArrayTree,
    y: ArrayTree,
    *,
    fractions: Sequence[float] = ...,
    stratify: bool | npt.ArrayLike = ...,
    shuffle: bool = ...,
    seed: int = ...,
) -> tuple[tuple[Any, Any], ...]: ...


def split(
    x: ArrayTree,
    y: ArrayTree | None = None,
    *,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    stratify: bool | npt.ArrayLike = False,
    shuffle: bool = True,
    seed: int = 0,
) -> tuple[Any, ...]:
    """Split arrays into disjoint parts (train / validation / test) by fractions.

    The parts are disjoint and together hold every sample exactly once. Part
    ``i`` holds ``round(fractions[i] * n)`` samples, within one sample of the
    exact share (the rounding is distributed so the sizes add up to ``n``).
    The result is deterministic for a given ``seed``.

    With ``stratify``, every class is spread over the parts in the same
    proportions: class ``c`` puts ``fractions[i] * size_c`` samples in part
    ``i``, rounded up or down, while the part sizes stay exactly those
    without stratification (a controlled rounding; in the rare tables where
    no such rounding exists, a class may be off by one more sample).

    Args:
        x: features: an array of shape ``(n_samples, ...)`` or a dict of them.
        y: labels with one row per sample, or None.
        fractions: the share of each part; each in ``(0, 1]``, summing to 1.
        stratify: ``True`` to keep the class proportions of ``y`` (integer or
            string labels; one-hot rows are read by their argmax), or an array
            of one group label per sample to stratify on instead. Continuous
            float targets are refused (bin them first).
        shuffle: shuffle before splitting (the default). With ``shuffle=False``
            the parts are consecutive runs of the input, in input order (for
            time series, say); stratified parts keep input order within each
            class.
        seed: the seed of the shuffle.

    Returns:
        One ``(x_part, y_part)`` pair per fraction, or one ``x_part`` per
        fraction when ``y`` is None. Arrays keep their dtype; dicts stay dicts.

    Raises:
        ConfigError: if the fractions do not sum to 1, one is outside
            ``(0, 1]``, or a part would be empty.
        DataError: if ``x`` and ``y`` differ in length or hold no samples, or
            ``stratify`` is asked of continuous values.
        ArgumentTypeError: if an argument has the wrong type.

    Examples:
        >>> x = np.arange(10)
        >>> y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        >>> (x_train, y_train), (x_val, y_val) = split(
        ...     x, y, fractions=(0.6, 0.4), stratify=True, seed=0
        ... )
        >>> len(x_train), len(x_val), int(y_val.sum())
        (6, 4, 2)
        >>> sorted(np.concatenate([x_train, x_val]).tolist()) == list(range(10))
        True
    """
    parts = _check_fractions(fractions)
    shuffle = check_bool("shuffle", shuffle)
    checked_seed = check_seed(seed)
    if checked_seed is None:
        raise ArgumentTypeError(
            "`seed` must be an int so the split is reproducible, got None. "
            "Pass e.g. seed=0."
        )
    x = as_arrays("x", x)
    y = None if y is None else as_arrays("y", y)
    n = check_same_length(x, y)
    counts = _counts(parts, n)
    if int(counts.min()) == 0:
        empty = int(np.argmin(counts))
        raise ConfigError(
            f"`fractions` {tuple(parts)} of {n} samples leave part {empty} empty "
            f"({parts[empty]} * {n} < 1 sample). Pass more data or larger "
            f"fractions."
        )
    rng = np.random.default_rng(checked_seed)
    order = rng.permutation(n) if shuffle else np.arange(n)
    groups = _groups(stratify, y, n)
    if groups is None:
        bounds = np.concatenate([[0], np.cumsum(counts)])
        indices = [order[start:stop] for start, stop in itertools.pairwise(bounds)]
    else:
        indices = _stratified_parts(order, groups, parts, counts, rng)
    result: list[Any] = []
    for part in indices:
        index = rng.permutation(part) if shuffle else np.sort(part)
        x_part = take_rows(x, index)
        result.append(x_part if y is None else (x_part, take_rows(y, index)))
    return tuple(result)


def _check_fractions(fractions: object) -> list[float]:
    if isinstance(fractions, str | bytes) or not isinstance(fractions, Sequence):
        raise ArgumentTypeError(
            f"`fractions` must be a sequence of numbers such as (0.8, 0.1, 0.1), "
            f"got {describe(fractions)} of type {type(fractions).__name__}."
        )
    parts: list[float] = []
    for index, value in enumerate(fractions):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ArgumentTypeError(
                f"`fractions[{index}]` must be a number, got {value!r} of type "
                f"{type(value).__name__}."
            )
        number = float(value)
        if not 0.0 < number <= 1.0:
            raise ConfigError(
                f"`fractions[{index}]` must be in (0, 1], got {value}. Every part "
                f"needs a positive share."
            )
        parts.append(number)
    if len(parts) < 2:
        raise ConfigError(
            f"`fractions` must name at least two parts, got {tuple(parts)}. "
            f"Pass e.g. fractions=(0.9, 0.1)."
        )
    total = math.fsum(parts)
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise ConfigError(
            f"`fractions` must sum to 1, got {tuple(parts)} which sums to "
            f"{total:g}. Pass e.g. fractions=(0.8, 0.1, 0.1)."
        )
    return parts


def _counts(parts: list[float], n: int) -> npt.NDArray[np.int64]:
    """Split ``n`` by the largest-remainder rule: each within 1 of its share."""
    exact = np.asarray(parts, dtype=np.float64) * n
    counts = np.floor(exact).astype(np.int64)
    short = n - int(counts.sum())
    # Ties go to the earlier part, so the result does not depend on noise.
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def _groups(
    stratify: bool | npt.ArrayLike, y: Any, n: int
) -> npt.NDArray[np.int64] | None:
    """Return one integer group id per sample, or None when not stratifying."""
    if isinstance(stratify, bool | np.bool_):
        if not stratify:
            return None
        if y is None or isinstance(y, Mapping):
            raise ConfigError(
                "`stratify=True` stratifies on the labels, so `y` must be one "
                f"label array; got y={'None' if y is None else 'a dict'}. Pass "
                f"stratify=<array of one group per sample> instead."
            )
        labels = np.asarray(y)
        name = "y"
    else:
        labels = np.asarray(stratify)
        name = "stratify"
        if labels.ndim == 0 or labels.shape[0] != n:
            raise DataError(
                f"`stratify` must hold one group label per sample ({n}), got "
                f"{describe(labels)}."
            )
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)  # one-hot rows
    elif labels.ndim == 2:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(
            f"`{name}` must hold one class label per sample to stratify on, got "
            f"{describe(labels)}. Pass 1-D labels or one-hot rows."
        )
    _check_classes(name, labels)
    _, ids = np.unique(labels, return_inverse=True)
    return ids.astype(np.int64).reshape(-1)


def _check_classes(name: str, labels: npt.NDArray[Any]) -> None:
    """Refuse continuous values: each would be a class of its own."""
    if np.issubdtype(labels.dtype, np.complexfloating):
        raise DataError(
            f"`{name}` holds complex numbers ({describe(labels)}); stratify needs "
            f"class labels."
        )
    if not np.issubdtype(labels.dtype, np.floating):
        return
    finite = np.isfinite(labels)
    fractional = finite & (labels != np.floor(np.where(finite, labels, 0.0)))
    if not finite.all() or fractional.any():
        row = int(np.flatnonzero(~finite | fractional)[0])
        raise DataError(
            f"`stratify` needs class labels, but `{name}` holds continuous values "
            f"(e.g. {labels[row].item()!r} at row {row}); each value would be a "
            f"class of its own. Stratify on bins of the target instead, e.g. "
            f"stratify=np.digitize({name}, np.quantile({name}, [0.25, 0.5, 0.75])), "
            f"or pass stratify=False."
        )


def _stratified_parts(
    order: npt.NDArray[np.int64],
    groups: npt.NDArray[np.int64],
    parts: list[float],
    counts: npt.NDArray[np.int64],
    rng: np.random.Generator,
) -> list[npt.NDArray[np.int64]]:
    """Split ``order`` into parts of ``counts`` samples, stratified by ``groups``.

    Class ``c`` puts ``table[c, p]`` samples in part ``p``, where ``table`` is
    rounded from ``size_c * parts[p]`` so that every entry is within one of its
    exact value, every class is placed in full, and every part gets exactly
    ``counts[p]`` samples (a "controlled rounding" of the table).
    """
    sizes = np.bincount(groups)
    table = _controlled_rounding(sizes, np.asarray(parts), counts, rng)
    chosen: list[list[npt.NDArray[np.int64]]] = [[] for _ in parts]
    group_of_order = groups[order]
    for group, row in enumerate(table):
        members = order[group_of_order == group]  # in shuffled (or input) order
        bounds = np.concatenate([[0], np.cumsum(row)])
        for part, (start, stop) in enumerate(itertools.pairwise(bounds)):
            chosen[part].append(members[start:stop])
    return [np.concatenate(pieces) for pieces in chosen]


def _controlled_rounding(
    sizes: npt.NDArray[np.int64],
    parts: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """Round ``sizes[:, None] * parts`` keeping row sums and the column ``counts``."""
    exact = sizes[:, None] * parts[None, :]
    table = np.floor(exact).astype(np.int64)
    for row in range(len(sizes)):
        short = int(sizes[row] - table[row].sum())
        # Largest remainders first; ties broken at random so that no part is
        # systematically favoured for small classes.
        ranking = np.lexsort((rng.random(len(parts)), -(exact[row] - table[row])))
        table[row, ranking[:short]] += 1
    # Move samples between parts, within classes, until the part sizes match.
    # Each move follows a path of parts p -> ... -> q where every step lowers a
    # rounded-up entry and raises a rounded-down one of the same class, so the
    # entries stay within one of their exact values (an augmenting path).
    for _ in range(int(np.abs(table.sum(axis=0) - counts).sum())):
        surplus = table.sum(axis=0) - counts
        if not surplus.any():
            break
        path = _augmenting_path(table, exact, surplus)
        if path is None:
            # No path keeps every entry within one: move one sample from the
            # fullest part to the emptiest through the class that deviates least.
            source, target = int(np.argmax(surplus)), int(np.argmin(surplus))
            slack = (table[:, source] - exact[:, source]) + (
                exact[:, target] - table[:, target]
            )
            slack[table[:, source] == 0] = -np.inf
            path = [(int(np.argmax(slack)), source, target)]
        for group, source, target in path:
            table[group, source] -= 1
            table[group, target] += 1
    return table


def _augmenting_path(
    table: npt.NDArray[np.int64],
    exact: npt.NDArray[np.float64],
    surplus: npt.NDArray[np.int64],
) -> list[tuple[int, int, int]] | None:
    """Breadth-first search for a chain of within-one moves from a full part."""
    up = table > exact  # entries rounded up: may give one sample
    down = table < exact  # entries rounded down: may take one sample
    starts = [int(p) for p in np.flatnonzero(surplus > 0)]
    previous: dict[int, tuple[int, int] | None] = dict.fromkeys(starts)
    queue = list(starts)
    while queue:
        source = queue.pop(0)
        for target in range(table.shape[1]):
            if target in previous:
                continue
            groups = np.flatnonzero(up[:, source] & down[:, target])
            if not len(groups):
                continue
            previous[target] = (source, int(groups[0]))
            if surplus[target] < 0:
                path = []
                node = target
                step = previous[node]
                while step is not None:
                    path.append((step[1], step[0], node))
                    node = step[0]
                    step = previous[node]
                return path[::-1]
            queue.append(target)
    return None
