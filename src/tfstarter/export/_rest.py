"""A ready TensorFlow Serving REST request, and the response the model must give.

TensorFlow Serving's REST API takes ``POST /v1/models/<name>:predict`` with a
JSON body. In the row format, ``{"signature_name": ..., "instances": [...]}``
holds one entry per sample (the input value itself when the signature has one
input), and the answer is ``{"predictions": [...]}``, one entry per sample
(the output value itself when the signature has one output). The bundle
writes such a request for a few real samples, the Keras model's answer to
it, and the same inputs as ``.npy`` for ``saved_model_cli run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.export._formats import SERVING_SIGNATURE

REQUEST_FILE = "request.json"
RESPONSE_FILE = "response.json"
REQUEST_INPUTS_FILE = "request.npy"
REQUEST_SAMPLES = 3
"""How many samples the bundle's ``request.json`` holds."""


def rest_request(x: npt.NDArray[Any]) -> dict[str, Any]:
    """Return the row-format REST predict request for the inputs ``x``.

    Example:
        >>> rest_request(np.array([[1.0, 2.0]], "float32"))
        {'signature_name': 'serving_default', 'instances': [[1.0, 2.0]]}
    """
    return {"signature_name": SERVING_SIGNATURE, "instances": x.tolist()}


def rest_response(outputs: npt.NDArray[Any]) -> dict[str, Any]:
    """Return the REST predict response TensorFlow Serving gives for ``outputs``.

    Example:
        >>> rest_response(np.array([[0.25, 0.75]], "float32"))
        {'predictions': [[0.25, 0.75]]}
    """
    return {"predictions": outputs.tolist()}


def write_rest_example(folder: Path, model: Any, x: npt.NDArray[Any]) -> dict[str, Any]:
    """Write ``request.json``, ``response.json`` and ``request.npy`` into ``folder``.

    The request holds the first `REQUEST_SAMPLES` samples of ``x``; the
    response is the in-memory model's output for them.

    Returns:
        The manifest's ``serving`` entry: the three file names and the number
        of samples.

    Example:
        >>> write_rest_example(Path("bundle"), model, x_test)  # doctest: +SKIP
        {'request': 'request.json', 'response': 'response.json', ...}
    """
    inputs = np.ascontiguousarray(x[:REQUEST_SAMPLES])
    outputs = np.asarray(model(inputs, training=False))
    (folder / REQUEST_FILE).write_text(json.dumps(rest_request(inputs)) + "\n")
    (folder / RESPONSE_FILE).write_text(json.dumps(rest_response(outputs)) + "\n")
    np.save(folder / REQUEST_INPUTS_FILE, inputs)
    return {
        "request": REQUEST_FILE,
        "response": RESPONSE_FILE,
        "inputs": REQUEST_INPUTS_FILE,
        "samples": int(inputs.shape[0]),
    }
