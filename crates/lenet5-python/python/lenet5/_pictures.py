"""A picture, however it is given, turned into the engine's ``Picture``.

Files and file bytes are decoded by the engine itself (PNG, JPEG, BMP, PGM, with the
EXIF orientation applied), exactly as ``lenet5 predict`` reads them. A PIL image or a
numpy array is sent as raw pixels in one of the layouts the engine takes (PIL's mode
names L, LA, RGB, RGBA and I;16); other PIL modes are converted first.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from . import _lenet5

if TYPE_CHECKING:
    from PIL.Image import Image

#: What ``Model.predict_image`` and ``Model.read`` accept: a path, file bytes, a numpy
#: array, a PIL image.
Picture = Union[str, "os.PathLike[str]", bytes, np.ndarray, "Image"]

_DIRECT_MODES = ("L", "LA", "RGB", "RGBA", "I;16")


def load(picture: Picture) -> _lenet5.Picture:
    """``picture`` decoded by the engine (see ``Model.predict_image``)."""
    if isinstance(picture, (str, os.PathLike)):
        return _lenet5.Picture.from_file(os.fspath(picture))
    if isinstance(picture, (bytes, bytearray, memoryview)):
        return _lenet5.Picture.from_bytes(bytes(picture), "<bytes>")
    if isinstance(picture, np.ndarray):
        return _from_array(picture)
    if _is_pil_image(picture):
        return _from_pil(picture)
    raise TypeError(
        "expected a picture: a file path, the bytes of an image file, a PIL image, "
        f"or a uint8 numpy array [H, W] / [H, W, 3] / [H, W, 4]; got {type(picture).__name__}"
    )


def _from_array(a: np.ndarray) -> _lenet5.Picture:
    if a.dtype != np.uint8:
        raise TypeError(
            f"a picture given as an array must be uint8 (0-255), got {a.dtype}; "
            "convert with a.astype(np.uint8)"
        )
    mode = None
    if a.ndim == 2:
        mode = "L"
    elif a.ndim == 3:
        mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(a.shape[2])
    if mode is None or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            "a picture given as an array has shape [H, W] (grey), [H, W, 3] (RGB) or "
            f"[H, W, 4] (RGBA), got {list(a.shape)}"
        )
    height, width = a.shape[:2]
    data = np.ascontiguousarray(a).tobytes()
    return _lenet5.Picture.from_pixels(mode, width, height, data)


def _is_pil_image(obj: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(obj, Image.Image)


def _from_pil(img: Any) -> _lenet5.Picture:
    if img.mode not in _DIRECT_MODES:
        if img.mode == "1":
            img = img.convert("L")
        elif "A" in img.mode or "transparency" in img.info:
            img = img.convert("RGBA")
        else:
            img = img.convert("RGB")
    width, height = img.size
    return _lenet5.Picture.from_pixels(img.mode, width, height, img.tobytes())
