"""How close an artifact's outputs must be to the in-memory model's, per format.

A check passes when

* ``max |artifact - model| <= atol + rtol * max |model|`` over the sample (the
  relative part scales with the range of the outputs, so a regression model
  predicting house prices is held to the same *relative* precision as a
  classifier predicting probabilities), and
* for classifiers, the fraction of samples whose predicted class agrees is at
  least ``min_agreement``.

The defaults in `DEFAULT_TOLERANCES` come from measurements on every model
configuration tfstarter builds (see the export guide), with a margin of about
5x: Keras files and SavedModels run the very same kernels and matched exactly;
ONNX Runtime runs its own kernels and differed by < 1e-6 (every registry
entry, and the MNIST CNN); TFLite float32 uses other kernels (XNNPACK) and
differed by < 1e-6; float16
weights carry ~3 significant digits (< 2e-3 measured); dynamic-range and
int8 quantization round weights (and, for int8, activations) to 8 bits
(< 3% of the output range measured on in-distribution inputs; inputs outside
the calibrated range are clipped and can exceed it).

The agreement floors of the quantized modes flag broken exports (wrong
calibration data, a layer quantized badly), not the expected flips of
near-ties: a sample whose two best classes are within a few quantization steps
may flip. A well-trained MNIST CNN keeps > 99% agreement in int8; a briefly
trained model with many unsure predictions can be as low as ~93%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from tfstarter.errors import ConfigError


@dataclass(frozen=True)
class Tolerance:
    """Allowed difference between an artifact's outputs and the model's.

    Args:
        atol: absolute tolerance on every output value.
        rtol: tolerance relative to the largest absolute model output on the
            sample.
        min_agreement: for classifiers, the smallest fraction of samples (0..1)
            whose predicted class must agree.

    Raises:
        ConfigError: if a value is negative, NaN, or ``min_agreement`` > 1.

    Example:
        >>> Tolerance(atol=1e-3, rtol=0.0, min_agreement=0.99).limit(max_abs_output=5.0)
        0.001
    """

    atol: float
    rtol: float
    min_agreement: float

    def __post_init__(self) -> None:
        for name in ("atol", "rtol", "min_agreement"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                raise ConfigError(
                    f"Tolerance `{name}` must be a number >= 0, got {value!r}."
                )
        if self.min_agreement > 1:
            raise ConfigError(
                f"Tolerance `min_agreement` is a fraction of samples in [0, 1], "
                f"got {self.min_agreement!r}; pass e.g. 0.99 for 99%."
            )

    def limit(self, *, max_abs_output: float) -> float:
        """Return the largest allowed absolute difference for outputs of this range.

        Example:
            >>> Tolerance(atol=0.5, rtol=0.25, min_agreement=0.9).limit(
            ...     max_abs_output=4.0
            ... )
            1.5
        """
        return self.atol + self.rtol * max_abs_output


DEFAULT_TOLERANCES = MappingProxyType(
    {
        "h5": Tolerance(atol=1e-5, rtol=1e-5, min_agreement=1.0),
        "keras": Tolerance(atol=1e-5, rtol=1e-5, min_agreement=1.0),
        "saved_model": Tolerance(atol=1e-5, rtol=1e-5, min_agreement=1.0),
        "onnx": Tolerance(atol=1e-5, rtol=1e-5, min_agreement=1.0),
        "tflite": Tolerance(atol=1e-4, rtol=1e-4, min_agreement=0.99),
        "tflite-float16": Tolerance(atol=5e-3, rtol=5e-3, min_agreement=0.98),
        "tflite-dynamic": Tolerance(atol=2e-2, rtol=5e-2, min_agreement=0.95),
        "tflite-int8": Tolerance(atol=2e-2, rtol=1e-1, min_agreement=0.90),
    }
)
"""The default `Tolerance` of each format, keyed by ``format[-quantize]``.

| key | atol | rtol | min agreement |
|---|---|---|---|
| `h5`, `keras`, `saved_model`, `onnx` | 1e-5 | 1e-5 | 100% |
| `tflite` (float32) | 1e-4 | 1e-4 | 99% |
| `tflite-float16` | 5e-3 | 5e-3 | 98% |
| `tflite-dynamic` | 2e-2 | 5e-2 | 95% |
| `tflite-int8` | 2e-2 | 1e-1 | 90% |
"""
