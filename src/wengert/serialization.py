"""``wg.save`` and ``wg.load``: state dicts, tensors and arrays in a NumPy ``.npz`` file, never a pickle.

A saved object may nest dicts (any order kept; keys str, int, float, bool,
None or tuples of them), lists and tuples of tensors, NumPy arrays and
scalars, Python numbers, strings, booleans and None: a model's or an
optimiser's ``state_dict()``, a generator's state, a checkpoint of all three.
The file is an uncompressed ``.npz`` archive: one ``.npy`` entry per array and
a JSON manifest describing the structure (which entries are tensors, their
``requires_grad``, the dict keys). Tensors come back as tensors (``Parameter``
as ``Parameter``) with their dtype, shape and ``requires_grad``; a tensor or
array stored twice comes back as one object.

Loading never unpickles: arrays are read with ``np.load(allow_pickle=False)``,
and a file holding object arrays, pickled data or anything but the manifest and
its arrays is refused with an error saying what it holds. Unpickling runs code
chosen by whoever wrote the file; here there is nothing to run, so ``load`` is
always what PyTorch calls ``weights_only``.

Example:
    >>> import io
    >>> import wengert as wg
    >>> buffer = io.BytesIO()
    >>> save({"w": wg.tensor([1.0, 2.0], requires_grad=True), "step": 3}, buffer)
    >>> _ = buffer.seek(0)
    >>> load(buffer)
    {'w': tensor([1., 2.], requires_grad=True), 'step': 3}
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from .core import Tracer
from .dtypes import Device
from .tensor import Tensor, from_numpy

FORMAT = "wengert.save"
VERSION = 1
_MANIFEST = "manifest"
# The array kinds a file may hold: booleans, integers, unsigned integers, floating and complex numbers.
_NUMERIC_KINDS = "biufc"

PathOrFile = str | os.PathLike | IO[bytes]


class _Writer:
    """Walks the object, giving each array an entry and each value a manifest node."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, str] = {}  # id of a tensor or array already stored -> its entry
        self.keep_alive: list[Any] = []  # so that ids are not reused while writing
        self.open_containers: set[int] = set()

    def node(self, value: Any, path: str) -> dict:
        if value is None:
            return {"kind": "none"}
        if isinstance(value, bool):
            return {"kind": "bool", "value": value}
        if isinstance(value, Tensor):
            return self.tensor(value, path)
        if isinstance(value, Tracer):
            raise TypeError(
                f"save: {path} is a value traced by a transformation; save plain values (outside wg.grad/jit...)"
            )
        if isinstance(value, np.ndarray):
            return self.array(value, path, "ndarray")
        if isinstance(value, np.generic):
            return self.array(np.asarray(value), path, "numpy_scalar")
        if isinstance(value, int):
            return {"kind": "int", "value": str(int(value))}
        if isinstance(value, float):
            return {"kind": "float", "value": repr(float(value))}
        if isinstance(value, str):
            return {"kind": "str", "value": str(value)}
        if isinstance(value, (dict, list, tuple)):
            return self.container(value, path)
        raise TypeError(f"save: {path} is {_described(value)}, which save cannot store{_advice(value)}")

    def container(self, value: Any, path: str) -> dict:
        if id(value) in self.open_containers:
            raise ValueError(f"save: {path} contains itself; a saved object must be a tree")
        self.open_containers.add(id(value))
        try:
            if isinstance(value, dict):
                if type(value) not in (dict, OrderedDict):
                    raise TypeError(f"save: {path} is {_described(value)}; pass a plain dict (dict(...))")
                items = [[self.key(key, path), self.node(item, f"{path}[{key!r}]")] for key, item in value.items()]
                return {"kind": "dict", "ordered": isinstance(value, OrderedDict), "items": items}
            if type(value) not in (list, tuple):
                raise TypeError(f"save: {path} is {_described(value)}; pass a plain list or tuple")
            items = [self.node(item, f"{path}[{index}]") for index, item in enumerate(value)]
            return {"kind": type(value).__name__, "items": items}
        finally:
            self.open_containers.discard(id(value))

    def key(self, key: Any, path: str) -> dict:
        if key is None or isinstance(key, (str, bool, int, float)):
            return self.node(key, path)
        if isinstance(key, tuple):
            return {"kind": "tuple", "items": [self.key(part, path) for part in key]}
        raise TypeError(f"save: a key of {path} is {_described(key)}; keys must be str, int, float, bool or None")

    def tensor(self, value: Tensor, path: str) -> dict:
        primal = value.primal
        if isinstance(primal, Tracer):
            raise TypeError(f"save: {path} is a tensor whose values are traced by a transformation; save plain ones")
        from .nn.module import Parameter

        node = self.array(np.asarray(primal), path, "tensor", identity=value)
        if node["kind"] == "tensor":
            node["requires_grad"] = bool(value.requires_grad)
            if isinstance(value, Parameter):
                node["parameter"] = True
        return node

    def array(self, value: np.ndarray, path: str, kind: str, identity: Any = None) -> dict:
        identity = value if identity is None else identity
        if kind != "numpy_scalar" and id(identity) in self.seen:
            return {"kind": "same", "entry": self.seen[id(identity)]}
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(
                f"save: {path} is an array of dtype {value.dtype}; save stores arrays of numbers and booleans only"
            )
        entry = f"a{len(self.arrays)}"
        self.arrays[entry] = value
        if kind != "numpy_scalar":
            self.seen[id(identity)] = entry
            self.keep_alive.append(identity)
        return {"kind": kind, "entry": entry}


def _described(value: Any) -> str:
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def _advice(value: Any) -> str:
    if hasattr(value, "state_dict") and callable(value.state_dict):
        return "; save its state_dict() instead, and load it with load_state_dict(wg.load(path))"
    if isinstance(value, complex):
        return " (complex numbers: store an array)"
    return "; save tensors, arrays, numbers, strings, and dicts, lists and tuples of them"


def save(obj: Any, f: PathOrFile) -> None:
    """Write ``obj`` (a state dict, a tensor, nested dicts/lists/tuples of them...) to ``f``: a path or binary file.

    The file is a NumPy ``.npz`` archive with a JSON manifest (see the module's
    description); no pickle is written, so `load` runs no code. A path is
    written as given (no extension is added) by writing a temporary file next
    to it and renaming it, so an interrupted save leaves the old file intact.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> save(np.arange(3), buffer)
        >>> buffer.getvalue()[:2]
        b'PK'
    """
    writer = _Writer()
    root = writer.node(obj, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    entries = {_MANIFEST: np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8), **writer.arrays}
    if hasattr(f, "write"):
        np.savez(f, **entries)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".wengert-save-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **entries)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class _Reader:
    """Rebuilds the saved object from the manifest, reading each entry once."""

    def __init__(self, archive: Any, name: str) -> None:
        self.archive = archive
        self.name = name
        self.loaded: dict[str, Any] = {}
        self.read: set[str] = set()

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"load: {self.name} is not a valid wengert.save file: {problem}")

    def node(self, node: Any) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("kind"), str):
            raise self.fail(f"the manifest has {node!r} where a value's description belongs")
        kind = node["kind"]
        if kind == "none":
            return None
        if kind in ("bool", "str"):
            value = node.get("value")
            if not isinstance(value, bool if kind == "bool" else str):
                raise self.fail(f"a {kind} value is {value!r}")
            return value
        if kind in ("int", "float"):
            try:
                return (int if kind == "int" else float)(node["value"])
            except (KeyError, TypeError, ValueError):
                raise self.fail(f"an {kind} value is {node.get('value')!r}") from None
        if kind in ("list", "tuple"):
            items = [self.node(item) for item in self.items(node)]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            pairs = []
            for pair in self.items(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail("a dict item is not a [key, value] pair")
                key = self.node(pair[0])
                try:
                    hash(key)
                except TypeError:
                    raise self.fail(f"a dict key is {type(key).__name__}") from None
                pairs.append((key, self.node(pair[1])))
            return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
        if kind == "same":
            entry = node.get("entry")
            if entry not in self.loaded:
                raise self.fail(f"a repeated value refers to entry {entry!r}, which comes later or does not exist")
            return self.loaded[entry]
        if kind in ("ndarray", "numpy_scalar", "tensor"):
            array = self.array(node.get("entry"))
            if kind == "numpy_scalar":
                if array.ndim != 0:
                    raise self.fail(f"the NumPy scalar {node['entry']!r} has shape {array.shape}")
                return array[()]
            value = array if kind == "ndarray" else self.tensor(array, node)
            self.loaded[node["entry"]] = value
            return value
        raise self.fail(f"unknown kind of value {kind!r} (written by a newer wengert?)")

    def items(self, node: dict) -> list:
        items = node.get("items")
        if not isinstance(items, list):
            raise self.fail(f"a {node['kind']} has no list of items")
        return items

    def array(self, entry: Any) -> np.ndarray:
        if not isinstance(entry, str) or entry == _MANIFEST or entry not in self.archive.files:
            raise self.fail(f"the manifest names an array entry {entry!r} that the file does not hold")
        if entry in self.loaded:
            raise self.fail(f"the array entry {entry!r} is used twice without being marked as the same value")
        self.read.add(entry)
        array = _read_entry(self.archive, entry, self.name)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise self.fail(f"entry {entry!r} has dtype {array.dtype}, not numbers")
        return array

    def tensor(self, array: np.ndarray, node: dict) -> Tensor:
        requires_grad = node.get("requires_grad", False)
        if not isinstance(requires_grad, bool):
            raise self.fail(f"requires_grad of entry {node['entry']!r} is {requires_grad!r}")
        if requires_grad and array.dtype.kind != "f":
            raise self.fail(f"entry {node['entry']!r} requires grad but has dtype {array.dtype}")
        if node.get("parameter"):
            from .nn.module import Parameter

            return Parameter(array, requires_grad=requires_grad)
        out = from_numpy(array)
        if requires_grad:
            out.requires_grad_(True)
        return out


def _read_entry(archive: Any, entry: str, name: str) -> np.ndarray:
    try:
        return archive[entry]
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise ValueError(
                f"load: refused {name}: entry {entry!r} holds Python objects (a pickled object array); "
                "wengert.load never unpickles, since unpickling can run code the file chooses"
            ) from None
        raise ValueError(f"load: {name} is damaged: entry {entry!r} cannot be read ({error})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, RuntimeError) as error:
        raise ValueError(f"load: {name} is damaged or truncated: entry {entry!r} cannot be read ({error})") from None


def load(f: PathOrFile, map_location: Any = None, *, weights_only: bool | None = None, mmap: bool | None = None) -> Any:
    """Read what `save` wrote: tensors come back as tensors, arrays as arrays, dicts, lists, numbers as they were.

    ``map_location`` may only name the CPU (``None``, ``"cpu"``, a CPU device);
    ``weights_only`` and ``mmap`` are accepted for PyTorch's scripts (loading
    is always weights-only: no pickle is ever read). A file that is not a
    wengert.save archive, is truncated, or holds object arrays raises a
    ValueError saying so.

    Example:
        >>> import io
        >>> import wengert as wg
        >>> buffer = io.BytesIO()
        >>> save([wg.tensor(1.0), np.float32(2.5)], buffer)
        >>> _ = buffer.seek(0)
        >>> load(buffer, map_location="cpu")
        [tensor(1.), np.float32(2.5)]
    """
    if map_location is not None and not isinstance(map_location, Device):
        text = str(map_location) if isinstance(map_location, str) or hasattr(map_location, "type") else None
        if text is None or text.partition(":")[0] != "cpu":
            raise RuntimeError(
                f"load: wengert computes on the CPU only; map_location must be None or 'cpu', got {map_location!r}"
            )
    if hasattr(f, "read"):
        return _load_file(f, "the file")
    name = repr(os.fspath(f))
    with open(f, "rb") as file:
        return _load_file(file, name)


def _load_file(file: IO[bytes], name: str) -> Any:
    """Look at the first bytes before handing the file to NumPy: only a zip archive goes on."""
    start = file.tell()
    magic = file.read(6)
    file.seek(start)
    if magic[:2] != b"PK":
        if not magic:
            raise ValueError(f"load: {name} is empty: truncated or damaged")
        if magic == b"\x93NUMPY":
            raise ValueError(f"load: {name} is a single .npy array, not a wengert.save file; read it with np.load")
        if magic[:1] == b"\x80":
            raise ValueError(
                f"load: refused {name}: it holds pickled Python objects (a pickle, or a torch.save file written "
                "without zip); wengert.load never unpickles, since unpickling can run code the file chooses"
            )
        raise ValueError(f"load: {name} is not a wengert.save file: it does not start as a zip archive ({magic!r})")
    try:
        archive = np.load(file, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ValueError(
            f"load: {name} is not a readable wengert.save file: it is truncated or damaged "
            f"({type(error).__name__}: {error})"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {name} is not a wengert.save file (NumPy read it as {type(archive).__name__})")
    with archive:
        return _load_archive(archive, name)


def _load_archive(archive: Any, name: str) -> Any:
    members = archive.zip.namelist()
    strangers = [member for member in members if not member.endswith(".npy")]
    if strangers:
        hint = (
            " (a PyTorch torch.save file: load it with torch.load and save tensors with wg.save)"
            if any(member.endswith("data.pkl") for member in strangers)
            else ""
        )
        raise ValueError(
            f"load: refused {name}: it holds {strangers[:3]} besides arrays{hint}; a wengert.save file holds only "
            ".npy entries"
        )
    if _MANIFEST not in archive.files:
        raise ValueError(f"load: {name} is an .npz archive without a wengert manifest (saved with np.savez?)")
    manifest_bytes = _read_entry(archive, _MANIFEST, name)
    if manifest_bytes.dtype != np.uint8 or manifest_bytes.ndim != 1:
        raise ValueError(f"load: {name} has a manifest of dtype {manifest_bytes.dtype}, not the bytes of JSON text")
    try:
        manifest = json.loads(manifest_bytes.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"load: {name} has a damaged manifest ({type(error).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"load: {name} is not a wengert.save file (its manifest names no {FORMAT!r} format)")
    if manifest.get("version") != VERSION:
        raise ValueError(
            f"load: {name} is format version {manifest.get('version')!r}; this wengert reads version {VERSION}"
        )
    reader = _Reader(archive, name)
    try:
        result = reader.node(manifest.get("root"))
    except RecursionError:
        raise reader.fail("the structure is nested too deeply") from None
    unread = sorted(set(archive.files) - reader.read - {_MANIFEST})
    if unread:
        raise reader.fail(f"it holds entries the manifest does not describe: {unread[:5]}")
    return result


__all__ = ["load", "save"]
