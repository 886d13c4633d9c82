"""wg.save / wg.load (wengert.serialization): .npz plus a JSON manifest, round trips, and refusals."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import wengert as wg
from wengert import nn, optim
from wengert.serialization import load, save


def _round_trip(obj, path=None):
    if path is None:
        buffer = io.BytesIO()
        save(obj, buffer)
        buffer.seek(0)
        return load(buffer)
    save(obj, path)
    return load(path)


def _model(seed, dtype=np.float64):
    return nn.Sequential(
        nn.Linear(3, 8, seed=seed, dtype=dtype), nn.Tanh(), nn.Linear(8, 2, seed=seed + 1, dtype=dtype)
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_models_state_dict_round_trips_through_a_file(tmp_path, dtype):
    trained, fresh = _model(0, dtype), _model(10, dtype)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
    assert not np.array_equal(trained(x).detach().numpy(), fresh(x).detach().numpy())
    path = tmp_path / "model.pt"
    save(trained.state_dict(), path)
    assert path.exists() and not (tmp_path / "model.pt.npz").exists()  # the name is kept as given
    result = fresh.load_state_dict(load(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(fresh(x).detach().numpy(), trained(x).detach().numpy())
    for name, value in load(path).items():
        expected = trained.state_dict()[name]  # arrays or tensors: what was saved comes back
        assert type(value) is type(expected) and value.dtype == expected.dtype and value.shape == expected.shape


def test_a_state_dict_of_tensors_comes_back_as_tensors(tmp_path):
    state = OrderedDict(
        weight=wg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True),
        bias=wg.tensor(np.zeros(2, np.float32)),
        steps=wg.tensor(np.array([1, 2, 3], np.int64)),
        mask=wg.tensor([True, False]),
        scalar=wg.tensor(2.5, requires_grad=True),
        half=wg.tensor(np.ones(2, np.float16)),
    )
    loaded = _round_trip(state, tmp_path / "state.wg")
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(state)
    for name, original in state.items():
        value = loaded[name]
        assert isinstance(value, wg.Tensor), name
        assert value.dtype == original.dtype and value.shape == original.shape, name
        assert value.requires_grad == original.requires_grad and value.is_leaf, name
        np.testing.assert_array_equal(value.detach().numpy(), original.detach().numpy())
    model = _model(0)
    as_tensors = {name: wg.tensor(array) for name, array in model.state_dict().items()}
    fresh = _model(5)
    fresh.load_state_dict(_round_trip(as_tensors))
    x = np.ones((2, 3))
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_parameters_come_back_as_parameters():
    weight = nn.Parameter(np.ones((2, 2)))
    frozen = nn.Parameter(np.zeros(3), requires_grad=False)
    loaded = _round_trip({"w": weight, "f": frozen})
    assert isinstance(loaded["w"], nn.Parameter) and loaded["w"].requires_grad
    assert isinstance(loaded["f"], nn.Parameter) and not loaded["f"].requires_grad


def test_a_non_leaf_tensor_loads_as_a_leaf_that_requires_grad_as_in_pytorch():
    y = wg.tensor([1.0, 2.0], requires_grad=True) * 3.0
    loaded = _round_trip(y)
    assert loaded.requires_grad and loaded.is_leaf and loaded.grad_fn is None
    np.testing.assert_array_equal(loaded.detach().numpy(), [3.0, 6.0])
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save(torch.ones(2, requires_grad=True) * 3.0, buffer)
    buffer.seek(0)
    theirs = torch.load(buffer)
    assert theirs.requires_grad == loaded.requires_grad and theirs.is_leaf == loaded.is_leaf


def test_nested_values_round_trip_exactly():
    obj = {
        "none": None,
        "flags": [True, False],
        "int": -7,
        "big": 2**80 + 1,
        "floats": (0.1, -0.0, math.inf, -math.inf, 1e-310),
        "text": "λ = 0.1 ✓",
        "numpy scalars": [np.float32(1.5), np.int16(-3), np.bool_(True), np.float64(2.0)],
        "arrays": [np.arange(4, dtype=np.uint8), np.zeros((0, 3)), np.array(3.5), np.array([1 + 2j]), np.eye(2) > 0],
        3: {"int key": 1},
        2.5: "float key",
        None: "none key",
        (1, "a"): "tuple key",
        "empty": {"list": [], "tuple": (), "dict": {}},
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
    }
    loaded = _round_trip(obj)
    assert list(loaded) == list(obj)
    assert loaded["none"] is None and loaded["flags"] == [True, False] and loaded["int"] == -7
    assert loaded["big"] == 2**80 + 1 and loaded["text"] == obj["text"]
    assert isinstance(loaded["floats"], tuple) and loaded["floats"][:1] == (0.1,)
    assert math.copysign(1.0, loaded["floats"][1]) == -1.0 and loaded["floats"][2:] == (math.inf, -math.inf, 1e-310)
    for ours, original in zip(loaded["numpy scalars"], obj["numpy scalars"]):
        assert type(ours) is type(original) and ours == original
    for ours, original in zip(loaded["arrays"], obj["arrays"]):
        assert ours.dtype == original.dtype and ours.shape == original.shape
        np.testing.assert_array_equal(ours, original)
    assert loaded[3] == {"int key": 1} and loaded[2.5] == "float key" and loaded[None] == "none key"
    assert loaded[(1, "a")] == "tuple key"
    assert loaded["empty"] == {"list": [], "tuple": (), "dict": {}} and isinstance(loaded["empty"]["tuple"], tuple)
    assert isinstance(loaded["ordered"], OrderedDict) and list(loaded["ordered"]) == ["b", "a"]
    assert type(_round_trip({"a": 1})) is dict
    assert math.isnan(_round_trip(float("nan")))


def test_a_tensor_or_array_stored_twice_comes_back_as_one_object():
    t, a = wg.tensor([1.0]), np.zeros(2)
    loaded = _round_trip({"first": t, "again": [t, a], "array": a})
    assert loaded["first"] is loaded["again"][0] and loaded["array"] is loaded["again"][1]
    other = _round_trip([wg.tensor([1.0]), wg.tensor([1.0])])
    assert other[0] is not other[1]


def test_an_optimisers_state_round_trips_and_training_continues_identically():
    def setup():
        w = wg.tensor([1.0, -2.0, 0.5], requires_grad=True)
        return w, optim.Adam([w], lr=0.1, betas=(0.8, 0.95))

    def step(w, optimizer):
        optimizer.zero_grad()
        ((w - 3.0) ** 2).sum().backward()
        optimizer.step()

    w, optimizer = setup()
    for _ in range(3):
        step(w, optimizer)
    saved = _round_trip({"w": w.detach(), "optimizer": optimizer.state_dict()})
    w2, optimizer2 = setup()
    with wg.no_grad():
        w2.copy_(saved["w"])
    optimizer2.load_state_dict(saved["optimizer"])
    for _ in range(2):
        step(w, optimizer)
        step(w2, optimizer2)
    np.testing.assert_array_equal(w2.detach().numpy(), w.detach().numpy())


def test_a_generators_state_round_trips():
    wg.manual_seed(123)
    state = _round_trip(wg.default_generator.get_state())
    first = wg.default_generator.numpy.random(4)
    wg.default_generator.set_state(state)
    np.testing.assert_array_equal(wg.default_generator.numpy.random(4), first)


def test_loading_never_unpickles(monkeypatch, tmp_path):
    path = tmp_path / "state.npz"
    save({"w": wg.tensor([1.0, 2.0]), "n": [1, 2.0, "x"]}, path)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    assert _round_trip(np.ones(2)).tolist() == [1.0, 1.0]
    assert load(path)["n"] == [1, 2.0, "x"]


def test_the_file_is_an_npz_with_a_json_manifest(tmp_path):
    path = tmp_path / "file.npz"
    save({"w": wg.tensor([1.0], requires_grad=True)}, path)
    with np.load(path, allow_pickle=False) as archive:
        manifest = json.loads(archive["manifest"].tobytes().decode())
        assert manifest["format"] == "wengert.save" and manifest["version"] == 1
        assert manifest["root"]["kind"] == "dict"
        [[key, value]] = manifest["root"]["items"]
        assert key == {"kind": "str", "value": "w"}
        assert value["kind"] == "tensor" and value["requires_grad"] is True
        np.testing.assert_array_equal(archive[value["entry"]], [1.0])


# -- refusals when saving --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj, message",
    [
        ({"model": nn.Linear(2, 2, seed=0)}, r"obj\['model'\] is a wengert.nn.layers.Linear.*state_dict\(\)"),
        ([1, lambda x: x], r"obj\[1\] is a builtins.function"),
        ({"objects": np.array([object()], dtype=object)}, "dtype object; save stores arrays of numbers"),
        ({"strings": np.array(["a"])}, "dtype <U1"),
        ({"set": {1, 2}}, "builtins.set"),
        ({1j: 2}, "keys must be str, int, float, bool or None"),
        (3 + 4j, r"complex numbers: store an array"),
    ],
)
def test_what_cannot_be_stored_is_refused_by_path(obj, message):
    with pytest.raises(TypeError, match=message):
        save(obj, io.BytesIO())


def test_a_structure_containing_itself_is_refused():
    looped = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match=r"obj\[1\] contains itself"):
        save(looped, io.BytesIO())


def test_traced_values_are_refused():
    def f(x):
        save({"x": x}, io.BytesIO())
        return x

    with pytest.raises(TypeError, match="traced by a transformation"):
        wg.grad(lambda x: f(x) * 1.0)(1.0)


def test_a_failed_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "model.pt"
    save({"w": np.ones(2)}, path)
    with pytest.raises(TypeError):
        save({"w": np.ones(2), "bad": object()}, path)
    np.testing.assert_array_equal(load(path)["w"], [1.0, 1.0])
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]


# -- refusals when loading -------------------------------------------------------------------------


def test_a_file_with_a_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    manifest = json.dumps({"format": "wengert.save", "version": 1, "root": {"kind": "ndarray", "entry": "a0"}})
    np.savez(path, manifest=np.frombuffer(manifest.encode(), np.uint8), a0=np.array([{"x": 1}, None], dtype=object))
    with pytest.raises(ValueError, match=r"entry 'a0' holds Python objects.*never unpickles"):
        load(path)


def test_an_unreferenced_object_array_is_refused_too(tmp_path):
    path = tmp_path / "extra.npz"
    save([np.ones(1)], path)
    with np.load(path) as archive:
        entries = dict(archive)
    entries["a9"] = np.array([object()], dtype=object)
    np.savez(path, **entries)
    with pytest.raises(ValueError, match=r"entries the manifest does not describe: \['a9'\]"):
        load(path)


def test_a_pickle_is_refused(tmp_path):
    path = tmp_path / "state.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(ValueError, match="holds pickled Python objects.*never unpickles"):
        load(path)


def test_a_pytorch_file_is_refused_with_advice(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="a PyTorch torch.save file: load it with torch.load"):
        load(path)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_a_truncated_file_gives_a_clear_error(tmp_path, fraction):
    path = tmp_path / "model.pt"
    save({f"layer{i}": np.random.default_rng(i).standard_normal((20, 20)) for i in range(4)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match="truncated or damaged"):
        load(path)


def test_a_corrupted_entry_gives_a_clear_error(tmp_path):
    path = tmp_path / "model.pt"
    save({"w": np.zeros(1000)}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY", data.index(b"a0.npy"))
    data[start + 200 : start + 210] = b"\xff" * 10  # inside a0's values: the zip's checksum no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        load(path)


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"x": np.ones(2)}, "without a wengert manifest"),
        ({"manifest": np.frombuffer(b"{not json", np.uint8)}, "damaged manifest"),
        ({"manifest": np.frombuffer(b'{"format": "other"}', np.uint8)}, "names no 'wengert.save' format"),
        ({"manifest": np.frombuffer(b'{"format": "wengert.save", "version": 99}', np.uint8)}, "format version 99"),
        ({"manifest": np.array([1.5])}, "not the bytes of JSON text"),
        (
            {
                "manifest": np.frombuffer(
                    b'{"format": "wengert.save", "version": 1, "root": {"kind": "ndarray", "entry": "a3"}}', np.uint8
                )
            },
            "names an array entry 'a3' that the file does not hold",
        ),
        (
            {
                "manifest": np.frombuffer(
                    b'{"format": "wengert.save", "version": 1, "root": {"kind": "code", "value": "rm"}}', np.uint8
                )
            },
            "unknown kind of value 'code'",
        ),
        (
            {
                "manifest": np.frombuffer(
                    b'{"format": "wengert.save", "version": 1, '
                    b'"root": {"kind": "tensor", "entry": "a0", "requires_grad": true}}',
                    np.uint8,
                ),
                "a0": np.array([1, 2]),
            },
            "requires grad but has dtype int64",
        ),
    ],
)
def test_malformed_files_are_refused(tmp_path, entries, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **entries)
    with pytest.raises(ValueError, match=message):
        load(path)


def test_other_files_are_refused(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"hello, not a zip file at all")
    with pytest.raises(ValueError, match="not a wengert.save file: it does not start as a zip archive"):
        load(garbage)
    single = tmp_path / "array.npy"
    np.save(single, np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        load(single)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pt")


def test_paths_file_objects_and_map_location(tmp_path):
    obj = {"w": wg.tensor([1.0])}
    save(obj, str(tmp_path / "a"))
    assert load(str(tmp_path / "a"), map_location="cpu")["w"].tolist() == [1.0]
    with open(tmp_path / "b", "wb") as file:
        save(obj, file)
    with open(tmp_path / "b", "rb") as file:
        assert load(file, weights_only=True)["w"].tolist() == [1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        load(tmp_path / "a", map_location="cuda:0")
