"""A stand-in for TensorFlow Serving's REST and gRPC predict APIs, for the tests.

The real server (``tensorflow_model_server``, or the ``tensorflow/serving``
container) is not installable from PyPI, so the tests that run the export
guide's ``curl`` and gRPC commands serve the SavedModel with this stand-in
instead. It does what TensorFlow Serving's documentation says the server does
for one model, and nothing more:

* loads the highest numbered version under the model's base folder with
  ``tf.saved_model.load`` and first runs every warm-up record of
  ``assets.extra/tf_serving_warmup_requests`` (parsed with the
  ``tensorflow-serving-api`` protos) through its signature;
* REST: ``POST /v1/models/<name>[/versions/<v>]:predict`` with the row format
  (``{"instances": [...]}`` -> ``{"predictions": [...]}``) or the columnar
  format (``{"inputs": ...}`` -> ``{"outputs": ...}``), errors as
  ``{"error": "..."}``;
* gRPC: ``tensorflow.serving.PredictionService/Predict`` with
  ``PredictRequest`` / ``PredictResponse``.

It never imports tfstarter.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
)

_PREDICT_PATH = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+))?:predict$")


class ServedModel:
    """The highest version of a SavedModel base folder, warmed up."""

    def __init__(self, base: Path, name: str) -> None:
        versions = [p for p in base.iterdir() if p.name.isdigit()]
        self.version_dir = max(versions, key=lambda p: int(p.name))
        self.version = int(self.version_dir.name)
        self.name = name
        self.loaded = tf.saved_model.load(str(self.version_dir))
        self.warmup_records = self._warm_up()

    def _warm_up(self) -> int:
        path = self.version_dir / "assets.extra" / "tf_serving_warmup_requests"
        if not path.exists():
            return 0
        count = 0
        for record in tf.data.TFRecordDataset(str(path)):
            log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            request = log.predict_log.request
            inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
            self.run(request.model_spec.signature_name or "serving_default", inputs)
            count += 1
        if count > 1000:
            raise ValueError("TensorFlow Serving reads at most 1000 warm-up records")
        return count

    def run(self, signature_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        signature = self.loaded.signatures[signature_name]
        _, specs = signature.structured_input_signature
        tensors = {
            key: tf.constant(np.asarray(value, dtype=specs[key].dtype.as_numpy_dtype))
            for key, value in inputs.items()
        }
        return {key: value.numpy() for key, value in signature(**tensors).items()}

    def input_names(self, signature_name: str) -> list[str]:
        _, specs = self.loaded.signatures[signature_name].structured_input_signature
        return list(specs)


def _rest_handler(model: ServedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            match = _PREDICT_PATH.match(self.path)
            if not match or match.group(1) != model.name:
                self._reply(404, {"error": f"Servable not found for {self.path}"})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            signature = body.get("signature_name", "serving_default")
            names = model.input_names(signature)
            if "instances" in body:
                rows = body["instances"]
                if isinstance(rows[0], dict):
                    inputs = {k: [row[k] for row in rows] for k in names}
                else:
                    inputs = {names[0]: rows}
                outputs = model.run(signature, inputs)
                values = (
                    next(iter(outputs.values())).tolist()
                    if len(outputs) == 1
                    else [
                        {k: v[i].tolist() for k, v in outputs.items()}
                        for i in range(len(rows))
                    ]
                )
                self._reply(200, {"predictions": values})
            elif "inputs" in body:
                given = body["inputs"]
                inputs = given if isinstance(given, dict) else {names[0]: given}
                outputs = model.run(signature, inputs)
                value = (
                    next(iter(outputs.values())).tolist()
                    if len(outputs) == 1
                    else {k: v.tolist() for k, v in outputs.items()}
                )
                self._reply(200, {"outputs": value})
            else:
                self._reply(400, {"error": "Missing 'instances' or 'inputs' key"})

    return Handler


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):  # type: ignore[misc]
    def __init__(self, model: ServedModel) -> None:
        self.model = model

    def Predict(  # noqa: N802
        self, request: Any, context: grpc.ServicerContext
    ) -> Any:
        if request.model_spec.name != self.model.name:
            context.abort(grpc.StatusCode.NOT_FOUND, "Servable not found")
        signature = request.model_spec.signature_name or "serving_default"
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        outputs = self.model.run(signature, inputs)
        response = predict_pb2.PredictResponse()
        response.model_spec.name = self.model.name
        response.model_spec.signature_name = signature
        response.model_spec.version.value = self.model.version
        for key, value in outputs.items():
            response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
        return response


class StandIn:
    """REST on ``rest_port`` and gRPC on ``grpc_port`` for one model, in threads."""

    def __init__(
        self, base: Path, name: str, *, rest_port: int = 8501, grpc_port: int = 8500
    ) -> None:
        self.model = ServedModel(base, name)
        self._http = ThreadingHTTPServer(
            ("127.0.0.1", rest_port), _rest_handler(self.model)
        )
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            _PredictionService(self.model), self._grpc
        )
        if self._grpc.add_insecure_port(f"127.0.0.1:{grpc_port}") == 0:
            self._http.server_close()
            raise OSError(f"port {grpc_port} is taken")
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self._grpc.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._grpc.stop(grace=None)
