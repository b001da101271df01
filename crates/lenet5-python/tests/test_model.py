"""Model: activations, weights, saving; what the layers hold is what the network computes."""

from __future__ import annotations

import numpy as np
import pytest

import lenet5

SHAPES = {
    "C1": (6, 28, 28), "S2": (6, 14, 14), "C3": (16, 10, 10), "S4": (16, 5, 5),
    "C5": (120,), "F6": (84,), "output": (10,),
}


@pytest.mark.parametrize("arch", ["classic", "modern"])
def test_activations_have_the_papers_shapes_and_end_in_predicts_outputs(arch, mnist):
    model = lenet5.Model.bundled(arch)
    x = mnist.test_images[:5]
    acts = model.activations(x)
    side = 32 if arch == "classic" else 28
    assert {k: v.shape for k, v in acts.items()} == {
        "input": (5, side, side), **{k: (5, *s) for k, s in SHAPES.items()}
    }
    assert all(v.dtype == np.float32 for v in acts.values())
    assert np.array_equal(acts["output"], model.predict(x).outputs)
    # float pixels give the same activations as the bytes they come from
    f = model.activations(x.astype(np.float32) * np.float32(1 / 255))
    assert all(np.array_equal(f[k], acts[k]) for k in acts)


def test_classic_outputs_are_the_squared_distances_of_f6_to_the_rbf_centres(mnist):
    model = lenet5.Model.bundled("classic")
    acts = model.activations(mnist.test_images[:20])
    centres = model.rbf_centers
    distances = ((acts["F6"][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(distances, acts["output"], rtol=1e-5, atol=1e-5)


def test_modern_probabilities_are_the_softmax_of_the_logits(mnist):
    model = lenet5.Model.bundled("modern")
    p = model.predict(mnist.test_images[:50])
    z = np.exp(p.outputs - p.outputs.max(axis=1, keepdims=True))
    assert np.allclose(z / z.sum(axis=1, keepdims=True), p.probabilities, atol=1e-6)


def test_weights_are_named_and_shaped_like_the_checkpoint():
    w = lenet5.Model.bundled("classic").weights()
    assert w["c1.weight"].shape == (6, 1, 5, 5) and w["c1.bias"].shape == (6,)
    assert w["c3.weight"].shape == (16, 6, 5, 5)
    assert sum(v.size for v in w.values()) > 60000  # LeNet-5 has ~60k parameters
    m = lenet5.Model.bundled("modern").weights()
    assert list(m)[0] == "conv1.weight" and m["conv1.weight"].shape == (6, 1, 5, 5)


def test_save_then_load_gives_back_the_same_bytes_and_answers(mnist, tmp_path):
    for arch in ("classic", "modern"):
        model = lenet5.Model.bundled(arch)
        path = tmp_path / f"{arch}.safetensors"
        model.save(path)
        again = lenet5.Model.load(path)
        assert path.read_bytes() == model.to_bytes() == again.to_bytes()
        assert again.history == model.history and again.config == model.config
        x = mnist.test_images[:100]
        assert np.array_equal(again.predict(x).outputs, model.predict(x).outputs)
        assert repr(again) == f"Model(arch='{arch}', 40 epochs, test error {100 * (1 - model.history[-1].test_acc):.2f} %)"


def test_predict_image_reports_what_the_network_saw(mnist):
    model = lenet5.Model.bundled("classic")
    digit = 255 - np.kron(mnist.test_images[0], np.ones((6, 6), np.uint8))  # dark on light
    r = model.predict_image(digit)
    assert r.digit == mnist.test_labels[0] and r.inverted and not r.blank
    assert r.input.shape == (28, 28) and r.input.dtype == np.uint8
    assert r.top(2)[0] == (r.digit, r.confidence)
    blank = model.predict_image(np.full((30, 30), 255, np.uint8))
    assert blank.blank and blank.digit is None and not blank.low_confidence
