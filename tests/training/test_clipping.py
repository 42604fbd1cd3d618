"""Gradient clipping bounds the update the optimizer applies."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError
from tfstarter.training import GradientClipping


def _one_step_update(loop, model_factory, dataset, clipping):
    model = model_factory(optimizer=keras.optimizers.SGD(1.0))
    before = [w.copy() for w in model.get_weights()]
    tfs.Trainer(model, loop, clipping=clipping).fit(dataset.take(1), verbose=0)
    return [a - b for a, b in zip(model.get_weights(), before, strict=True)]


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_global_norm_bounds_the_whole_update(loop, model_factory, dataset):
    free = _one_step_update(loop, model_factory, dataset, None)
    assert np.sqrt(sum((u**2).sum() for u in free)) > 0.05
    clipped = _one_step_update(
        loop, model_factory, dataset, GradientClipping("global_norm", 0.05)
    )
    norm = np.sqrt(sum((u**2).sum() for u in clipped))
    assert norm == pytest.approx(0.05, rel=1e-4)
    # Same direction: clipping by global norm only rescales.
    ratio = 0.05 / np.sqrt(sum((u**2).sum() for u in free))
    for c, f in zip(clipped, free, strict=True):
        np.testing.assert_allclose(c, f * ratio, atol=1e-6)


def test_norm_bounds_every_tensor(model_factory, dataset):
    clipped = _one_step_update(
        "custom", model_factory, dataset, GradientClipping("norm", 0.01)
    )
    assert all(np.linalg.norm(u) <= 0.01 * (1 + 1e-4) for u in clipped)


def test_value_bounds_every_element(model_factory, dataset):
    clipped = _one_step_update(
        "custom", model_factory, dataset, GradientClipping("value", 0.001)
    )
    assert max(np.abs(u).max() for u in clipped) == pytest.approx(0.001, rel=1e-4)


def test_both_loops_clip_the_same(model_factory, dataset):
    clipping = GradientClipping("value", 0.002)
    fit = _one_step_update("fit", model_factory, dataset, clipping)
    custom = _one_step_update("custom", model_factory, dataset, clipping)
    for a, b in zip(fit, custom, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_conflicting_optimizer_clipping_is_an_error(model_factory):
    model = model_factory(optimizer=keras.optimizers.SGD(0.1, clipnorm=1.0))
    with pytest.raises(
        ConfigError, match=r"conflicts with the optimizer's own clipping"
    ):
        tfs.Trainer(model, clipping=GradientClipping("value", 0.5))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            ("norms", 1.0),
            ConfigError,
            r"`by` must be one of 'value', 'norm', 'global_norm'",
        ),
        (("norm", 0.0), ConfigError, r"`threshold` must be in \(0.0, inf\)"),
        (("norm", "1"), TypeError, r"`threshold` must be a number"),
    ],
)
def test_gradient_clipping_is_validated(args, error, match):
    with pytest.raises(error, match=match):
        GradientClipping(*args)
