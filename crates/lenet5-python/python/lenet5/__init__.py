"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) for Python and Jupyter.

The ``lenet5`` engine — written from scratch in Rust, no deep-learning framework
inside — as a Python package, numpy in and out:

>>> import lenet5
>>> mnist = lenet5.load_mnist()                      # $LENET5_DATA or ./data/mnist
>>> model = lenet5.Model.bundled("classic")          # the paper's network, trained
>>> digits, probabilities, _ = model.predict(mnist.test_images[:10])
>>> model.predict_image("seven.png").digit            # any picture of one digit
>>> model.read("number.png").text                    # a line of digits: "2026"
>>> model = lenet5.train(arch="modern", epochs=1, on_epoch=print)

Results are bit-identical to the ``lenet5`` command's: the same options train the
same weights, byte for byte.
"""

from ._data import Mnist, load_mnist
from ._lenet5 import LOW_CONFIDENCE, PRESETS, Lenet5Error, __version__
from ._model import Model
from ._results import EpochMetrics, Predictions, ReadDigit, Reading, Recognition
from ._train import train

__all__ = [
    "LOW_CONFIDENCE",
    "PRESETS",
    "EpochMetrics",
    "Lenet5Error",
    "Mnist",
    "Model",
    "Predictions",
    "ReadDigit",
    "Reading",
    "Recognition",
    "__version__",
    "load_mnist",
    "train",
]
