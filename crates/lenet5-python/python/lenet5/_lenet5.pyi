"""Type stubs of ``lenet5._lenet5``, the native half of the package (Rust, PyO3).

The public API wraps it: ``lenet5.Model`` (``_model.py``), ``lenet5.train``
(``_train.py``), ``lenet5.load_mnist`` (``_data.py``). Every call that runs the engine
releases the GIL.
"""

from typing import Any, Callable, Mapping, Optional, Union, final

import numpy as np

__all__ = [
    "Engine",
    "LOW_CONFIDENCE",
    "Lenet5Error",
    "PRESETS",
    "Picture",
    "__version__",
    "load_mnist",
    "train",
]

__version__: str
LOW_CONFIDENCE: float
"""Predictions whose probability is below this are flagged ``low_confidence``."""
PRESETS: dict[str, str]
"""The named training recipes: name -> what it is."""

class Lenet5Error(Exception):
    """A data file, picture or checkpoint that lenet5 cannot use (corrupt, truncated,
    wrong format or shape), or a dataset that cannot be found."""

@final
class Engine:
    """A trained network and the checkpoint it came from."""

    @staticmethod
    def bundled(arch: str) -> Engine: ...
    @staticmethod
    def load(path: str) -> Engine: ...
    def save(self, path: str) -> None: ...
    def checkpoint_bytes(self) -> bytes: ...
    @property
    def arch(self) -> str: ...
    @property
    def epochs(self) -> int: ...
    def config_json(self) -> Optional[str]: ...
    def history(self) -> list[dict[str, Any]]: ...
    def rbf_centers(self) -> Optional[np.ndarray]: ...
    def weights(self) -> dict[str, np.ndarray]: ...
    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(digits uint8 [N], probabilities float32 [N, 10], outputs float32 [N, 10])."""
    def activations(self, x: np.ndarray) -> dict[str, np.ndarray]: ...
    def recognise(self, picture: Picture) -> dict[str, Any]: ...
    def read(self, picture: Picture) -> dict[str, Any]: ...

@final
class Picture:
    """A picture decoded by the engine, for ``Engine.recognise`` and ``Engine.read``."""

    @staticmethod
    def from_file(path: str) -> Picture: ...
    @staticmethod
    def from_bytes(data: bytes, name: str) -> Picture: ...
    @staticmethod
    def from_pixels(mode: str, width: int, height: int, data: bytes) -> Picture:
        """``mode``: L, LA, RGB, RGBA or I;16 (little-endian), rows top to bottom."""
    @property
    def size(self) -> tuple[int, int]: ...

def load_mnist(
    dir: Optional[str] = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((train_images, train_labels), (test_images, test_labels))."""
def train(
    data: Union[None, str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = None,
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
    out: Optional[str] = None,
    on_epoch: Optional[Callable[[Mapping[str, Any]], Any]] = None,
) -> Engine: ...
