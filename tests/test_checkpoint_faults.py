"""Checkpoints under faults: a kill during a write leaves debris that the next save or load removes;
any damage to the file (flipped bytes, truncation, foreign zip contents) is a CheckpointError that
names the file and never a wrong tree; ``tinygan train --resume`` reports it in one line, exit 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygan import cli
from tinygan.checkpoint import CheckpointError, load_checkpoint, remove_stale_temporaries, save_checkpoint

fcntl = pytest.importorskip("fcntl")

TREE = {
    "generator": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.zeros(2)},
    "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(4)}}, "param_groups": [{"params": [0], "lr": 2e-4}]},
    "step": 7,
    "history": [{"step": 1, "loss_d": 1.25}],
    "name": "gän",  # a non-ASCII string in the JSON tree
}


def _same(a, b):
    """Equal structure, types and values, arrays exactly (dtype included)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and (a == b).all()
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("original") / "c.npz"
    save_checkpoint(path, TREE)
    return path.read_bytes(), load_checkpoint(path)


def _write(path: Path, data: bytes) -> None:
    """Replace the file (truncating one in place makes ext4 flush it: a hundred times slower)."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def _loads_the_original_or_names_the_damage(path: Path, original) -> bool:
    """True when the damaged file raised CheckpointError naming it; False when it loaded (and then
    it must have loaded exactly the original tree: a flip in zip metadata nobody reads)."""
    try:
        loaded = load_checkpoint(path)
    except CheckpointError as e:
        message = str(e)
        assert str(path) in message and "\n" not in message and len(message) < 400, message
        return True
    assert _same(loaded, original), "a damaged checkpoint loaded as a different tree"
    return False


# ----------------------------------------------------------------------------- damage


def test_every_single_byte_flip_is_reported_or_harmless(tmp_path, checkpoint_bytes):
    """One flip (a random non-zero XOR, seeded) at every byte of the file."""
    data, original = checkpoint_bytes
    rng = np.random.default_rng(0)
    path = tmp_path / "c.npz"
    reported = 0
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= int(rng.integers(1, 256))
        _write(path, bytes(damaged))
        reported += _loads_the_original_or_names_the_damage(path, original)
    assert reported > 0.75 * len(data)  # most bytes matter: the arrays and the tree are CRC-checked


def test_every_truncation_is_reported(tmp_path, checkpoint_bytes):
    data, _ = checkpoint_bytes
    path = tmp_path / "c.npz"
    for length in range(0, len(data), 3):
        _write(path, data[:length])
        with pytest.raises(CheckpointError, match="c.npz"):
            load_checkpoint(path)


@settings(max_examples=150, deadline=None)
@given(
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=6),
    cut=st.none() | st.floats(0, 1),
    junk=st.binary(max_size=8),
)
def test_any_combination_of_flips_truncation_and_appended_junk(tmp_path_factory, checkpoint_bytes, flips, cut, junk):
    data, original = checkpoint_bytes
    damaged = bytearray(data)
    for where, xor in flips:
        damaged[int(where * len(damaged))] ^= xor
    if cut is not None:
        damaged = damaged[: int(cut * len(damaged))]
    path = tmp_path_factory.mktemp("damaged") / "c.npz"
    path.write_bytes(bytes(damaged) + junk)
    _loads_the_original_or_names_the_damage(path, original)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _tree(document) -> bytes:
    return _npy(np.frombuffer(json.dumps(document).encode(), dtype=np.uint8))


GOOD_DOCUMENT = {"format": "tinygan-checkpoint", "version": 1, "tree": {"w": {"__array__": "w"}}}
FOREIGN = {
    "a text member": ({"readme.txt": b"hello", "__tree__.npy": _tree(GOOD_DOCUMENT)}, "unexpected archive member"),
    "an object array": ({"w.npy": _npy(np.array([object()])), "__tree__.npy": _tree(GOOD_DOCUMENT)}, "Python objects"),
    "no tree": ({"w.npy": _npy(np.ones(2))}, "no __tree__"),
    "a float tree": ({"__tree__.npy": _npy(np.ones(3))}, "not a byte string"),
    "a tree that is not JSON": ({"__tree__.npy": _npy(np.frombuffer(b"{nope", np.uint8))}, "JSONDecodeError"),
    "a tree in Latin-1": ({"__tree__.npy": _npy(np.frombuffer(b'{"a": "\xe9"}', np.uint8))}, "UnicodeDecodeError"),
    "another format": ({"__tree__.npy": _tree({"format": "other", "tree": {}})}, "not a tinygan checkpoint"),
    "a list document": ({"__tree__.npy": _tree([1, 2])}, "not a tinygan checkpoint"),
    "a newer version": ({"__tree__.npy": _tree({**GOOD_DOCUMENT, "version": 99})}, "version 99, expected 1"),
    "a missing array": ({"__tree__.npy": _tree(GOOD_DOCUMENT)}, "KeyError"),
    "a tree that is a list": ({"__tree__.npy": _tree({**GOOD_DOCUMENT, "tree": [1]})}, "tree is not a dict"),
    "a bad marker": ({"__tree__.npy": _tree({**GOOD_DOCUMENT, "tree": {"x": {"__items__": 5}}})}, "TypeError"),
    "a header promising less": ({"__tree__.npy": _tree(GOOD_DOCUMENT) + b"more"}, "does not match its header"),
    "a duplicated member": (None, "unexpected archive member"),
    "an empty archive": ({}, "no __tree__"),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_foreign_zip_contents_are_named(tmp_path, case):
    members, message = FOREIGN[case]
    path = tmp_path / "c.npz"
    if members is None:  # zipfile warns about, but writes, two members of one name
        with pytest.warns(UserWarning), zipfile.ZipFile(path, "w") as archive:
            archive.writestr("__tree__.npy", _tree(GOOD_DOCUMENT))
            archive.writestr("__tree__.npy", _tree(GOOD_DOCUMENT))
    else:
        _zip(path, members)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value) or path.name in str(info.value)


def test_garbage_is_reported_without_pickle_advice(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"\x80\x04garbage that np.load would take for a pickle")
    with pytest.raises(CheckpointError, match="not an .npz") as info:
        load_checkpoint(path)
    assert "pickle" not in str(info.value)


def test_a_compressed_archive_of_the_same_arrays_loads(tmp_path, checkpoint_bytes):
    """Deflated members are still a valid .npz (np.savez_compressed): read, not refused."""
    _, original = checkpoint_bytes
    source = tmp_path / "c.npz"
    save_checkpoint(source, TREE)
    with np.load(source) as archive:
        arrays = {name: archive[name] for name in archive.files}
    np.savez_compressed(tmp_path / "z.npz", **arrays)
    assert _same(load_checkpoint(tmp_path / "z.npz"), original)


# ----------------------------------------------------------------------------- debris


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    from tinygan.checkpoint import save_checkpoint

    path = sys.argv[1]
    if sys.argv[2:] == ["--first-save"]:
        save_checkpoint(path, {"step": 1, "w": np.ones(10)})

    def killed_mid_write(f, **arrays):
        f.write(b"PK\\x03\\x04 half an archive")
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    np.savez = killed_mid_write
    save_checkpoint(path, {"step": 2, "w": np.zeros(10)})
    """
)


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def _kill_a_writer(path: Path, *options: str) -> None:
    """Run a process that saves to ``path`` and is SIGKILLed in the middle of the write."""
    command = [sys.executable, "-c", KILLED_WRITER, str(path), *options]
    result = subprocess.run(command, capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr.decode()
    assert len(_temporaries(path.parent)) == 1  # what the kill left behind


@pytest.mark.parametrize("next_access", ["save", "load"])
def test_a_write_killed_midway_leaves_debris_that_the_next_save_or_load_removes(tmp_path, next_access):
    path = tmp_path / "checkpoint.npz"
    _kill_a_writer(path, "--first-save")
    if next_access == "load":
        assert load_checkpoint(path)["step"] == 1  # the checkpoint before the killed write is intact
    else:
        save_checkpoint(path, {"step": 3})
    assert _temporaries(tmp_path) == []


def test_a_write_in_progress_is_left_alone(tmp_path):
    """A temporary file locked by its writer (here: this process, through another open file) is
    not debris; once the lock goes, it is."""
    path = tmp_path / "c.npz"
    live = tmp_path / ".c.npz.abcd1234.tmp"
    live.write_bytes(b"being written")
    with open(live, "rb") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        save_checkpoint(path, {"step": 1})
        load_checkpoint(path)
        assert live.exists()
    assert remove_stale_temporaries(path) == [live]
    assert _temporaries(tmp_path) == []


def test_only_this_checkpoints_temporaries_are_removed(tmp_path):
    path = tmp_path / "c.npz"
    others = [".d.npz.abcd1234.tmp", ".c.npz.x.abcd1234.tmp", "c.npz.abcd1234.tmp", ".c.npz.abc.tmp", "notes.tmp"]
    for name in [*others, ".c.npz.abcd1234.tmp", ".c.npz.ZZ__9xyq.tmp"]:
        (tmp_path / name).write_bytes(b"x")
    save_checkpoint(path, {"step": 1})
    assert _temporaries(tmp_path) == sorted(others)


def test_a_just_created_empty_temporary_is_left_for_its_writer(tmp_path):
    """Between mkstemp and the lock a writer's file is empty and unlocked for a moment: it is
    spared while it is young, and removed once it is old."""
    path = tmp_path / "c.npz"
    young = tmp_path / ".c.npz.abcd1234.tmp"
    young.touch()
    save_checkpoint(path, {"step": 1})
    assert young.exists()
    an_hour_ago = time.time() - 3600
    os.utime(young, (an_hour_ago, an_hour_ago))
    save_checkpoint(path, {"step": 2})
    assert not young.exists()


# ----------------------------------------------------------------------------- the command line


SMALL_RUN = ["train", "gan", "--data", "ring", "--n-train", "500", "--batch-size", "16", "--g-hidden", "8",
             "--d-hidden", "8", "--steps", "4", "--sample-every", "4"]  # fmt: skip


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert cli.main([*SMALL_RUN, "--out", str(out)]) == 0
    return out


def test_resume_on_a_damaged_checkpoint_is_one_line_with_exit_2(tmp_path, capsys, finished_run):
    data = (finished_run / "checkpoint.npz").read_bytes()
    rng = np.random.default_rng(1)
    capsys.readouterr()
    for trial in range(25):
        damaged = bytearray(data)
        if trial % 5 == 4:
            damaged = damaged[: int(rng.integers(len(data)))]
        else:
            damaged[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        out = tmp_path / f"run{trial}"
        out.mkdir()
        (out / "checkpoint.npz").write_bytes(bytes(damaged))
        status = cli.main([*SMALL_RUN, "--out", str(out), "--resume"])
        err = capsys.readouterr().err
        if status == 0:  # a flip in zip metadata nobody reads: the run resumed, at step 4 of 4
            continue
        assert status == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tinygan: error: ") and "checkpoint.npz" in lines[0], err


def test_a_run_after_a_killed_write_leaves_no_debris(tmp_path, capsys, finished_run):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes((finished_run / "checkpoint.npz").read_bytes())
    _kill_a_writer(out / "checkpoint.npz")
    assert cli.main([*SMALL_RUN, "--out", str(out), "--resume"]) == 0  # at step 4 of 4: nothing to train
    assert "nothing to train" in capsys.readouterr().out
    assert _temporaries(out) == []
    assert load_checkpoint(out / "checkpoint.npz")["step"] == 4
