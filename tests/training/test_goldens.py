"""Every model tfstarter builds trains the same in both loops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.models._goldens import GOLDENS

# Every golden model trained in both loops: a long suite, its own step of .ci/run.
pytestmark = pytest.mark.extended


@pytest.mark.slow
@pytest.mark.parametrize("golden", GOLDENS, ids=lambda golden: golden.name)
def test_golden_models_train_alike_in_both_loops(golden):
    x, y = golden.sample_inputs(48, seed=1), golden.sample_targets(48, seed=1)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    results = {}
    for loop in ("fit", "custom"):
        model = golden.build()
        trainer = tfs.Trainer(model, loop)
        history = trainer.fit(dataset, epochs=2, validation_data=dataset, verbose=0)
        results[loop] = (model.get_weights(), history.history)
        assert trainer.trace_counts["train"] == 1
    weights_fit, history_fit = results["fit"]
    weights_custom, history_custom = results["custom"]
    for a, b in zip(weights_fit, weights_custom, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    assert history_fit.keys() == history_custom.keys()
    for key, values in history_fit.items():
        np.testing.assert_allclose(history_custom[key], values, rtol=1e-5, atol=1e-6)
