"""One training run with backups, for the kill-and-resume tests.

Usage: python resume_run.py LOOP BACKUP_DIR KILL EVERY [MODEL]

- KILL: ``0`` (run to the end), ``kill:N`` (SIGKILL itself after N batches),
  ``term:N`` (SIGTERM itself after N batches).
- EVERY: ``epoch`` or a number of batches.
- MODEL: ``mlp`` (default) or ``wider`` (another model, for the mismatch test).

Prints ``DIGEST <sha256 of every weight and optimizer variable>`` and
``HISTORY <json>`` when training finishes. A small MLP with dropout on a
shuffled `tfs.data` pipeline, with EarlyStopping and ReduceLROnPlateau
attached: every kind of state a resume must put back.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import tfstarter as tfs

loop, backup_dir, kill, every_text = sys.argv[1:5]
kind = sys.argv[5] if len(sys.argv) > 5 else "mlp"
every: str | int = every_text if every_text == "epoch" else int(every_text)
mode, _, count = kill.partition(":")
kill_after = int(count) if count else 0

keras.utils.set_random_seed(5)
rng = np.random.default_rng(0)
x = rng.normal(size=(600, 20)).astype("float32")
y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1).astype("int64")
model = keras.Sequential(
    [
        keras.Input((20,)),
        keras.layers.Dense(32 if kind == "mlp" else 48, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
train = tfs.data.from_arrays(x[:500], y[:500], batch_size=32, shuffle=True, seed=3)
val = tfs.data.from_arrays(x[500:], y[500:], batch_size=50)


class Stopper(keras.callbacks.Callback):
    """Sends this process a signal once N batches ran.

    It listens to every batch (so the Trainer runs one step per call, in the
    reference run too); the kill then lands between two backups, and the
    resumed run has batches to train again.
    """

    batches = 0

    def on_train_batch_end(self, batch: int, logs: object = None) -> None:
        Stopper.batches += 1
        if kill_after and Stopper.batches >= kill_after:
            number = signal.SIGKILL if mode == "kill" else signal.SIGTERM
            Stopper.batches = -(10**9)  # once
            os.kill(os.getpid(), number)


callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5),
    Stopper(),
]
history = tfs.Trainer(model, loop).fit(
    train,
    validation_data=val,
    epochs=6,
    verbose=0,
    callbacks=callbacks,
    backup_dir=backup_dir,
    backup_every=every,
)
digest = hashlib.sha256()
for value in model.get_weights() + [v.numpy() for v in model.optimizer.variables]:
    digest.update(np.ascontiguousarray(value).tobytes())
print("DIGEST", digest.hexdigest())
print("HISTORY", json.dumps(history.history, sort_keys=True))
