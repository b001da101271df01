"""Shared fixtures: real MNIST, the `lenet5` command, the repository's paths.

MNIST is found in ``$LENET5_DATA``. Without it the tests that need it are skipped,
unless ``$LENET5_REQUIRE`` lists ``data`` (as CI sets it): then they fail. The
command is ``$LENET5_BIN``, else ``target/release/lenet5`` of this repository
(``cargo build --release -p lenet5-cli``); the parity tests fail without it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import lenet5

REPO = Path(__file__).resolve().parents[3]


def _required(what: str) -> bool:
    return what in os.environ.get("LENET5_REQUIRE", "").split(",")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The MNIST folder."""
    d = os.environ.get("LENET5_DATA")
    if not d:
        if _required("data"):
            pytest.fail("LENET5_DATA is not set and LENET5_REQUIRE lists data")
        pytest.skip("real MNIST not available (set LENET5_DATA)")
    return Path(d)


@pytest.fixture(scope="session")
def mnist(data_dir: Path) -> lenet5.Mnist:
    """MNIST as numpy arrays."""
    return lenet5.load_mnist(data_dir)


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `lenet5` command, built from this repository."""
    path = Path(os.environ.get("LENET5_BIN", REPO / "target" / "release" / "lenet5"))
    if not path.is_file():
        pytest.fail(f"{path} not found: build it with `cargo build --release -p lenet5-cli` or set LENET5_BIN")
    return path


@pytest.fixture(scope="session")
def run_cli(cli: Path):
    """Runs `lenet5 ARGS...` and returns its standard output; a failure fails the test."""

    def run(*args: str | os.PathLike, cwd: Path | None = None) -> str:
        p = subprocess.run(
            [str(cli), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
        )
        assert p.returncode == 0, f"lenet5 {' '.join(map(str, args))} failed:\n{p.stderr}"
        return p.stdout

    return run


@pytest.fixture(scope="session")
def bundled_file() -> dict[str, Path]:
    """The bundled checkpoints as files (what `--model` takes)."""
    models = REPO / "crates" / "lenet5" / "models"
    return {name: models / f"lenet5-{name}.safetensors" for name in ("classic", "modern", "reader")}
