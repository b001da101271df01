"""LeNet-5 in plain numpy, the way the exercise this project grew from wrote it.

The exercise (a course assignment: "Python only, no PyTorch or TensorFlow", in
Anaconda + Jupyter + numpy) trained this network with im2col convolutions: each
convolution becomes one matrix product of the unrolled 5x5 patches with the kernels.
Its layers, as there: conv 6@5x5 (padding 2) + ReLU, 2x2 max-pool, conv 16@5x5 + ReLU,
2x2 max-pool, fully connected 400-120-84-10 with ReLU, softmax cross-entropy,
mini-batches of 64. This compact version keeps that design and vectorises the
unrolling (``sliding_window_view`` instead of the exercise's loop over output
positions), in float32, with SGD + momentum: it is a fair, fast numpy baseline, the
one ``examples/lenet5.ipynb`` and ``docs/python.md`` time against ``lenet5.train``.

Run it for one timed epoch on MNIST:

    python examples/numpy_lenet5.py [--images N] [--data DIR]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def im2col(x: np.ndarray, k: int) -> np.ndarray:
    """``[N, C, H, W]`` → the k x k patches as rows: ``[N·Ho·Wo, C·k·k]``."""
    n, c = x.shape[:2]
    patches = sliding_window_view(x, (k, k), axis=(2, 3))  # [N, C, Ho, Wo, k, k]
    return patches.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * k * k)


def col2im(dcol: np.ndarray, shape: tuple[int, ...], k: int) -> np.ndarray:
    """The gradient of ``im2col``: patch gradients summed back onto ``[N, C, H, W]``."""
    n, c, h, w = shape
    ho, wo = h - k + 1, w - k + 1
    d = dcol.reshape(n, ho, wo, c, k, k)
    dx = np.zeros(shape, dtype=dcol.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, :, i : i + ho, j : j + wo] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx


class Conv:
    """A k x k convolution (stride 1) as one matrix product on im2col patches."""

    def __init__(self, rng: np.random.Generator, cin: int, cout: int, k: int = 5, pad: int = 0):
        fan_in = cin * k * k
        self.w = (rng.standard_normal((fan_in, cout)) * np.sqrt(2 / fan_in)).astype(np.float32)
        self.b = np.zeros(cout, np.float32)
        self.k, self.pad, self.cout = k, pad, cout

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.pad:
            p = self.pad
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.shape = x.shape
        n, _, h, w = x.shape
        ho, wo = h - self.k + 1, w - self.k + 1
        self.col = im2col(x, self.k)
        y = self.col @ self.w + self.b
        return y.reshape(n, ho, wo, self.cout).transpose(0, 3, 1, 2)

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        d = dy.transpose(0, 2, 3, 1).reshape(-1, self.cout)
        self.dw = self.col.T @ d
        self.db = d.sum(axis=0)
        if not need_dx:
            return None
        dx = col2im(d @ self.w.T, self.shape, self.k)
        if self.pad:
            p = self.pad
            dx = dx[:, :, p:-p, p:-p]
        return dx


class Dense:
    """A fully connected layer."""

    def __init__(self, rng: np.random.Generator, nin: int, nout: int):
        self.w = (rng.standard_normal((nin, nout)) * np.sqrt(2 / nin)).astype(np.float32)
        self.b = np.zeros(nout, np.float32)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.w + self.b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.dw = self.x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.w.T


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def maxpool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max-pooling; returns the output and the mask of the maxima (for backward)."""
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = blocks.max(axis=(3, 5))
    mask = blocks == y[:, :, :, None, :, None]
    return y, mask


def maxpool_back(dy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    n, c, h2, _, w2, _ = mask.shape
    return (mask * dy[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)


class NumpyLeNet5:
    """The exercise's LeNet-5, trained by SGD with momentum on mini-batches."""

    def __init__(self, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.c1 = Conv(rng, 1, 6, pad=2)
        self.c3 = Conv(rng, 6, 16)
        self.f5 = Dense(rng, 400, 120)
        self.f6 = Dense(rng, 120, 84)
        self.out = Dense(rng, 84, 10)
        self.layers = [self.c1, self.c3, self.f5, self.f6, self.out]
        self.velocity = [(np.zeros_like(l.w), np.zeros_like(l.b)) for l in self.layers]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``[N, 10]`` for images ``[N, 1, 28, 28]`` in [0, 1]."""
        self.a1 = relu(self.c1.forward(x))
        s2, self.m2 = maxpool(self.a1)
        self.a3 = relu(self.c3.forward(s2))
        s4, self.m4 = maxpool(self.a3)
        self.a5 = relu(self.f5.forward(s4.reshape(len(x), -1)))
        self.a6 = relu(self.f6.forward(self.a5))
        return self.out.forward(self.a6)

    def backward(self, dlogits: np.ndarray) -> None:
        d = self.out.backward(dlogits)
        d = self.f6.backward(d * (self.a6 > 0))
        d = self.f5.backward(d * (self.a5 > 0))
        d = maxpool_back(d.reshape(-1, 16, 5, 5), self.m4)
        d = self.c3.backward(d * (self.a3 > 0))
        d = maxpool_back(d, self.m2)
        self.c1.backward(d * (self.a1 > 0), need_dx=False)

    def step(self, lr: float, momentum: float) -> None:
        for layer, (vw, vb) in zip(self.layers, self.velocity):
            vw *= momentum
            vw -= lr * layer.dw
            vb *= momentum
            vb -= lr * layer.db
            layer.w += vw
            layer.b += vb

    def train_epoch(self, images, labels, batch=64, lr=0.05, momentum=0.9, seed=1):
        """One pass over ``images`` (uint8 ``[N, 28, 28]``) in shuffled mini-batches;
        returns the mean training loss."""
        order = np.random.default_rng(seed).permutation(len(images))
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            x = images[idx, None].astype(np.float32) / 255
            logits = self.forward(x)
            z = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            y = labels[idx]
            total += float(-np.log(p[np.arange(len(idx)), y] + 1e-12).sum())
            p[np.arange(len(idx)), y] -= 1
            self.backward(p / len(idx))
            self.step(lr, momentum)
        return total / len(order)

    def predict(self, images: np.ndarray, batch: int = 500) -> np.ndarray:
        """Digits for uint8 images ``[N, 28, 28]``."""
        out = [
            self.forward(images[i : i + batch, None].astype(np.float32) / 255).argmax(axis=1)
            for i in range(0, len(images), batch)
        ]
        return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=60000, help="training images (default: all)")
    ap.add_argument("--data", default=None, help="MNIST folder (default: $LENET5_DATA)")
    args = ap.parse_args()

    import lenet5  # only to read MNIST the same way

    mnist = lenet5.load_mnist(args.data)
    net = NumpyLeNet5()
    t0 = time.perf_counter()
    loss = net.train_epoch(mnist.train_images[: args.images], mnist.train_labels[: args.images])
    seconds = time.perf_counter() - t0
    acc = float((net.predict(mnist.test_images) == mnist.test_labels).mean())
    print(
        f"numpy LeNet-5, one epoch on {args.images} images: {seconds:.1f} s "
        f"({args.images / seconds:.0f} img/s), train loss {loss:.4f}, test accuracy {100 * acc:.2f} %"
    )


if __name__ == "__main__":
    main()
