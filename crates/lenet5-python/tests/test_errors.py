"""Bad input is a Python exception with the engine's message, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import lenet5

classic = lenet5.Model.bundled("classic")


# -- Checkpoints ----------------------------------------------------------------------


def test_a_missing_checkpoint_is_file_not_found_naming_it(tmp_path):
    path = tmp_path / "nope.safetensors"
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        lenet5.Model.load(path)


def test_a_corrupt_checkpoint_is_a_lenet5_error_naming_it(tmp_path):
    good = classic.to_bytes()
    flipped = bytearray(good)
    flipped[-1000] ^= 0x01  # one bit of a weight
    cases = {
        "flipped.safetensors": bytes(flipped),
        "truncated.safetensors": good[: len(good) // 2],
        "text.safetensors": b"these are not the weights you are looking for\n",
        "empty.safetensors": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(lenet5.Lenet5Error, match=f"{name}: bad checkpoint"):
            lenet5.Model.load(tmp_path / name)


def test_saving_where_a_file_cannot_be_is_an_os_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError, match="a-file"):
        classic.save(tmp_path / "a-file" / "m.safetensors")


def test_a_model_is_only_made_by_bundled_load_or_train():
    with pytest.raises(TypeError):
        lenet5.Model("classic")


# -- Arrays ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["predict", "activations"])
def test_wrong_arrays_are_type_or_value_errors_that_say_what_to_do(method):
    f = getattr(classic, method)
    with pytest.raises(TypeError, match="expected a numpy array .* got list"):
        f([[0] * 28] * 28)
    with pytest.raises(TypeError, match="got float64; convert with x.astype"):
        f(np.zeros((2, 28, 28)))
    with pytest.raises(TypeError, match="got int64"):
        f(np.zeros((2, 28, 28), np.int64))
    with pytest.raises(ValueError, match=r"got shape \[28, 28\]; for one image pass x\[None\]"):
        f(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"shape \[N, 28, 28\].*got shape \[2, 28, 27\]"):
        f(np.zeros((2, 28, 27), np.uint8))
    with pytest.raises(ValueError, match=r"must be in \[0, 1\].*image 1 has 255 at row 3, column 4"):
        x = np.zeros((2, 28, 28), np.float32)
        x[1, 3, 4] = 255
        f(x)
    with pytest.raises(ValueError, match=r"image 0 has NaN"):
        f(np.full((1, 28, 28), np.nan, np.float32))


def test_any_memory_layout_and_an_empty_batch_are_fine(mnist):
    x = mnist.test_images[:64]
    want = classic.predict(x).outputs
    strided = np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1)  # Fortran-like
    assert not strided.flags.c_contiguous
    assert np.array_equal(classic.predict(strided).outputs, want)
    assert np.array_equal(classic.predict(mnist.test_images[:128:2]).outputs, classic.predict(np.ascontiguousarray(mnist.test_images[:128:2])).outputs)
    empty = classic.predict(np.zeros((0, 28, 28), np.uint8))
    assert empty.digits.shape == (0,) and empty.probabilities.shape == (0, 10)


# -- Pictures -------------------------------------------------------------------------


def test_bad_pictures_are_exceptions_naming_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        classic.predict_image(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(lenet5.Lenet5Error, match="notes.png: not a PNG/JPEG/BMP/PGM image"):
        classic.predict_image(tmp_path / "notes.png")
    with pytest.raises(lenet5.Lenet5Error, match="<bytes>: not a PNG/JPEG/BMP/PGM image"):
        classic.predict_image(b"hello")
    with pytest.raises(lenet5.Lenet5Error, match="<bytes>: corrupt or truncated PNG image"):
        classic.predict_image(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(TypeError, match="must be uint8"):
        classic.predict_image(np.zeros((40, 40), np.float32))
    with pytest.raises(ValueError, match=r"got \[40\]"):
        classic.predict_image(np.zeros(40, np.uint8))
    with pytest.raises(ValueError, match=r"got \[0, 5\]"):
        classic.predict_image(np.zeros((0, 5), np.uint8))
    with pytest.raises(TypeError, match="expected a picture"):
        classic.predict_image(42)


# -- Data and training ----------------------------------------------------------------


def test_missing_or_corrupt_mnist_is_a_lenet5_error(tmp_path):
    with pytest.raises(lenet5.Lenet5Error, match="does not exist"):
        lenet5.load_mnist(tmp_path / "nowhere")
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        (tmp_path / name).write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 7)
    with pytest.raises(lenet5.Lenet5Error, match="idx1-ubyte"):
        lenet5.load_mnist(tmp_path)
    with pytest.raises(lenet5.Lenet5Error, match="does not exist"):
        lenet5.train(tmp_path / "nowhere", epochs=1)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(preset="fast"), ValueError, "unknown preset `fast`; choose one of: paper, "),
        (dict(arch="lenet"), ValueError, "unknown architecture `lenet`"),
        (dict(optim="rmsprop"), ValueError, "unknown optimiser `rmsprop`; choose one of: sdlm, sgd, adam"),
        (dict(schedule="step"), ValueError, "unknown schedule `step`; choose one of: const, paper, cosine"),
        (dict(augment="blur"), ValueError, "unknown distortion `blur`; choose one of: none, affine, elastic"),
        (dict(arch="modern", optim="sdlm"), ValueError, "--optim sdlm needs --arch classic"),
        (dict(epochs=0), ValueError, "--epochs and --batch must be at least 1"),
        (dict(lr=-1.0), ValueError, "--lr must be a positive number"),
        (dict(threads=0), ValueError, "threads must be at least 1"),
        (dict(on_epoch=5), TypeError, "on_epoch must be callable"),
        (dict(epochs=-1), OverflowError, ""),
    ],
)
def test_bad_training_options_are_exceptions_before_any_training(kwargs, error, message, tmp_path):
    # The data folder does not exist: the options are refused before it is looked at.
    with pytest.raises(error, match=message.replace("[", r"\[") or None):
        lenet5.train(tmp_path / "nowhere", **kwargs)


def test_bad_training_arrays_are_refused(mnist):
    x, y = mnist.train_images[:100], mnist.train_labels[:100].copy()
    tx, ty = mnist.test_images[:100], mnist.test_labels[:100]
    y[7] = 10
    with pytest.raises(ValueError, match="training label 7 is 10; labels are digits 0-9"):
        lenet5.train(lenet5.Mnist(x, y, tx, ty), epochs=1)
    y[7] = 1
    with pytest.raises(ValueError, match="100 training images but 99 labels"):
        lenet5.train(lenet5.Mnist(x, y[:99], tx, ty), epochs=1)
    with pytest.raises(TypeError, match="training images must be uint8"):
        lenet5.train(lenet5.Mnist(x.astype(np.float32) / 255, y, tx, ty), epochs=1)
    with pytest.raises(TypeError, match="test labels must be a uint8 numpy array"):
        lenet5.train(lenet5.Mnist(x, y, tx, ty.astype(np.int64)), epochs=1)
    with pytest.raises(TypeError, match="data must be a folder"):
        lenet5.train(12, epochs=1)
