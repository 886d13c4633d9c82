"""``wengert.random``: explicit keys that reproduce, split keys that are independent, draws that batch, stage,
recompute and differentiate like any primitive, and clear refusals of keys that are not keys."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
import wengert.random as wr

N = 100_000
KEY = wr.PRNGKey(0)
KEYS = wr.split(wr.PRNGKey(7), 5)


# -- keys ----------------------------------------------------------------------------------------


def test_keys_are_jaxs_raw_layout() -> None:
    assert KEY.dtype == np.uint32 and KEY.shape == (2,)
    assert wr.PRNGKey(0).tolist() == [0, 0]
    assert wr.PRNGKey(42).tolist() == [0, 42]
    assert wr.PRNGKey(2**32 + 1).tolist() == [1, 1]
    assert wr.PRNGKey(2**64 - 1).tolist() == [2**32 - 1, 2**32 - 1]
    assert wr.PRNGKey(-1).tolist() == [2**32 - 1, 2**32 - 1]  # 64-bit two's complement
    assert wr.PRNGKey(np.int32(5)).tolist() == wr.PRNGKey(np.array(5)).tolist() == [0, 5]
    assert wr.key(9).tolist() == wr.PRNGKey(9).tolist()


def test_split_and_fold_in_give_fixed_keys() -> None:
    """Derived keys depend only on Philox's raw bits, which NumPy keeps fixed: these values never change."""
    assert wr.split(KEY).tolist() == [[2089119815, 1111139030], [3277976405, 1744451886]]
    assert wr.fold_in(KEY, 3).tolist() == [2070645602, 2276478749]


def test_split_shapes() -> None:
    assert wr.split(KEY).shape == (2, 2)
    assert wr.split(KEY, 5).shape == (5, 2)
    assert wr.split(KEY, (2, 3)).shape == (2, 3, 2)
    assert wr.split(KEY, 0).shape == (0, 2)
    np.testing.assert_array_equal(wr.split(KEY, (2, 3)).reshape(6, 2), wr.split(KEY, 6))
    assert wr.split(KEY, 5)[:2].tolist() == wr.split(KEY, 2).tolist()  # a prefix of the same stream


def test_derived_keys_are_distinct() -> None:
    keys = wr.split(KEY, 1000)
    assert len({tuple(k) for k in keys}) == 1000
    assert tuple(KEY) not in {tuple(k) for k in keys}
    folded = {tuple(wr.fold_in(KEY, i)) for i in range(1000)}
    assert len(folded) == 1000 and tuple(KEY) not in folded
    assert wr.fold_in(KEY, 0).tolist() != KEY.tolist()
    assert wr.fold_in(KEY, -1).tolist() == wr.fold_in(KEY, 2**64 - 1).tolist()  # wraps as 64-bit integers do


# -- reproducibility -----------------------------------------------------------------------------

DRAWS = {
    "normal": lambda k: wr.normal(k, (4,)),
    "uniform": lambda k: wr.uniform(k, (4,)),
    "randint": lambda k: wr.randint(k, (4,), -5, 5),
    "bernoulli": lambda k: wr.bernoulli(k, 0.5, (4,)),
    "permutation": lambda k: wr.permutation(k, 6),
    "choice": lambda k: wr.choice(k, 10, (3,), replace=False),
    "gumbel": lambda k: wr.gumbel(k, (4,)),
    "exponential": lambda k: wr.exponential(k, (4,)),
    "categorical": lambda k: wr.categorical(k, np.zeros((4, 3))),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_the_same_key_gives_the_same_numbers_and_another_key_others(name: str) -> None:
    draw = DRAWS[name]
    np.testing.assert_array_equal(draw(KEY), draw(KEY))
    np.testing.assert_array_equal(draw(wr.PRNGKey(0)), draw(np.array([0, 0], dtype=np.uint32)))
    different = [not np.array_equal(draw(KEY), draw(k)) for k in KEYS]
    assert sum(different) >= 4  # a small draw (4 booleans) may coincide once in 16 keys


def test_another_process_draws_the_same_numbers() -> None:
    code = "import wengert.random as wr; print(wr.normal(wr.split(wr.PRNGKey(3))[1], (5,)).tolist())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(wr.normal(wr.split(wr.PRNGKey(3))[1], (5,)).tolist())


def test_numpys_global_state_is_neither_read_nor_moved() -> None:
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        first = wr.normal(KEY, (3,))
        state = np.random.get_state()[1].copy()
        np.random.seed(2)
        np.testing.assert_array_equal(wr.normal(KEY, (3,)), first)
        np.random.seed(1)
        wr.normal(KEY, (3,))
        np.testing.assert_array_equal(np.random.get_state()[1], state)
    finally:
        np.random.set_state(saved)


# -- statistics: within 5 standard errors ---------------------------------------------------------


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(float), b.astype(float))[0, 1])


def test_split_keys_give_uncorrelated_streams() -> None:
    parent = KEY
    first, second = wr.split(parent)
    streams = [wr.normal(k, (N,)) for k in (parent, first, second, wr.fold_in(parent, 1), wr.fold_in(parent, 2))]
    bound = 5 / np.sqrt(N)
    for i in range(len(streams)):
        for j in range(i):
            assert abs(_correlation(streams[i], streams[j])) < bound, (i, j)
    # Different distributions of one key share its bits (as in JAX); of split keys they do not.
    assert abs(_correlation(wr.uniform(first, (N,)), wr.uniform(second, (N,)))) < bound


def test_neighbouring_keys_and_lagged_draws_are_uncorrelated() -> None:
    bound = 5 / np.sqrt(N)
    a, b = wr.normal(wr.PRNGKey(1), (N,)), wr.normal(wr.PRNGKey(2), (N,))
    assert abs(_correlation(a, b)) < bound
    assert abs(_correlation(a[1:], a[:-1])) < bound


def test_normal_moments() -> None:
    x = wr.normal(KEY, (N,))
    assert abs(x.mean()) < 5 / np.sqrt(N)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(np.mean(x**3)) < 5 * np.sqrt(15 / N)  # symmetric


def test_uniform_moments_and_range() -> None:
    u = wr.uniform(KEY, (N,))
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / N)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / N)
    v = wr.uniform(KEY, (N,), minval=-2.0, maxval=3.0)
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 5 * 5 * np.sqrt(1 / 12 / N)


def test_discrete_frequencies() -> None:
    b = wr.bernoulli(KEY, 0.3, (N,))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.3) < 5 * np.sqrt(0.21 / N)
    r = wr.randint(KEY, (N,), 3, 8)
    assert r.dtype == np.int64 and set(np.unique(r).tolist()) == {3, 4, 5, 6, 7}
    assert np.all(np.abs(np.bincount(r - 3) / N - 0.2) < 5 * np.sqrt(0.16 / N))
    c = wr.categorical(KEY, np.log(np.array([0.1, 0.6, 0.3])), shape=(N,))
    assert np.all(np.abs(np.bincount(c, minlength=3) / N - [0.1, 0.6, 0.3]) < 5 * np.sqrt(0.25 / N))
    weights = np.array([1.0, 0.0, 3.0])  # unnormalised, as JAX allows
    chosen = wr.choice(KEY, 3, (N,), p=weights)
    assert np.all(np.abs(np.bincount(chosen, minlength=3) / N - [0.25, 0.0, 0.75]) < 5 * np.sqrt(0.25 / N))


def test_continuous_transforms_have_their_means() -> None:
    assert abs(wr.exponential(KEY, (N,)).mean() - 1) < 5 / np.sqrt(N)
    gumbel = wr.gumbel(KEY, (N,))
    assert abs(gumbel.mean() - np.euler_gamma) < 5 * (np.pi / np.sqrt(6)) / np.sqrt(N)


def test_permutations_are_permutations_and_uniform() -> None:
    assert sorted(wr.permutation(KEY, 10).tolist()) == list(range(10))
    x = np.arange(12.0).reshape(4, 3)
    shuffled = wr.permutation(KEY, x)
    assert sorted(map(tuple, shuffled.tolist())) == sorted(map(tuple, x.tolist()))
    columns = wr.permutation(KEY, x, axis=1)
    np.testing.assert_array_equal(np.sort(columns, axis=1), x)
    firsts = np.array([wr.permutation(k, 3)[0] for k in wr.split(KEY, 3000)])
    assert np.all(np.abs(np.bincount(firsts) / 3000 - 1 / 3) < 5 * np.sqrt(2 / 9 / 3000))
    without = wr.choice(KEY, 20, (20,), replace=False)
    assert sorted(without.tolist()) == list(range(20))
    weighted = wr.choice(KEY, 5, (5,), replace=False, p=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert sorted(weighted.tolist()) == list(range(5))


# -- shapes and dtypes ---------------------------------------------------------------------------


def test_shapes_and_dtypes() -> None:
    assert np.shape(wr.normal(KEY)) == () and isinstance(wr.normal(KEY), np.float64)
    assert wr.normal(KEY, 3).shape == (3,) and wr.normal(KEY, (2, 0)).shape == (2, 0)
    for dtype in (np.float16, np.float32, np.float64):
        assert wr.normal(KEY, (3,), dtype).dtype == dtype
        u = wr.uniform(KEY, (10_000,), dtype)
        assert u.dtype == dtype and u.max() < 1
        assert wr.uniform(KEY, (3,), dtype, minval=-1.0, maxval=1.0).dtype == dtype
    assert wr.randint(KEY, (3,), 0, 5, dtype=np.int32).dtype == np.int32
    assert wr.uniform(KEY, (2, 3), minval=np.zeros(3), maxval=np.arange(1.0, 4.0)).shape == (2, 3)
    assert wr.bernoulli(KEY, np.array([0.0, 1.0])).tolist() == [False, True]
    assert wr.choice(KEY, np.arange(12.0).reshape(3, 4), (2, 5), axis=1).shape == (3, 2, 5)


def test_float32_draws_are_their_own_numbers() -> None:
    """A float32 draw is drawn in float32 (NumPy's generator), reproducibly, not a rounded float64 draw."""
    np.testing.assert_array_equal(wr.normal(KEY, (5,), np.float32), wr.normal(KEY, (5,), np.float32))


# -- transformations -----------------------------------------------------------------------------

BATCHED_DRAWS = {
    **DRAWS,
    "split": lambda k: wr.split(k, 3),
    "fold_in": lambda k: wr.fold_in(k, 11),
    "shuffle rows": lambda k: wr.permutation(k, np.arange(10.0).reshape(5, 2)),
    "shuffle columns": lambda k: wr.permutation(k, np.arange(10.0).reshape(2, 5), axis=1),
    "weighted choice": lambda k: wr.choice(k, np.arange(4.0), (3,), p=np.array([0.1, 0.2, 0.3, 0.4])),
    "weighted choice without replacement": lambda k: wr.choice(k, 4, (3,), replace=False, p=np.ones(4)),
    "bernoulli per element": lambda k: wr.bernoulli(k, np.array([0.2, 0.5, 0.8])),
}


@pytest.mark.parametrize("name", sorted(BATCHED_DRAWS))
def test_vmap_over_keys_equals_the_loop(name: str) -> None:
    draw = BATCHED_DRAWS[name]
    expected = np.stack([draw(k) for k in KEYS])
    batched = wg.vmap(draw)(KEYS)
    np.testing.assert_array_equal(batched, expected)
    assert batched.dtype == expected.dtype


@pytest.mark.parametrize("name", sorted(BATCHED_DRAWS))
def test_jit_draws_from_each_calls_key(name: str) -> None:
    draw = BATCHED_DRAWS[name]
    compiled = wg.jit(draw)
    for k in KEYS[:3]:
        np.testing.assert_array_equal(compiled(k), draw(k))
    assert compiled.cache_info().traces == 1


def test_jit_draws_when_the_program_runs() -> None:
    compiled = wg.jit(lambda k: wr.normal(k, (3,)))
    first, second = compiled(KEYS[0]), compiled(KEYS[1])
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, wr.normal(KEYS[0], (3,)))
    np.testing.assert_array_equal(second, wr.normal(KEYS[1], (3,)))
    assert "random_normal(v1" in compiled.lower(KEYS[0]).source


def test_a_key_made_inside_jit_from_a_constant_is_a_constant() -> None:
    compiled = wg.jit(lambda x: x + wr.normal(wr.PRNGKey(5), (2,)))
    np.testing.assert_array_equal(compiled(np.zeros(2)), compiled(np.zeros(2)))
    np.testing.assert_array_equal(compiled(np.zeros(2)), wr.normal(wr.PRNGKey(5), (2,)))


def test_traced_seeds_and_fold_in_data() -> None:
    from_seed = wg.jit(lambda seed: wr.normal(wr.PRNGKey(seed), (2,)))
    for seed in (3, 4):
        np.testing.assert_array_equal(from_seed(seed), wr.normal(wr.PRNGKey(seed), (2,)))
    np.testing.assert_array_equal(wg.vmap(wr.PRNGKey)(np.arange(4)), np.stack([wr.PRNGKey(s) for s in range(4)]))
    step = wg.jit(lambda k, i: wr.normal(wr.fold_in(k, i), (2,)))
    for i in (0, 1, 2):
        np.testing.assert_array_equal(step(KEY, np.int64(i)), wr.normal(wr.fold_in(KEY, i), (2,)))
    expected = np.stack([wr.fold_in(KEY, i) for i in range(4)])
    np.testing.assert_array_equal(wg.vmap(lambda i: wr.fold_in(KEY, i))(np.arange(4)), expected)
    both = wg.vmap(wr.fold_in)(KEYS, np.arange(5))
    np.testing.assert_array_equal(both, np.stack([wr.fold_in(k, i) for k, i in zip(KEYS, range(5))]))


def test_nested_vmap_over_keys_and_data() -> None:
    def draw(k, i):
        return wr.normal(wr.fold_in(k, i), (2,))

    nested = wg.vmap(wg.vmap(draw, in_axes=(None, 0)), in_axes=(0, None))(KEYS[:3], np.arange(4))
    expected = np.array([[draw(k, i) for i in range(4)] for k in KEYS[:3]])
    np.testing.assert_array_equal(nested, expected)
    keys_of_keys = wr.split(KEY, (3, 2))
    twice = wg.vmap(wg.vmap(lambda k: wr.uniform(k, (4,))))(keys_of_keys)
    np.testing.assert_array_equal(twice, np.array([[wr.uniform(k, (4,)) for k in row] for row in keys_of_keys]))


def test_jit_of_vmap_over_split_keys() -> None:
    compiled = wg.jit(lambda k: wg.vmap(lambda sub: wr.normal(sub, (2,)))(wr.split(k, 3)))
    for k in KEYS[:2]:
        np.testing.assert_array_equal(compiled(k), np.stack([wr.normal(sub, (2,)) for sub in wr.split(k, 3)]))


def test_keys_in_the_carry_of_lax_loops() -> None:
    """JAX's idiom: split the key each step of a loop; eager, jit, grad and vmap agree."""

    def step(carry, weight):
        key, total = carry
        key, sub = wr.split(key)
        draw = wr.normal(sub)
        return (key, total + weight * draw), draw

    def weighted_sum(weights, key):
        (_, total), _ = wg.lax.scan(step, (key, 0.0), weights)
        return total

    weights = np.arange(1.0, 4.0)
    _, draws = wg.lax.scan(step, (KEY, 0.0), weights)
    assert len(set(np.asarray(draws).tolist())) == 3
    np.testing.assert_allclose(wg.grad(weighted_sum)(weights, KEY), draws, rtol=1e-15)
    np.testing.assert_allclose(wg.jit(wg.grad(weighted_sum))(weights, KEYS[0]), wg.grad(weighted_sum)(weights, KEYS[0]))
    per_key = wg.vmap(weighted_sum, in_axes=(None, 0))(weights, KEYS)
    np.testing.assert_allclose(per_key, [weighted_sum(weights, k) for k in KEYS], rtol=1e-15)

    def loop(key):
        def body(i, carry):
            key, total = carry
            key, sub = wr.split(key)
            return key, total + wr.uniform(sub, (2,))

        return wg.lax.fori_loop(0, 3, body, (key, np.zeros(2)))[1]

    compiled = wg.jit(loop)
    for k in KEYS[:2]:
        np.testing.assert_array_equal(compiled(k), loop(k))


def test_gradient_through_a_reparameterised_draw() -> None:
    z = wr.normal(KEY, (4,))

    def loss(mu, sigma, k):
        return wnp.sum(wnp.sin(mu + sigma * wr.normal(k, (4,))))

    mu, sigma = 0.3, 1.7
    d_mu, d_sigma = wg.grad(loss, argnums=(0, 1))(mu, sigma, KEY)
    assert d_mu == pytest.approx(np.sum(np.cos(mu + sigma * z)), rel=1e-14)
    assert d_sigma == pytest.approx(np.sum(np.cos(mu + sigma * z) * z), rel=1e-14)
    compiled = wg.jit(wg.grad(loss, argnums=(0, 1)))
    for k in KEYS[:2]:
        expected = wg.grad(loss, argnums=(0, 1))(mu, sigma, k)
        np.testing.assert_allclose(compiled(mu, sigma, k), expected, rtol=1e-14)
    _, tangent = wg.jvp(lambda s: loss(mu, s, KEY), (sigma,), (1.0,))
    assert tangent == pytest.approx(d_sigma, rel=1e-14)
    per_key = wg.vmap(wg.grad(loss, argnums=1), in_axes=(None, None, 0))(mu, sigma, KEYS)
    np.testing.assert_allclose(per_key, [wg.grad(loss, argnums=1)(mu, sigma, k) for k in KEYS], rtol=1e-14)


def test_uniform_is_differentiable_in_its_bounds() -> None:
    u = wr.uniform(KEY, (5,))

    def total(low, high):
        return wnp.sum(wr.uniform(KEY, (5,), minval=low, maxval=high))

    d_low, d_high = wg.grad(total, argnums=(0, 1))(-1.0, 2.0)
    assert d_low == pytest.approx(np.sum(1 - u), rel=1e-14) and d_high == pytest.approx(np.sum(u), rel=1e-14)


def _noisy_layer(x, k):
    return wnp.sin(x * wr.normal(k, x.shape))


def test_checkpoint_recomputes_the_same_numbers() -> None:
    x = np.linspace(0.1, 1.0, 6)
    z = wr.normal(KEY, (6,))
    plain = wg.grad(lambda v: wnp.sum(_noisy_layer(v, KEY)))(x)
    layer = wg.checkpoint(lambda v: _noisy_layer(v, KEY))
    checkpointed = wg.grad(lambda v: wnp.sum(layer(v)))(x)
    np.testing.assert_allclose(checkpointed, np.cos(x * z) * z, rtol=1e-14)
    np.testing.assert_array_equal(checkpointed, plain)
    _, tangent = wg.jvp(lambda v: wnp.sum(layer(v)), (x,), (np.ones(6),))
    assert tangent == pytest.approx(float(np.sum(np.cos(x * z) * z)), rel=1e-14)


def test_checkpoint_takes_a_key_argument() -> None:
    # The key is a constant of the recomputation (no tangent, no cotangent), as in JAX.
    x = np.linspace(0.1, 1.0, 6)
    checkpointed = wg.grad(lambda v: wnp.sum(wg.checkpoint(_noisy_layer)(v, KEY)))(x)
    np.testing.assert_array_equal(checkpointed, wg.grad(lambda v: wnp.sum(_noisy_layer(v, KEY)))(x))
    _, tangent = wg.jvp(lambda v: wnp.sum(wg.checkpoint(_noisy_layer)(v, KEY)), (x,), (np.ones(6),))
    _, expected = wg.jvp(lambda v: wnp.sum(_noisy_layer(v, KEY)), (x,), (np.ones(6),))
    assert tangent == pytest.approx(expected, rel=1e-14)


def test_draws_are_constants_to_differentiation() -> None:
    """Closing over a traced key is not possible; a differentiated function's draws have zero derivative."""
    assert wg.grad(lambda x: x * 0.0 + wnp.sum(wr.normal(KEY, (3,))))(1.0) == 0.0


# -- refusals ------------------------------------------------------------------------------------


def test_numbers_are_not_keys() -> None:
    with pytest.raises(TypeError, match=r"key must be a PRNG key .* got the int 0; make one with .*PRNGKey\(0\)"):
        wr.normal(0, (3,))
    with pytest.raises(TypeError, match="uint32 array of shape \\(2,\\).* got a float64 array of shape \\(2,\\)"):
        wr.uniform(np.zeros(2))
    with pytest.raises(TypeError, match="got a uint32 array of shape \\(3,\\)"):
        wr.split(np.zeros(3, dtype=np.uint32))
    with pytest.raises(TypeError, match="got a int64 array"):
        wr.normal([0, 0])


def test_a_batch_of_keys_is_refused_with_the_way_to_map_over_it() -> None:
    with pytest.raises(ValueError, match=r"single key .* shape \(5, 2\); .* wg.vmap\(lambda k: normal\(k, ...\)\)"):
        wr.normal(KEYS, (3,))
    with pytest.raises(ValueError, match="single key"):
        wg.vmap(lambda ks: wr.uniform(ks))(np.stack([KEYS, KEYS]))


def test_bad_seeds_shapes_and_dtypes() -> None:
    with pytest.raises(TypeError, match="seed must be an integer, got 1.5"):
        wr.PRNGKey(1.5)
    with pytest.raises(TypeError, match="seed must be an integer"):
        wr.PRNGKey(True)
    with pytest.raises(TypeError, match="seed must be an integer"):
        wr.PRNGKey(np.arange(3))
    with pytest.raises(ValueError, match="fit in 64 bits"):
        wr.PRNGKey(2**64)
    with pytest.raises(TypeError, match="shape must be a tuple of non-negative ints, got 2.5"):
        wr.normal(KEY, 2.5)
    with pytest.raises(ValueError, match="negative extents"):
        wr.uniform(KEY, (2, -1))
    with pytest.raises(TypeError, match="num must be a tuple of non-negative ints"):
        wr.split(KEY, "2")
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype .* got int64"):
        wr.normal(KEY, (2,), np.int64)
    with pytest.raises(TypeError, match="dtype must be an integer dtype, got float64"):
        wr.randint(KEY, (2,), 0, 3, dtype=np.float64)
    with pytest.raises(ValueError, match="minval of shape \\(3,\\) does not broadcast to the shape \\(2,\\)"):
        wr.uniform(KEY, (2,), minval=np.zeros(3))
    with pytest.raises(ValueError, match="p of shape \\(3,\\) does not broadcast"):
        wr.bernoulli(KEY, np.full(3, 0.5), (2,))


def test_bad_bounds_and_populations() -> None:
    with pytest.raises(ValueError, match="maxval must be greater than minval"):
        wr.randint(KEY, (2,), 5, 5)
    with pytest.raises(TypeError, match="minval must be an integer"):
        wr.randint(KEY, (2,), 0.5, 5)
    with pytest.raises(ValueError, match="outside the range of int8"):
        wr.randint(KEY, (2,), 0, 1000, dtype=np.int8)
    with pytest.raises(TypeError, match="maxval must be concrete .* static argument"):
        wg.jit(lambda k, high: wr.randint(k, (2,), 0, high))(KEY, 5)
    with pytest.raises(ValueError, match="cannot draw 6 samples without replacement from a population of 5"):
        wr.choice(KEY, 5, (6,), replace=False)
    with pytest.raises(ValueError, match="p must have one weight per element, shape \\(5,\\)"):
        wr.choice(KEY, 5, (2,), p=np.ones(4))
    with pytest.raises(ValueError, match="empty population"):
        wr.choice(KEY, 0, (1,))
    with pytest.raises(NotImplementedError, match="independent=True"):
        wr.permutation(KEY, np.ones((2, 2)), independent=True)
    with pytest.raises(TypeError, match="at least one dimension"):
        wr.permutation(KEY, np.array(2.5))
    with pytest.raises(TypeError, match="traced 0-d x cannot be a length"):
        wg.jit(lambda k, n: wr.permutation(k, n))(KEY, 4)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        wr.permutation(KEY, np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="must end with the logits' batch shape \\(4,\\)"):
        wr.categorical(KEY, np.zeros((4, 3)), shape=(5,))
    with pytest.raises(TypeError, match="data must be an integer, got 1.5"):
        wr.fold_in(KEY, 1.5)
    with pytest.raises(TypeError, match="data must be one integer, got a traced float64"):
        wg.jit(lambda k, d: wr.fold_in(k, d))(KEY, 1.5)
