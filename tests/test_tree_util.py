"""``wengert.tree_util``: JAX's tree functions over wengert's pytrees, checked against ``jax.tree_util``."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
import wengert.tree_util as tu


class Point(NamedTuple):
    x: float
    y: float


@dataclasses.dataclass
class Layer:
    weight: np.ndarray
    bias: float


class Box:
    """A container registered with JAX's signature (children, aux_data) / (aux_data, children)."""

    def __init__(self, content, label: str) -> None:
        self.content, self.label = content, label


tu.register_pytree_node(Box, lambda box: ((box.content,), box.label), lambda label, children: Box(children[0], label))


@tu.register_pytree_node_class
class Affine:
    def __init__(self, scale, shift, name: str = "affine") -> None:
        self.scale, self.shift, self.name = scale, shift, name

    def tree_flatten(self):
        return (self.scale, self.shift), self.name

    @classmethod
    def tree_unflatten(cls, name, children):
        return cls(*children, name=name)


TREES = [
    1.0,
    None,
    (1, 2),
    [1, (2, 3), [4]],
    {"b": 1, "a": (2, None), "c": {"z": 3, "y": [4, 5]}},
    ((), [], {}, None),
    Point(1.0, [2.0, 3.0]),
    [Point(x=1, y=2), {"k": (None, 3)}],
]


@pytest.fixture(scope="module")
def jtu():
    return pytest.importorskip("jax").tree_util


@pytest.mark.parametrize("tree", TREES, ids=repr)
def test_leaves_and_structure_match_jax(jtu, tree) -> None:
    assert tu.tree_leaves(tree) == jtu.tree_leaves(tree)
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == jtu.tree_flatten(tree)[0]
    assert treedef.num_leaves == jtu.tree_structure(tree).num_leaves
    assert tu.tree_unflatten(treedef, leaves) == tree
    assert treedef.unflatten(leaves) == tree
    assert tu.tree_map(lambda leaf: ("seen", leaf), tree) == jtu.tree_map(lambda leaf: ("seen", leaf), tree)


def test_dict_leaves_come_in_sorted_key_order() -> None:
    assert tu.tree_leaves({"b": 2, "a": 1, "c": 3}) == [1, 2, 3]
    assert tu.tree_map(lambda v: v * 10, {"b": 2, "a": 1}) == {"a": 10, "b": 20}


def test_tree_map_over_several_trees(jtu) -> None:
    a = {"w": np.ones(2), "b": (1.0, 2.0)}
    b = {"w": np.full(2, 3.0), "b": (10.0, 20.0)}
    result = tu.tree_map(lambda x, y: x + y, a, b)
    np.testing.assert_array_equal(result["w"], [4.0, 4.0])
    assert result["b"] == (11.0, 22.0)
    three = tu.tree_map(lambda x, y, z: x * y - z, [1, 2], [3, 4], [5, 6])
    assert three == jtu.tree_map(lambda x, y, z: x * y - z, [1, 2], [3, 4], [5, 6]) == [-2, 2]


def test_later_trees_may_hold_subtrees_where_the_first_has_leaves(jtu) -> None:
    """As in JAX: the first tree's structure is a prefix of the others'."""
    first, second = [1, 2], [(3, 4), {"k": 5}]
    assert tu.tree_map(lambda x, y: (x, y), first, second) == jtu.tree_map(lambda x, y: (x, y), first, second)
    assert tu.tree_structure(first).flatten_up_to(second) == [(3, 4), {"k": 5}]


def test_none_is_an_empty_subtree_in_every_tree(jtu) -> None:
    assert tu.tree_map(lambda x, y: x + y, (1, None), (2, None)) == (3, None)
    with pytest.raises(ValueError, match=r"tree 2 .* at \[1\] it has 3 \(int\) where the first tree has a NoneType"):
        tu.tree_map(lambda x, y: x, (1, None), (2, 3))
    with pytest.raises(ValueError):
        jtu.tree_map(lambda x, y: x, (1, None), (2, 3))


def test_mismatches_name_the_path() -> None:
    with pytest.raises(ValueError, match=r"tree 2 .* at the root its dict has the keys \['b'\] where \['a'\]"):
        tu.tree_map(lambda x, y: x, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"at the root its list has 3 children where 2 were expected"):
        tu.tree_map(lambda x, y: x, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"at \['a'\]\[1\] it has \[2, 3\] \(list\) where the first tree has a tuple"):
        tu.tree_map(lambda x, y: x, {"a": [1, (2, 3)]}, {"a": [1, [2, 3]]})
    with pytest.raises(ValueError, match=r"tree 3 .* at \.y it has"):
        tu.tree_map(lambda x, y, z: x, Point(1, (2,)), Point(1, (2,)), Point(1, 2))
    with pytest.raises(ValueError, match=r"metadata 'other' where 'affine' was expected"):
        tu.tree_map(lambda x, y: x, Affine(1, 2), Affine(1, 2, name="other"))


def test_is_leaf_stops_flattening(jtu) -> None:
    tree = [(1, 2), [3, (4, 5)], None]

    def is_pair(node):
        return isinstance(node, tuple)

    assert tu.tree_leaves(tree, is_leaf=is_pair) == jtu.tree_leaves(tree, is_leaf=is_pair) == [(1, 2), 3, (4, 5)]
    leaves, treedef = tu.tree_flatten(tree, is_leaf=is_pair)
    assert tu.tree_unflatten(treedef, leaves) == tree

    def total(leaf):
        return sum(leaf) if isinstance(leaf, tuple) else leaf

    assert tu.tree_map(total, tree, is_leaf=is_pair) == jtu.tree_map(total, tree, is_leaf=is_pair) == [3, [3, 9], None]
    with_none = tu.tree_map(lambda v: "none" if v is None else v, (1, None), is_leaf=lambda v: v is None)
    assert with_none == jtu.tree_map(lambda v: "none" if v is None else v, (1, None), is_leaf=lambda v: v is None)
    assert with_none == (1, "none")
    assert tu.tree_structure(tree, is_leaf=is_pair) != tu.tree_structure(tree)
    # is_leaf applies to the first tree only; the others are flattened up to its structure.
    assert tu.tree_map(lambda a, b: (a, b), [(1, 2)], [[3, 4]], is_leaf=is_pair) == [((1, 2), [3, 4])]


def test_structures_compare_and_rebuild() -> None:
    assert tu.tree_structure({"a": 1, "b": (2, 3)}) == tu.tree_structure({"a": 9, "b": (8, 7)})
    assert tu.tree_structure({"a": 1}) != tu.tree_structure({"b": 1})
    assert tu.tree_structure((1, 2)) != tu.tree_structure([1, 2])
    assert hash(tu.tree_structure((1, [2]))) == hash(tu.tree_structure((5, [6])))
    treedef = tu.tree_structure(Layer(np.ones(2), 0.5))
    rebuilt = treedef.unflatten([np.zeros(2), 1.5])
    assert isinstance(rebuilt, Layer) and rebuilt.bias == 1.5
    with pytest.raises(ValueError, match="too many leaves"):
        tu.tree_unflatten(tu.tree_structure((1, 2)), [1, 2, 3])
    with pytest.raises(ValueError, match="too few leaves"):
        tu.tree_unflatten(tu.tree_structure((1, 2)), [1])


def test_registered_nodes_work_here_and_in_every_transformation() -> None:
    box = Box({"w": 2.0, "b": 3.0}, "params")
    assert tu.tree_leaves(box) == [3.0, 2.0]
    doubled = tu.tree_map(lambda v: 2 * v, box)
    assert isinstance(doubled, Box) and doubled.label == "params" and doubled.content == {"w": 4.0, "b": 6.0}
    gradient = wg.grad(lambda p: p.content["w"] ** 2 * p.content["b"])(box)
    assert isinstance(gradient, Box) and gradient.content == {"w": 12.0, "b": 4.0}
    affine = Affine(np.array([1.0, 2.0]), 0.5)
    grads = wg.grad(lambda a: wnp.sum(a.scale * 3.0 + a.shift))(affine)
    assert isinstance(grads, Affine) and grads.name == "affine"
    np.testing.assert_array_equal(grads.scale, [3.0, 3.0])
    assert grads.shift == 2.0


def test_registration_refusals() -> None:
    class Fresh:
        pass

    with pytest.raises(TypeError, match="nodetype must be a class"):
        tu.register_pytree_node(Fresh(), lambda x: ((), None), lambda aux, children: Fresh())
    with pytest.raises(TypeError, match="flatten_func must be a function"):
        tu.register_pytree_node(Fresh, None, lambda aux, children: Fresh())
    with pytest.raises(ValueError, match="Box is already registered"):
        tu.register_pytree_node(Box, lambda box: ((), None), lambda aux, children: None)
    with pytest.raises(TypeError, match="has no method tree_unflatten"):

        @tu.register_pytree_node_class
        class Half:
            def tree_flatten(self):
                return (), None

    class Listy:
        def __init__(self, items) -> None:
            self.items = items

    tu.register_pytree_node(Listy, lambda node: (node.items, list(node.items)), lambda aux, children: Listy(children))
    with pytest.raises(TypeError, match=r"unhashable aux_data \[1, 2\]; return a hashable value"):
        tu.tree_leaves(Listy([1, 2]))

    class Bare:
        pass

    tu.register_pytree_node(Bare, lambda node: [1, 2, 3], lambda aux, children: Bare())
    with pytest.raises(TypeError, match=r"must return \(children, aux_data\), got \[1, 2, 3\]"):
        tu.tree_leaves(Bare())


def test_tree_reduce_and_tree_all(jtu) -> None:
    tree = {"a": 1, "b": [2, 3], "c": None}
    assert tu.tree_reduce(lambda x, y: x + y, tree) == jtu.tree_reduce(lambda x, y: x + y, tree) == 6
    assert tu.tree_reduce(lambda x, y: x * y, tree, 10) == 60
    collected = tu.tree_reduce(lambda seen, leaf: [*seen, leaf], [(1, 5), 2], [], lambda node: isinstance(node, tuple))
    assert collected == [(1, 5), 2]
    assert tu.tree_reduce(lambda x, y: x + y, [], 0) == 0
    with pytest.raises(TypeError, match="no leaves and no initializer"):
        tu.tree_reduce(lambda x, y: x + y, [None, ()])
    assert tu.tree_all([True, (1, None)]) and not tu.tree_all({"a": 1, "b": 0}) and tu.tree_all([])
    assert tu.tree_all([(0, 0)], is_leaf=lambda node: isinstance(node, tuple))  # a non-empty tuple is true


def test_a_jax_style_training_step() -> None:
    """tree_map applies an optimiser step to a gradient with the parameters' structure."""
    params = {"w": np.array([1.0, -2.0]), "b": 0.5}
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 0.0])

    def loss(p):
        return wnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    grads = wg.grad(loss)(params)
    assert tu.tree_structure(grads) == tu.tree_structure(params)
    new = tu.tree_map(lambda p, g: p - 0.01 * g, params, grads)
    assert loss(new) < loss(params)
    residual = x @ params["w"] + params["b"] - y
    np.testing.assert_allclose(grads["w"], 2 * x.T @ residual / 2)
    assert grads["b"] == pytest.approx(float(np.mean(2 * residual)))
