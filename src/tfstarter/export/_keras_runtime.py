"""Load ``.h5`` / ``.keras`` files with Keras, safely, and predict with them."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import CorruptFileError, UnsafeModelError
from tfstarter.export._formats import OUTPUT_NAME, Format
from tfstarter.export._predictor import Predictor
from tfstarter.export._signature import io_spec, serving_function


def _check_container(path: Path, fmt: Format) -> None:
    """Open the container first: Keras reports a truncated ``.keras`` as "not found"."""
    if fmt == "keras":
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise CorruptFileError(
                f"{path} is not a complete .keras (zip) file ({err}). It is "
                f"truncated or corrupt: export it again."
            ) from err
        if bad is not None or "config.json" not in names:
            problem = f"its member {bad} is corrupt" if bad else "it has no config.json"
            raise CorruptFileError(
                f"{path} is a zip file but not a valid .keras file: {problem}. "
                f"Export it again."
            )
    else:
        import h5py

        try:
            with h5py.File(path, "r") as handle:
                has_config = "model_config" in handle.attrs
        except OSError as err:
            raise CorruptFileError(
                f"{path} is not a complete HDF5 file ({err}). It is truncated or "
                f"corrupt: export it again."
            ) from err
        if not has_config:
            raise CorruptFileError(
                f"{path} is an HDF5 file without a model_config attribute: it holds "
                f"weights only, not a whole model. Save the model with "
                f"tfstarter.export.h5()."
            )


def load_keras_model(
    path: Path,
    fmt: Format,
    *,
    safe_mode: bool = True,
    compile: bool = True,
    unbuilt_optimizer: bool = False,
) -> Any:
    """Load a ``.h5`` or ``.keras`` file with `keras.models.load_model`.

    With ``unbuilt_optimizer`` (the model was compiled but never trained, so
    its optimizer holds no state), Keras' warning that it skips loading the
    optimizer's variables is silenced: there is nothing to load.

    Raises:
        UnsafeModelError: if the file would run code stored in it (e.g. a
            ``Lambda`` layer) and ``safe_mode`` is true.
        CorruptFileError: if the file is truncated, corrupt, or Keras cannot
            rebuild the model from it.

    Example:
        >>> load_keras_model(Path("model.keras"), "keras")  # doctest: +SKIP
        <Sequential name=sequential, built=True>
    """
    import keras

    _check_container(path, fmt)
    try:
        with warnings.catch_warnings():
            if unbuilt_optimizer:
                warnings.filterwarnings(
                    "ignore",
                    message="Skipping variable loading for optimizer",
                    category=UserWarning,
                )
            return keras.models.load_model(path, compile=compile, safe_mode=safe_mode)
    except ValueError as err:
        if "safe_mode" in str(err):
            raise UnsafeModelError(
                f"{path} holds Python code that would run when it is loaded (e.g. "
                f"a Lambda layer), which safe mode refuses. If you trust the file, "
                f"pass safe_mode=False. Keras said: {err}"
            ) from err
        raise CorruptFileError(
            f"Keras {keras.__version__} cannot load {path}: {err}"
        ) from err
    except (OSError, KeyError, TypeError) as err:
        raise CorruptFileError(
            f"Keras {keras.__version__} cannot load {path}: {err}"
        ) from err


def has_unbuilt_optimizer(model: Any) -> bool:
    """Return whether ``model`` is compiled with an optimizer that never ran.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> has_unbuilt_optimizer(model)
        True
    """
    optimizer = getattr(model, "optimizer", None)
    return optimizer is not None and not getattr(optimizer, "built", True)


class KerasPredictor(Predictor):
    """A ``.h5`` or ``.keras`` file loaded with Keras, served by a compiled function.

    Predictions run through one `tf.function` traced for any batch size
    (batch dimension ``None``), as a SavedModel would: an eager ``model(x)``
    call costs milliseconds of Python overhead per batch.

    Attributes:
        model: the loaded `keras.Model`.

    Example:
        >>> KerasPredictor(Path("model.h5"), "h5")  # doctest: +SKIP
        KerasPredictor(format='h5', input_shape=(None, 4), path='model.h5')
    """

    def __init__(
        self,
        path: Path,
        fmt: Format,
        *,
        safe_mode: bool = True,
        compile: bool = False,
        unbuilt_optimizer: bool = False,
    ) -> None:
        self.model = load_keras_model(
            path,
            fmt,
            safe_mode=safe_mode,
            compile=compile,
            unbuilt_optimizer=unbuilt_optimizer,
        )
        spec = io_spec(self.model)
        super().__init__(path=path, fmt=fmt, spec=spec, quantize=None)
        self._serve = serving_function(self.model, spec)

    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.asarray(self._serve(batch)[OUTPUT_NAME])
