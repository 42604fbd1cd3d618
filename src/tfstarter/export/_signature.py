"""The input and output a model serves with, and the function that serves it.

SavedModel and TFLite artifacts serve one signature, `SERVING_SIGNATURE`, with
one input named `INPUT_NAME` and one output named `OUTPUT_NAME`, whatever the
Keras layers are called: names that depend on layer naming counters (e.g.
``keras_tensor_12``) would change between two exports of the same model. The
batch dimension is always ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfstarter._checks import check_model
from tfstarter.errors import ExportError
from tfstarter.export._formats import INPUT_NAME, OUTPUT_NAME


@dataclass(frozen=True)
class IOSpec:
    """Shape (batch dimension first, ``None``) and dtype of a model's input and output.

    Example:
        >>> IOSpec((None, 4), "float32", (None, 1), "float32").sample_shape
        (4,)
    """

    input_shape: tuple[int | None, ...]
    input_dtype: str
    output_shape: tuple[int | None, ...]
    output_dtype: str

    @property
    def sample_shape(self) -> tuple[int | None, ...]:
        """The input shape of one sample (without the batch dimension)."""
        return self.input_shape[1:]

    def to_dict(self) -> dict[str, Any]:
        """Return the signature as JSON-ready data, with the served names.

        Example:
            >>> IOSpec((None, 4), "float32", (None, 1), "float32").to_dict()["inputs"]
            {'name': 'inputs', 'shape': [None, 4], 'dtype': 'float32'}
        """
        return {
            "inputs": {
                "name": INPUT_NAME,
                "shape": list(self.input_shape),
                "dtype": self.input_dtype,
            },
            "outputs": {
                "name": OUTPUT_NAME,
                "shape": list(self.output_shape),
                "dtype": self.output_dtype,
            },
        }


def check_built(model: object, *, name: str = "model") -> Any:
    """Return ``model`` if it is a built `keras.Model`, else raise.

    An unbuilt model has no weights yet: Keras would save its architecture
    alone, and the file would load as a model with fresh random weights.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        ExportError: if it is not built; the message names the model and says
            how to build it.

    Example:
        >>> import keras
        >>> check_built(keras.Sequential([keras.layers.Dense(1)], name="net"))
        Traceback (most recent call last):
        ...
        tfstarter.errors.ExportError: model 'net' is not built: it has no weights yet...
    """
    checked = check_model(model, name=name)
    if not getattr(checked, "built", False):
        raise ExportError(
            f"model {checked.name!r} is not built: it has no weights yet (no "
            f"input shape was given and it was never called on data), so the "
            f"export would hold no weights. Build it before exporting: start it "
            f"with keras.Input(shape), call model.build((None, *shape)), or train "
            f"it; or use a tfstarter.models builder, whose models are built."
        )
    return checked


def _shape(tensor: Any) -> tuple[int | None, ...]:
    return tuple(None if dim is None else int(dim) for dim in tensor.shape)


def io_spec(model: Any) -> IOSpec:
    """Return the single input and output of ``model``, batch dimension ``None``.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        ExportError: if the model has no known input shape, or more than one
            input or output.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> io_spec(model)
        IOSpec(input_shape=(None, 3), input_dtype='float32', output_shape=(None, 2), output_dtype='float32')
    """  # noqa: E501
    check_built(model)
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs, outputs = None, None
    if not inputs or not outputs:
        raise ExportError(
            f"model {model.name!r} has no known input shape (it was never built "
            f"on a keras.Input). Build it with an input, e.g. "
            f"keras.Sequential([keras.Input(shape), ...]) or a tfstarter.models "
            f"builder, before exporting."
        )
    if len(inputs) != 1 or len(outputs) != 1:
        raise ExportError(
            f"model {model.name!r} has {len(inputs)} inputs and {len(outputs)} "
            f"outputs; SavedModel/TFLite export, verify() and load() serve models "
            f"with exactly one input and one output. Save such a model with "
            f"tfstarter.export.keras() and load it with keras.models.load_model."
        )
    input_shape = (None, *_shape(inputs[0])[1:])
    output_shape = (None, *_shape(outputs[0])[1:])
    return IOSpec(
        input_shape=input_shape,
        input_dtype=str(inputs[0].dtype),
        output_shape=output_shape,
        output_dtype=str(outputs[0].dtype),
    )


def serving_function(model: Any, spec: IOSpec) -> Any:
    """Return a `tf.function` serving ``model`` under the stable names.

    It takes one tensor named `INPUT_NAME` (batch dimension ``None``) and
    returns ``{OUTPUT_NAME: model(inputs, training=False)}``.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> fn = serving_function(model, io_spec(model))
        >>> fn(np.zeros((4, 3), "float32"))["outputs"].shape
        TensorShape([4, 2])
    """
    import tensorflow as tf

    signature = [tf.TensorSpec(spec.input_shape, spec.input_dtype, name=INPUT_NAME)]

    @tf.function(input_signature=signature)  # type: ignore[untyped-decorator]
    def serve(inputs: Any) -> dict[str, Any]:
        return {OUTPUT_NAME: model(inputs, training=False)}

    return serve
