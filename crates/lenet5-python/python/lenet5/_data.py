"""``lenet5.load_mnist``: MNIST's four IDX files as numpy arrays."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional, Union

import numpy as np

from . import _lenet5


class Mnist(NamedTuple):
    """MNIST's two splits as numpy arrays (images white ink on black, like the files)."""

    train_images: np.ndarray
    """uint8 ``[60000, 28, 28]``."""
    train_labels: np.ndarray
    """uint8 ``[60000]``, digits 0-9."""
    test_images: np.ndarray
    """uint8 ``[10000, 28, 28]``."""
    test_labels: np.ndarray
    """uint8 ``[10000]``."""


def load_mnist(dir: Optional[Union[str, "os.PathLike[str]"]] = None) -> Mnist:
    """Loads MNIST (or a dataset in the same IDX format, such as Fashion-MNIST).

    ``dir``: the folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each raw or ``.gz``,
    hyphenated or dotted names). Default: ``$LENET5_DATA``, else ``./data/mnist`` — the
    folders the ``lenet5`` command reads (``lenet5 download`` fetches the files there).

    The files are validated (headers, sizes, labels 0-9): a missing folder or file or a
    corrupt file raises ``lenet5.Lenet5Error`` naming it.
    """
    (train_images, train_labels), (test_images, test_labels) = _lenet5.load_mnist(
        None if dir is None else os.fspath(dir)
    )
    return Mnist(train_images, train_labels, test_images, test_labels)
