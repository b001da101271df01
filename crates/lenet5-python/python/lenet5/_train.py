"""``lenet5.train``: the engine's deterministic training loop, from Python."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Optional, Union

from . import _lenet5
from ._data import Mnist
from ._model import Model
from ._results import EpochMetrics

PathLike = Union[str, "os.PathLike[str]"]


def train(
    data: Optional[Union[PathLike, Mnist]] = None,
    *,
    preset: Optional[str] = None,
    arch: Optional[str] = None,
    optim: Optional[str] = None,
    schedule: Optional[str] = None,
    epochs: Optional[int] = None,
    batch: Optional[int] = None,
    lr: Optional[float] = None,
    momentum: Optional[float] = None,
    weight_decay: Optional[float] = None,
    augment: Optional[str] = None,
    seed: Optional[int] = None,
    limit: Optional[int] = None,
    threads: Optional[int] = None,
    out: Optional[PathLike] = None,
    on_epoch: Optional[Callable[[EpochMetrics], Any]] = None,
) -> Model:
    """Trains a LeNet-5 and returns it.

    The options are ``lenet5 train``'s flags, with the same defaults and the same
    results: the same options give the same weights, byte for byte, as the command
    (whatever ``threads``). An option left at None takes its default from the preset
    or the architecture (``lenet5.PRESETS`` lists the presets).

    - ``data``: the MNIST folder (default ``$LENET5_DATA``, else ``./data/mnist``), or
      the ``Mnist`` arrays ``load_mnist`` returns (uint8 images, labels 0-9; any
      subset of them).
    - ``preset``: ``"paper"``, ``"paper-distorted"``, ``"classic-best"``,
      ``"modern"``, ``"modern-best"``, ``"modern-reader"`` (MNIST plus the pieces of
      synthetic strings, bad cuts as "not a digit": the bundled reader).
    - ``arch``: ``"classic"`` (default) or ``"modern"``; ``optim``: ``"sdlm"``,
      ``"sgd"``, ``"adam"``; ``schedule``: ``"const"``, ``"paper"``, ``"cosine"``;
      ``augment``: ``"none"``, ``"affine"``, ``"elastic"``.
    - ``epochs``, ``batch`` (images per update), ``lr``, ``momentum``,
      ``weight_decay``, ``seed``; ``limit``: train on the first N images only.
    - ``threads``: worker threads (default: all cores, or ``RAYON_NUM_THREADS``).
    - ``out``: write the checkpoint and ``<out>.metrics.jsonl`` after every epoch,
      as ``lenet5 train --out`` does.
    - ``on_epoch``: called after every epoch with its ``EpochMetrics`` (for live
      plots). If it raises, training stops and the exception propagates.

    The GIL is released while the engine trains (other Python threads run), and taken
    back between steps to see Ctrl-C / a notebook's interrupt (raised as
    ``KeyboardInterrupt``; with ``out`` the last finished epoch stays saved).

    Raises ``ValueError`` for unknown names or impossible combinations (the engine's
    message, e.g. ``--optim sdlm needs --arch classic``) and ``lenet5.Lenet5Error``
    when the data cannot be found or read.
    """
    native_data: Any = data  # the folder as str, the arrays as a plain tuple
    if isinstance(data, Mnist):
        native_data = tuple(data)
    elif isinstance(data, (str, os.PathLike)):
        native_data = os.fspath(data)
    callback = None
    if on_epoch is not None:
        if not callable(on_epoch):
            raise TypeError("on_epoch must be callable (it is given each epoch's metrics)")

        def callback(d: Mapping[str, Any]) -> None:
            on_epoch(EpochMetrics._from_native(d))

    engine = _lenet5.train(
        native_data,
        preset=preset,
        arch=arch,
        optim=optim,
        schedule=schedule,
        epochs=epochs,
        batch=batch,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        augment=augment,
        seed=seed,
        limit=limit,
        threads=threads,
        out=None if out is None else os.fspath(out),
        on_epoch=callback,
    )
    return Model(engine)
