"""The install layout: the top-level kernels/ folder installs as tinygan.kernels, and every package
of the tree is listed for the install (package-dir mapping kernels/ rules out packages.find)."""

from __future__ import annotations

from pathlib import Path

import pytest

import tinygan.kernels

ROOT = Path(__file__).resolve().parent.parent
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _setuptools_config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def test_every_package_of_the_tree_is_listed_for_the_install():
    tree = {".".join(("tinygan", *init.parent.relative_to(ROOT / "tinygan").parts)) for init in
            (ROOT / "tinygan").rglob("__init__.py")}  # fmt: skip
    listed = set(_setuptools_config()["packages"])
    assert listed - tree == {"tinygan.kernels"}, "listed in pyproject.toml but not in the tree"
    assert tree - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_the_kernels_folder_installs_as_tinygan_kernels():
    config = _setuptools_config()
    assert config["package-dir"] == {"tinygan": "tinygan", "tinygan.kernels": "kernels"}
    assert not (ROOT / "tinygan" / "kernels").exists(), "the kernels live in the top-level kernels/ only"
    for name in ("__init__", "reference", "cpu", "cuda_conv", "cuda_norm", "launch"):
        assert (ROOT / "kernels" / f"{name}.py").is_file(), name
    location = Path(tinygan.kernels.__file__).resolve().parent
    if location.is_relative_to(ROOT):  # run from this checkout (editable install), not from an installed wheel
        assert location == ROOT / "kernels"
