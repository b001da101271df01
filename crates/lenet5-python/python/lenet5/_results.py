"""What the engine returns, as plain Python types holding numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional

import numpy as np


class Predictions(NamedTuple):
    """The network's answers for a batch of N images (``Model.predict``).

    Unpack it (``digits, probabilities, outputs = model.predict(x)``) or use the fields.
    """

    digits: np.ndarray
    """uint8 ``[N]``: the recognised digit of each image."""
    probabilities: np.ndarray
    """float32 ``[N, 10]``: class probabilities, each row summing to 1 (softmax of the
    logits, modern; of the negated RBF distances, classic)."""
    outputs: np.ndarray
    """float32 ``[N, 10]``: the raw outputs: RBF distances (classic, smaller is closer)
    or logits (modern)."""


@dataclass(frozen=True)
class Recognition:
    """What the network made of one picture (``Model.predict_image``), as
    ``lenet5 predict --json`` reports it."""

    digit: Optional[int]
    """The recognised digit, or None when the picture is blank (no ink found)."""
    confidence: float
    """The probability of ``digit`` (meaningless when blank)."""
    probabilities: np.ndarray
    """float32 ``[10]``: class probabilities."""
    outputs: np.ndarray
    """float32 ``[10]``: RBF distances (classic) or logits (modern)."""
    low_confidence: bool
    """The best probability is under ``lenet5.LOW_CONFIDENCE`` (and the picture is not blank)."""
    blank: bool
    """No ink was found: there is no digit to recognise."""
    inverted: bool
    """The picture was dark ink on a light background and was inverted."""
    input: np.ndarray
    """uint8 ``[28, 28]``: the MNIST-style image the network saw (white ink on black)."""

    @staticmethod
    def _from_native(d: Mapping[str, Any]) -> "Recognition":
        return Recognition(**d)

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The ``k`` likeliest digits with their probabilities, best first."""
        order = sorted(range(10), key=lambda d: (-float(self.probabilities[d]), d))
        return [(d, float(self.probabilities[d])) for d in order[:k]]


@dataclass(frozen=True)
class ReadDigit:
    """One digit of a ``Reading``."""

    digit: int
    """The digit read."""
    confidence: float
    """Its probability."""
    runner_up: tuple[int, float]
    """The second likeliest digit and its probability."""
    probabilities: np.ndarray
    """float32 ``[10]``: class probabilities of the piece."""
    box: tuple[int, int, int, int]
    """``(x, y, width, height)`` of the piece in picture pixels."""


@dataclass(frozen=True)
class Reading:
    """A line of digits read in a picture (``Model.read``), as ``lenet5 read --json``
    reports it."""

    text: str
    """The digits read, left to right; ``""`` when nothing was read."""
    confidence: float
    """The string's confidence in ``[0, 1]`` (0 when nothing was read)."""
    digits: list[ReadDigit]
    """Each digit, left to right."""
    blank: bool
    """No ink was found."""
    inverted: bool
    """The picture was dark ink on a light background and was inverted."""
    note: Optional[str]
    """Why nothing was read, when the picture has ink but is not a line of digits."""

    @staticmethod
    def _from_native(d: Mapping[str, Any]) -> "Reading":
        fields = dict(d)
        fields["digits"] = [ReadDigit(**g) for g in d["digits"]]
        return Reading(**fields)

    def accepted(self, threshold: float) -> bool:
        """Something was read with a confidence of at least ``threshold`` (the CLI's
        ``--reject T``)."""
        return self.text != "" and self.confidence >= threshold


class EpochMetrics(NamedTuple):
    """What one epoch of training measured (``train(on_epoch=...)``, ``Model.history``)."""

    epoch: int
    """1-based epoch number."""
    lr: float
    """The learning rate at the start of the epoch."""
    train_loss: float
    """Mean training loss over the epoch, measured on the fly."""
    train_acc: float
    """Training accuracy over the epoch (0-1), measured on the fly."""
    test_loss: float
    """Mean loss on the test set after the epoch."""
    test_acc: float
    """Accuracy on the test set after the epoch (0-1)."""
    test_errors: int
    """Misclassified test images."""
    seconds: float
    """Training time of the epoch (0 when read back from a checkpoint)."""
    images_per_sec: float
    """Training speed (0 when read back from a checkpoint)."""

    @staticmethod
    def _from_native(d: Mapping[str, Any]) -> "EpochMetrics":
        return EpochMetrics(**d)
