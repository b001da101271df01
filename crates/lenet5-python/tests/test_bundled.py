"""The networks bundled in the package: what they are and how well they read MNIST."""

from __future__ import annotations

import numpy as np
import pytest

import lenet5


@pytest.mark.parametrize("arch", ["classic", "modern"])
def test_bundled_model_is_the_bundled_checkpoint_file(arch, bundled_file):
    model = lenet5.Model.bundled(arch)
    assert model.arch == arch
    assert model.to_bytes() == bundled_file[arch].read_bytes()
    assert model.epochs == 40
    assert model.config["arch"] == arch
    assert [m.epoch for m in model.history] == list(range(1, 41))


@pytest.mark.parametrize("arch", ["classic", "modern"])
def test_bundled_model_makes_the_errors_its_training_recorded(arch, mnist):
    model = lenet5.Model.bundled(arch)
    p = model.predict(mnist.test_images)
    errors = int((p.digits != mnist.test_labels).sum())
    assert errors == model.history[-1].test_errors
    assert errors < 100  # 66 (classic) and 41 (modern) when the kernels are AVX2 + FMA
    assert p.digits.dtype == np.uint8 and p.digits.shape == (10000,)
    assert p.probabilities.dtype == np.float32 and p.probabilities.shape == (10000, 10)
    assert np.allclose(p.probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(p.probabilities.argmax(axis=1), p.digits)
    best = p.outputs.argmin(axis=1) if arch == "classic" else p.outputs.argmax(axis=1)
    assert np.array_equal(best, p.digits)


def test_only_the_classic_network_has_rbf_centres():
    centres = lenet5.Model.bundled("classic").rbf_centers
    assert centres.shape == (10, 84) and centres.dtype == np.float32
    assert set(np.unique(centres)) == {-1.0, 1.0}
    assert lenet5.Model.bundled("modern").rbf_centers is None


def test_an_unknown_architecture_is_a_value_error():
    with pytest.raises(ValueError, match="unknown bundled model `lenet`; choose classic, modern or reader"):
        lenet5.Model.bundled("lenet")
