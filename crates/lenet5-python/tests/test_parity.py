"""Python gives the numbers the `lenet5` command gives, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import lenet5


@pytest.mark.parametrize("arch", ["classic", "modern"])
def test_predict_equals_lenet5_export_reference_on_the_10000_test_images(
    arch, mnist, data_dir, run_cli, bundled_file, tmp_path
):
    ref = tmp_path / "ref"
    run_cli(
        "export", "--onnx", tmp_path / "m.onnx", "--reference", ref,
        "--model", bundled_file[arch], "--data", data_dir,
    )
    want = {k: np.load(ref / f"{k}.npy") for k in ("outputs", "scores", "digits", "labels")}
    assert np.array_equal(want["labels"], mnist.test_labels)

    model = lenet5.Model.bundled(arch)
    got = model.predict(mnist.test_images)
    assert np.array_equal(got.digits, want["digits"])
    assert np.array_equal(got.probabilities, want["scores"])  # bitwise: same floats
    assert np.array_equal(got.outputs, want["outputs"])

    # float32 pixels in [0, 1] computed as the engine does (p * (1/255) in f32): the same.
    x = mnist.test_images.astype(np.float32) * np.float32(1 / 255)
    assert np.array_equal(model.predict(x).outputs, want["outputs"])


def _pictures(mnist, folder):
    """A few test digits as the pictures people take: 4x larger, dark ink on light
    paper or light on dark, grey and colour, PNG and JPEG; and a blank page."""
    names = []
    for k, i in enumerate([0, 1, 2, 3, 4, 5, 8, 18]):
        big = np.kron(mnist.test_images[i], np.ones((4, 4), np.uint8))
        if k % 2 == 0:
            big = 255 - big  # dark on light
        img = Image.fromarray(big)
        if k % 3 == 0:
            img = img.convert("RGB")
        name = f"{k}-digit{mnist.test_labels[i]}.{'jpg' if k % 4 == 3 else 'png'}"
        img.save(folder / name)
        names.append(name)
    Image.fromarray(np.full((50, 70), 200, np.uint8)).save(folder / "blank.png")
    names.append("blank.png")
    return names


def test_predict_image_equals_lenet5_predict_json(mnist, run_cli, bundled_file, tmp_path):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    names = _pictures(mnist, pictures)
    lines = run_cli("predict", "--json", "--model", bundled_file["classic"], pictures).splitlines()
    by_name = {json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line) for line in lines}
    assert sorted(by_name) == sorted(names)

    model = lenet5.Model.bundled("classic")
    for name in names:
        want = by_name[name]
        path = pictures / name
        given = [path, str(path), path.read_bytes()]
        if name.endswith(".png"):  # PIL decodes PNG as the engine does (JPEG decoders differ)
            given += [Image.open(path), np.asarray(Image.open(path))]
        for picture in given:
            r = model.predict_image(picture)
            assert r.digit == want["digit"], (name, type(picture))
            assert (r.blank, r.inverted, r.low_confidence) == (
                want["blank"], want["inverted"], want["low_confidence"]
            )
            if not r.blank:
                assert np.array_equal(r.probabilities, np.float32(want["scores"]))
                assert np.array_equal(r.outputs, np.float32(want["outputs"]))
                assert r.confidence == np.float32(want["confidence"])
    assert by_name["blank.png"]["digit"] is None
    digits = [by_name[n]["digit"] for n in names[:-1]]
    labels = [int(n.split("digit")[1][0]) for n in names[:-1]]
    assert digits == labels


def _number(mnist, indices) -> np.ndarray:
    """MNIST test digits side by side, 8 px apart, scaled 3x, dark ink on light paper."""
    row = np.concatenate(
        [np.pad(mnist.test_images[i], ((4, 4), (4, 4))) for i in indices], axis=1
    )
    return 255 - np.kron(row, np.ones((3, 3), np.uint8))


def test_read_equals_lenet5_read_json(mnist, run_cli, bundled_file, tmp_path):
    indices = [1, 2, 3, 4]  # test digits 2, 1, 0, 4
    picture = _number(mnist, indices)
    path = tmp_path / "number.png"
    Image.fromarray(picture).save(path)
    want = json.loads(run_cli("read", "--json", "--model", bundled_file["classic"], path))

    model = lenet5.Model.bundled("classic")
    for given in (path, path.read_bytes(), picture, Image.open(path)):
        r = model.read(given)
        assert r.text == want["text"] == "".join(str(mnist.test_labels[i]) for i in indices)
        assert r.confidence == np.float32(want["confidence"])
        assert (r.blank, r.inverted, r.note) == (want["blank"], want["inverted"], want["note"])
        assert r.accepted(0.0) and not r.accepted(1.01)
        assert len(r.digits) == len(want["digits"]) == len(indices)
        for got, exp in zip(r.digits, want["digits"]):
            assert got.digit == exp["digit"]
            assert got.box == tuple(exp["bbox"])
            assert got.runner_up == (exp["runner_up"][0], np.float32(exp["runner_up"][1]))
            assert np.array_equal(got.probabilities, np.float32(exp["scores"]))
        # Boxes are in picture pixels, left to right, one per 28+8 px cell (x3).
        assert [g.box[0] // (36 * 3) for g in r.digits] == [0, 1, 2, 3]

    blank = model.read(np.full((60, 200), 255, np.uint8))
    assert blank.blank and blank.text == "" and blank.digits == [] and not blank.accepted(0.0)


def test_the_bundled_reader_reads_like_lenet5_read(mnist, run_cli, tmp_path):
    # `lenet5 read` without --model uses the bundled reader; so does Model.bundled("reader").
    indices = [11, 12, 13, 14, 15]
    picture = _number(mnist, indices)
    path = tmp_path / "number.png"
    Image.fromarray(picture).save(path)
    want = json.loads(run_cli("read", "--json", path))
    r = lenet5.Model.bundled("reader").read(path)
    assert r.text == want["text"] == "".join(str(mnist.test_labels[i]) for i in indices)
    assert r.confidence == np.float32(want["confidence"])
