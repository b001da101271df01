"""``lenet5.Model``: a trained LeNet-5 — load, save, predict, explain."""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Union

import numpy as np

from . import _lenet5, _pictures
from ._results import EpochMetrics, Predictions, Reading, Recognition

PathLike = Union[str, "os.PathLike[str]"]


class Model:
    """A trained LeNet-5: the paper's network (``"classic"``: scaled tanh, trainable
    subsampling, the C3 connection table, RBF output) or the modern one (``"modern"``:
    ReLU, max-pooling, softmax).

    Get one with ``Model.bundled``, ``Model.load`` or ``lenet5.train``. A model is
    immutable and safe to share between threads; every call that runs the network
    releases the GIL.

    Images follow MNIST's convention: 28x28 pixels, white ink on a black background,
    ``uint8`` 0-255 or ``float32`` 0.0-1.0.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: _lenet5.Engine) -> None:
        """Wraps the native engine; use ``bundled``, ``load`` or ``lenet5.train``."""
        if not isinstance(engine, _lenet5.Engine):
            raise TypeError("use Model.bundled(...), Model.load(path) or lenet5.train(...)")
        self._engine = engine

    # -- Getting and keeping a model ------------------------------------------------

    @classmethod
    def bundled(cls, arch: str = "classic") -> "Model":
        """The network that ships inside the package.

        ``"classic"``: the paper's LeNet-5 trained with ``lenet5 train --preset
        classic-best`` (0.66 % test error); ``"modern"``: ``--preset modern-best``;
        ``"reader"``: a modern network also trained on the pieces the number reader
        cuts (``--preset modern-reader``), what ``lenet5 read`` uses: the one to call
        ``read`` on. Raises ``ValueError`` for another name.
        """
        return cls(_lenet5.Engine.bundled(arch))

    @classmethod
    def load(cls, path: PathLike) -> "Model":
        """Loads a checkpoint written by ``lenet5 train``, ``lenet5.train(out=...)`` or
        ``Model.save``, verifying its checksum and shapes.

        Raises ``FileNotFoundError`` for a missing file and ``lenet5.Lenet5Error`` for a
        file that is not a valid checkpoint (the message names the file and the problem).
        """
        return cls(_lenet5.Engine.load(os.fspath(path)))

    def save(self, path: PathLike) -> None:
        """Writes the model as a checkpoint (safetensors, atomically), with its training
        configuration and history when it has them: the bytes ``lenet5 train`` writes
        for the same run. ``lenet5 predict --model PATH`` and ``Model.load`` read it."""
        self._engine.save(os.fspath(path))

    def to_bytes(self) -> bytes:
        """The checkpoint ``save`` would write, as bytes."""
        return self._engine.checkpoint_bytes()

    # -- What it is -----------------------------------------------------------------

    @property
    def arch(self) -> str:
        """``"classic"`` or ``"modern"``."""
        return self._engine.arch

    @property
    def epochs(self) -> int:
        """Epochs of training its checkpoint records (0 when it records none)."""
        return self._engine.epochs

    @property
    def config(self) -> Optional[dict[str, Any]]:
        """The training configuration it was made with (as stored in its checkpoint),
        or None."""
        text = self._engine.config_json()
        return None if text is None else json.loads(text)

    @property
    def history(self) -> list[EpochMetrics]:
        """The metrics of each training epoch. A model read from a file (or bundled)
        has 0 for ``seconds`` and ``images_per_sec``: checkpoints keep no timings."""
        return [EpochMetrics._from_native(d) for d in self._engine.history()]

    @property
    def rbf_centers(self) -> Optional[np.ndarray]:
        """The classic network's fixed RBF centres, float32 ``[10, 84]``: for each
        digit a 12-row by 7-column bitmap of -1/+1 that F6 is drawn towards (reshape a
        row to ``(12, 7)`` to see it). None for the modern network."""
        return self._engine.rbf_centers()

    def weights(self) -> dict[str, np.ndarray]:
        """Every parameter tensor by its checkpoint name and shape (``c1.weight``
        ``[6, 1, 5, 5]``, ``c1.bias`` ``[6]``, ...), as float32 copies."""
        return self._engine.weights()

    # -- Recognising digits ---------------------------------------------------------

    def predict(self, x: np.ndarray) -> Predictions:
        """Recognises a batch of MNIST-style images.

        ``x``: a numpy array of shape ``[N, 28, 28]``, white ink on black, either
        ``uint8`` (0-255; the same numbers the CLI computes for MNIST images) or
        ``float32`` in ``[0, 1]``. For one image pass ``x[None]``.

        Returns ``Predictions(digits, probabilities, outputs)``: uint8 ``[N]``, float32
        ``[N, 10]``, float32 ``[N, 10]``. Raises ``TypeError`` (not an array, another
        dtype) or ``ValueError`` (another shape, float pixels outside ``[0, 1]``).
        """
        return Predictions(*self._engine.predict(x))

    def predict_image(self, picture: _pictures.Picture) -> Recognition:
        """Recognises the digit in a picture of any size — a photo, a scan, a drawing,
        dark ink on light paper or the reverse — through the same preprocessing as
        ``lenet5 predict`` (it finds the ink, centres it and scales it to 28x28 like
        MNIST).

        ``picture``: a file path (PNG, JPEG, BMP, PGM), the bytes of such a file, a PIL
        image, or a uint8 numpy array ``[H, W]`` (grey), ``[H, W, 3]`` (RGB) or
        ``[H, W, 4]`` (RGBA). Raises ``FileNotFoundError`` for a missing file and
        ``lenet5.Lenet5Error`` for a file that is not a readable image.
        """
        return Recognition._from_native(self._engine.recognise(_pictures.load(picture)))

    def read(self, picture: _pictures.Picture) -> Reading:
        """Reads a line of handwritten digits ("2026", a phone number, an amount), as
        ``lenet5 read`` does: the ink is cut into candidate pieces, every piece is
        scored by the network, and the cheapest segmentation is found by Viterbi.

        ``picture``: as for ``predict_image`` (any size, either polarity). Returns a
        ``Reading``: ``text`` (``""`` when nothing was read), the string's
        ``confidence``, and each digit with its box in picture pixels. Use
        ``reading.accepted(threshold)`` to reject unsure readings.
        """
        return Reading._from_native(self._engine.read(_pictures.load(picture)))

    def activations(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's outputs for a batch ``[N, 28, 28]`` (as for ``predict``), for
        plotting: float32 arrays keyed by the paper's layer names.

        ``input`` ``[N, 32, 32]`` classic (the 28x28 image padded and normalised) or
        ``[N, 28, 28]`` modern; ``C1`` ``[N, 6, 28, 28]``; ``S2`` ``[N, 6, 14, 14]``;
        ``C3`` ``[N, 16, 10, 10]``; ``S4`` ``[N, 16, 5, 5]``; ``C5`` ``[N, 120]``;
        ``F6`` ``[N, 84]``; ``output`` ``[N, 10]``: the RBF distances (classic) or
        logits (modern).
        """
        return self._engine.activations(x)

    def __repr__(self) -> str:
        h = self.history
        trained = f", {self.epochs} epoch{'s' if self.epochs > 1 else ''}" if self.epochs else ""
        if h:
            trained += f", test error {100 * (1 - h[-1].test_acc):.2f} %"
        return f"Model(arch={self.arch!r}{trained})"
