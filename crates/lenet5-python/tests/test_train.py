"""`lenet5.train`: the same bytes as `lenet5 train`, callbacks, a usable result."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lenet5

# Short runs: one epoch on the first 2,000 training images (evaluated on all 10,000
# test images), with options that exercise SDLM, mini-batch SGD / Adam and distortions.
RUNS = {
    "classic-sdlm": (["--arch", "classic"], dict(arch="classic")),
    "modern-adam": (
        ["--arch", "modern", "--optim", "adam", "--lr", "3e-3", "--batch", "32"],
        dict(arch="modern", optim="adam", lr=3e-3, batch=32),
    ),
    "paper-distorted": (["--preset", "paper-distorted"], dict(preset="paper-distorted")),
}
COMMON_CLI = ["--epochs", "1", "--limit", "2000", "--seed", "5", "--quiet"]
COMMON = dict(epochs=1, limit=2000, seed=5)


def _metrics(path):
    lines = [json.loads(line) for line in path.with_suffix(".metrics.jsonl").read_text().splitlines()]
    for m in lines:  # timings differ from run to run; everything else must not
        del m["seconds"], m["images_per_sec"]
    return lines


@pytest.mark.parametrize("run", sorted(RUNS))
def test_one_epoch_is_byte_identical_to_lenet5_train(run, data_dir, run_cli, tmp_path):
    cli_args, kwargs = RUNS[run]
    cli_out, py_out = tmp_path / "cli.safetensors", tmp_path / "py.safetensors"
    # The command on all cores, Python on one thread: the bytes depend on neither.
    run_cli("train", *cli_args, *COMMON_CLI, "--out", cli_out, "--data", data_dir)
    model = lenet5.train(data_dir, **kwargs, **COMMON, threads=1, out=py_out)

    assert py_out.read_bytes() == cli_out.read_bytes()
    assert model.to_bytes() == cli_out.read_bytes()
    assert _metrics(py_out) == _metrics(cli_out)
    assert lenet5.Model.load(cli_out).to_bytes() == cli_out.read_bytes()


def test_arrays_train_like_the_folder(mnist, data_dir):
    from_folder = lenet5.train(data_dir, arch="modern", epochs=1, limit=1000, seed=2)
    subset = lenet5.Mnist(
        mnist.train_images[:1000], mnist.train_labels[:1000], mnist.test_images, mnist.test_labels
    )
    from_arrays = lenet5.train(subset, arch="modern", epochs=1, seed=2)
    a, b = from_folder.weights(), from_arrays.weights()
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def _saved(model, folder):
    path = folder / "saved.safetensors"
    model.save(path)
    return path


def test_on_epoch_is_called_with_each_epochs_metrics(data_dir, tmp_path):
    seen = []
    model = lenet5.train(data_dir, arch="modern", epochs=2, limit=1000, on_epoch=seen.append)
    assert [m.epoch for m in seen] == [1, 2]
    assert all(isinstance(m, lenet5.EpochMetrics) for m in seen)
    assert all(m.seconds > 0 and m.images_per_sec > 0 for m in seen)
    assert seen == model.history
    # The checkpoint file records the same metrics, without the timings (read back to
    # within an ulp: the engine's JSON parser is not exact in the last digit).
    from_file = lenet5.Model.load(_saved(model, tmp_path)).history
    untimed = [m._replace(seconds=0.0, images_per_sec=0.0) for m in seen]
    assert [tuple(m) for m in from_file] == [pytest.approx(tuple(m), rel=1e-15) for m in untimed]


def test_an_exception_in_on_epoch_stops_training_and_propagates(data_dir, tmp_path):
    out = tmp_path / "stopped.safetensors"

    def stop(m):
        raise RuntimeError(f"stop after epoch {m.epoch}")

    with pytest.raises(RuntimeError, match="stop after epoch 1"):
        lenet5.train(data_dir, arch="modern", epochs=3, limit=500, out=out, on_epoch=stop)
    assert lenet5.Model.load(out).epochs == 1  # the finished epoch was saved, no more


def test_a_trained_model_predicts_saves_and_loads(mnist, data_dir, tmp_path):
    model = lenet5.train(data_dir, arch="modern", optim="adam", lr=3e-3, batch=32, epochs=1, limit=5000)
    assert model.arch == "modern" and model.epochs == 1
    assert model.config["optim"] == "adam" and model.config["limit"] == 5000
    p = model.predict(mnist.test_images)
    errors = int((p.digits != mnist.test_labels).sum())
    assert errors == model.history[0].test_errors
    assert errors < 1000  # > 90 % after one epoch on 5,000 images
    model.save(tmp_path / "m.safetensors")
    again = lenet5.Model.load(tmp_path / "m.safetensors")
    assert np.array_equal(again.predict(mnist.test_images).outputs, p.outputs)
