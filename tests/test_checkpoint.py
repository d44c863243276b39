"""Tests for tinygan.checkpoint: pickle-free .npz checkpoints, atomic writes, clear errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan
from tinygan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def _assert_same(a, b):
    """Equal structure, types and values, arrays compared exactly (dtype included)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def test_round_trip_of_a_trainer_like_tree(tmp_path):
    tree = {
        "generator": {"main.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "main.0.bias": np.zeros(2)},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.ones((2, 3), np.float32)}},  # int keys, as Optimizer uses
            "param_groups": [{"params": [0], "lr": 2e-4, "betas": (0.5, 0.999), "eps": 1e-8}],
        },
        "rng": tinygan.random.get_state(),  # holds 128-bit integers
        "step": 7,
        "history": [{"step": 1, "loss_d": 1.25}],
        "flags": [True, None, "text"],
        "labels": np.array([1, 2, 3], dtype=np.int64),
        "mask": np.array([True, False]),
        "scalar": np.float32(1.5),
    }
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, tree)
    loaded = load_checkpoint(path)
    expected = {**tree, "scalar": 1.5}  # NumPy scalars come back as Python numbers
    _assert_same(loaded, expected)


def test_tensors_are_stored_as_arrays(tmp_path):
    t = tinygan.tensor([[1.0, 2.0]], requires_grad=True)
    save_checkpoint(tmp_path / "c.npz", {"w": t})
    loaded = load_checkpoint(tmp_path / "c.npz")["w"]
    assert isinstance(loaded, np.ndarray) and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, [[1.0, 2.0]])


def test_file_is_a_plain_npz_without_pickles(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"generator": {"w": np.ones(3)}, "step": 2})
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert "generator/w" in archive.files  # arrays are named by their path in the tree
        np.testing.assert_array_equal(archive["generator/w"], np.ones(3))


def test_keys_that_look_like_paths_do_not_collide(tmp_path):
    tree = {"a/b": np.zeros(1), "a": {"b": np.ones(1)}}
    save_checkpoint(tmp_path / "c.npz", tree)
    _assert_same(load_checkpoint(tmp_path / "c.npz"), tree)


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**130), 2**130),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.builds(lambda xs: np.array(xs, dtype=np.float32), st.lists(st.floats(-1e3, 1e3, width=32), max_size=4)),
)
trees = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(min_size=1, max_size=4).filter(lambda k: not k.startswith("__")), children, max_size=3),
        st.dictionaries(st.integers(-5, 5), children, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=40, deadline=None)
@given(value=trees)
def test_round_trip_of_any_nested_value(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("ckpt") / "c.npz"
    save_checkpoint(path, {"value": value})
    _assert_same(load_checkpoint(path), {"value": value})


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"step": 1, "w": np.ones(2)})

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"step": 2, "w": np.zeros(2)})
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 1  # the previous checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # and no temporary file is left over


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"step": 1})
    save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path) == {"step": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_missing_checkpoint_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "nope.npz")


def test_missing_directory_is_reported_before_writing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "c.npz", {"step": 1})


def _npy_bytes():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make_file",
    [
        pytest.param(lambda p: p.write_bytes(b"not a checkpoint at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(_npy_bytes()), id="npy"),  # a .npy under an .npz name
        pytest.param(lambda p: np.savez(p, w=np.ones(3)), id="npz-without-tree"),
    ],
)
def test_corrupt_or_foreign_files_raise_checkpoint_error(tmp_path, make_file):
    path = tmp_path / "c.npz"
    make_file(path)
    with pytest.raises(CheckpointError, match=str(path.name)):
        load_checkpoint(path)


def test_truncated_checkpoint_raises_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"w": np.ones(1000), "step": 3})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(path)


def test_values_that_need_pickle_are_refused(tmp_path):
    with pytest.raises(TypeError, match="object array"):
        save_checkpoint(tmp_path / "c.npz", {"x": np.array([object()])})
    with pytest.raises(TypeError, match="set"):
        save_checkpoint(tmp_path / "c.npz", {"x": {1, 2}})
    with pytest.raises(ValueError, match="reserved key"):
        save_checkpoint(tmp_path / "c.npz", {"x": {"__array__": "y"}})
    assert not list(tmp_path.iterdir())  # nothing was written
