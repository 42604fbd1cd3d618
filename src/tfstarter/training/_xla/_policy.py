"""`XlaPolicy`: what a Trainer compiles with XLA, decided in one place.

``jit_compile=True`` compiles the whole step in both loops; ``False`` nothing.
``"auto"`` and ``"autotune"`` compile the optimizer's weight update on its own
where that is safe (see `XlaUpdate`), and let the custom loop's `WholeStep`
decide on the whole step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfstarter.training import _compat
from tfstarter.training._compiled import Functions
from tfstarter.training._xla._status import XlaStatus
from tfstarter.training._xla._update import XlaUpdate, xla_update_unavailable
from tfstarter.training._xla._whole_step import WholeStep, pending_reason


class XlaPolicy:
    """Decides, for one Trainer, the XLA-compiled update and whole step.

    Args:
        model: the compiled model.
        jit_compile: the Trainer's ``jit_compile`` option.
        loop: ``"fit"`` or ``"custom"``.
        strategy: a `tf.distribute.Strategy`, or ``None``.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> XlaPolicy(model, False, "custom").status().reason
        'jit_compile=False'
    """

    def __init__(
        self, model: Any, jit_compile: bool | str, loop: str, strategy: Any = None
    ) -> None:
        self.model = model
        self.jit_compile = jit_compile
        self.loop = loop
        self.strategy = strategy
        self._last: WholeStep | None = None

    @property
    def whole_step_always(self) -> bool:
        """``jit_compile=True``: every step is XLA-compiled whole."""
        return self.jit_compile is True

    def update_unavailable(self) -> str | None:
        """Why the weight update is not XLA-compiled on its own (None: it is)."""
        if self.jit_compile not in ("auto", "autotune"):
            return f"jit_compile={self.jit_compile}"
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return "the model has no optimizer"
        return xla_update_unavailable(optimizer, self.strategy)

    def update(self) -> XlaUpdate | None:
        """The XLA-compiled weight update, where it is used (else ``None``)."""
        if self.update_unavailable() is not None:
            return None
        return XlaUpdate(self.model.optimizer)

    def whole_step_unavailable(self) -> str | None:
        """Why the custom loop will not consider whole-step XLA (None: it may)."""
        if self.jit_compile not in ("auto", "autotune"):
            return f"jit_compile={self.jit_compile}"
        if self.loop == "fit":
            return "whole-step XLA is only considered by the custom loop"
        if self.strategy is not None:
            return "the step runs under a tf.distribute strategy"
        return _compat.jit_unsupported_reason(self.model)

    def whole_step(
        self, plain: Functions, make_xla: Callable[[], Functions]
    ) -> WholeStep:
        """A `WholeStep` chooser for one set of the custom loop's train forms."""
        chooser = WholeStep(
            plain,
            make_xla,
            autotune=self.jit_compile == "autotune",
            refusal=self.whole_step_unavailable(),
            layers=_compat.layer_class_names(self.model),
            onednn=_compat.onednn_enabled(),
        )
        self._last = chooser
        return chooser

    def noted(self, chooser: WholeStep) -> None:
        """Report ``chooser`` in `status` (the one the last ``fit`` used)."""
        self._last = chooser

    def status(self) -> XlaStatus:
        """What is compiled with XLA, and why."""
        if self.jit_compile is True:
            return XlaStatus(True, True, True, "jit_compile=True")
        if self.jit_compile is False:
            return XlaStatus(False, False, True, "jit_compile=False")
        environment = _compat.xla_environment_reason()
        if environment is not None:
            return XlaStatus(False, False, True, f"no XLA: {environment}")
        update_reason = self.update_unavailable()
        update = update_reason is None
        words = (
            "the weight update is XLA-compiled on its own"
            if update
            else f"the weight update is not XLA-compiled: {update_reason}"
        )
        unavailable = self.whole_step_unavailable()
        if unavailable is not None:
            return XlaStatus(
                False, update, True, f"{words}; no whole-step XLA: {unavailable}"
            )
        chooser = self._last
        if chooser is None:
            reason = pending_reason(autotune=self.jit_compile == "autotune")
            return XlaStatus(False, update, False, f"{words}; whole-step XLA {reason}")
        whole = chooser.choice == "xla"
        verdict = {"xla": "chosen", "plain": "not used", "pending": "undecided"}
        return XlaStatus(
            whole,
            update or whole,
            chooser.choice != "pending",
            f"{words}; whole-step XLA {verdict[chooser.choice]}: {chooser.reason}",
            chooser.seconds_per_step,
        )
