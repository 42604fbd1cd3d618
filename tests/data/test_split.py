"""`split`: disjoint, covering, proportional, stratified, deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError

fraction_lists = st.lists(st.integers(1, 20), min_size=2, max_size=4).map(
    lambda weights: tuple(w / sum(weights) for w in weights)
)


@given(n=st.integers(2, 400), fractions=fraction_lists, seed=st.integers(0, 2**31))
def test_parts_are_disjoint_cover_the_input_and_are_proportional(
    n: int, fractions: tuple[float, ...], seed: int
) -> None:
    assume(all(f * n >= 1 for f in fractions))
    x = np.arange(n)
    parts = tfs.data.split(x, x * 10, fractions=fractions, seed=seed)
    assert len(parts) == len(fractions)
    everything = np.concatenate([p[0] for p in parts])
    assert sorted(everything.tolist()) == list(range(n))  # disjoint and covering
    for (features, labels), fraction in zip(parts, fractions, strict=True):
        np.testing.assert_array_equal(labels, features * 10)  # pairs kept
        assert abs(len(features) - fraction * n) < 1.0


@given(
    counts=st.lists(st.integers(1, 60), min_size=2, max_size=12),
    fractions=fraction_lists,
    seed=st.integers(0, 2**31),
)
def test_stratified_parts_keep_class_ratios(
    counts: list[int], fractions: tuple[float, ...], seed: int
) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    assume(all(f * n >= 1 for f in fractions))
    parts = tfs.data.split(
        np.arange(n), y, fractions=fractions, stratify=True, seed=seed
    )
    assert sorted(np.concatenate([p[0] for p in parts]).tolist()) == list(range(n))
    for (features, labels), fraction in zip(parts, fractions, strict=True):
        np.testing.assert_array_equal(labels, y[features])
        assert abs(len(features) - fraction * n) < 1.0  # same sizes as unstratified
        per_class = np.bincount(labels, minlength=len(counts))
        # Every class lands in every part in proportion, within one sample.
        assert np.all(np.abs(per_class - fraction * np.asarray(counts)) < 1.0)


def test_stratified_ratio_is_exact_when_it_divides_evenly() -> None:
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    (_, y_train), (_, y_val) = tfs.data.split(
        np.zeros((100, 2)), y, fractions=(0.9, 0.1), stratify=True, seed=0
    )
    assert np.bincount(y_train).tolist() == [54, 27, 9]
    assert np.bincount(y_val).tolist() == [6, 3, 1]


def test_stratify_on_one_hot_labels_or_given_groups() -> None:
    labels = np.repeat([0, 1], [8, 2])
    one_hot = np.eye(2)[labels]
    (_, y_a), (_, y_b) = tfs.data.split(
        np.arange(10), one_hot, fractions=(0.5, 0.5), stratify=True
    )
    assert y_a[:, 1].sum() == y_b[:, 1].sum() == 1
    a, b = tfs.data.split(np.arange(10), fractions=(0.5, 0.5), stratify=labels)
    assert (labels[a] == 1).sum() == (labels[b] == 1).sum() == 1


def test_same_seed_same_split_different_seed_different_split() -> None:
    x = np.arange(100)
    a = tfs.data.split(x, seed=1)
    assert all(
        np.array_equal(p, q) for p, q in zip(a, tfs.data.split(x, seed=1), strict=True)
    )
    assert not np.array_equal(a[0], tfs.data.split(x, seed=2)[0])


def test_without_shuffle_parts_are_consecutive_runs() -> None:
    x = {"a": np.arange(10), "b": np.arange(10) * 2}
    first, second = tfs.data.split(x, fractions=(0.7, 0.3), shuffle=False)
    assert first["a"].tolist() == list(range(7))
    assert second["b"].tolist() == [14, 16, 18]


def test_readme_example_feeds_from_arrays() -> None:
    x_train = np.random.default_rng(0).normal(size=(200, 3)).astype("float32")
    y_train = np.arange(200) % 2
    train, val = tfs.data.split(x_train, y_train, fractions=(0.9, 0.1), seed=0)
    ds = tfs.data.from_arrays(*train, batch_size=128, shuffle=True, seed=0)
    assert int(ds.cardinality()) == 2
    assert len(val[0]) == 20


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"fractions": (0.8, 0.1)},
            ConfigError,
            r"`fractions` must sum to 1, got \(0\.8, 0\.1\) which sums to 0\.9",
        ),
        ({"fractions": (1.0,)}, ConfigError, r"`fractions` must name at least two"),
        (
            {"fractions": (1.5, -0.5)},
            ConfigError,
            r"`fractions\[0\]` must be in",
        ),
        ({"fractions": 0.5}, ArgumentTypeError, r"`fractions` must be a sequence"),
        (
            {"fractions": (0.5, "a")},
            ArgumentTypeError,
            r"`fractions\[1\]` must be",
        ),
        (
            {"fractions": (0.99, 0.01)},
            ConfigError,
            r"`fractions` \(0\.99, 0\.01\) of 10 samples leave part 1 empty",
        ),
        ({"stratify": True, "y": None}, ConfigError, r"`stratify=True` stratifies on"),
        ({"stratify": np.zeros(3)}, DataError, r"`stratify` must hold one group label"),
        ({"y": np.zeros(9)}, DataError, r"`x` has 10 samples but `y` has 9"),
        ({"seed": None}, ArgumentTypeError, r"`seed` must be an int so the split"),
        ({"shuffle": 1}, ArgumentTypeError, r"`shuffle` must be True or False"),
    ],
)
def test_bad_arguments_are_rejected(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"y": np.arange(10) % 2}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        tfs.data.split(np.arange(10), **arguments)  # type: ignore[arg-type]


def test_empty_input_is_rejected() -> None:
    with pytest.raises(DataError, match=r"`x` is empty \(0 samples\)"):
        tfs.data.split(np.zeros((0, 2)))


@pytest.mark.parametrize(
    ("y", "stratify", "match"),
    [
        (
            np.linspace(0.0, 1.0, 20),
            True,
            r"`stratify` needs class labels, but `y` holds continuous values "
            r"\(e\.g\. 0\.05.* at row 1\).*np\.digitize",
        ),
        (np.zeros(20), np.linspace(0, 1, 20), r"`stratify` holds continuous values"),
        (np.zeros(20), np.full(20, np.nan), r"holds continuous values \(e\.g\. nan"),
    ],
)
def test_stratify_on_continuous_values_is_an_error(
    y: np.ndarray, stratify: object, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        tfs.data.split(np.zeros((20, 2)), y, fractions=(0.5, 0.5), stratify=stratify)


def test_stratify_on_whole_float_labels_is_fine() -> None:
    y = np.array([0.0, 1.0] * 10)
    (_, y_a), (_, y_b) = tfs.data.split(
        np.zeros((20, 2)), y, fractions=(0.5, 0.5), stratify=True
    )
    assert y_a.sum() == y_b.sum() == 5
