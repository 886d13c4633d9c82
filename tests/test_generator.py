"""PyTorch's random state: the default generator, manual_seed, and Generator objects."""

from __future__ import annotations

import numpy as np
import pytest

from wengert import generator as random_state


def test_manual_seed_restarts_the_default_stream():
    random_state.manual_seed(123)
    first = random_state.numpy_generator().standard_normal(5)
    later = random_state.numpy_generator().standard_normal(5)
    random_state.manual_seed(123)
    np.testing.assert_array_equal(random_state.numpy_generator().standard_normal(5), first)
    assert not np.array_equal(first, later)
    assert random_state.initial_seed() == 123


def test_a_generator_of_its_own_leaves_the_default_stream_alone():
    random_state.manual_seed(5)
    expected = random_state.numpy_generator().random(3)
    random_state.manual_seed(5)
    own = random_state.Generator().manual_seed(99)
    own.numpy.random(10)
    np.testing.assert_array_equal(random_state.numpy_generator().random(3), expected)
    assert random_state.numpy_generator(own) is own.numpy
    np.testing.assert_array_equal(
        random_state.numpy_generator(seed=4).random(2), random_state.numpy_generator(seed=4).random(2)
    )


def test_get_state_and_set_state_resume_the_stream():
    g = random_state.Generator().manual_seed(1)
    g.numpy.random(4)
    state = g.get_state()
    expected = g.numpy.random(6)
    g.numpy.random(100)
    g.set_state(state)
    np.testing.assert_array_equal(g.numpy.random(6), expected)


def test_fresh_seeds_differ_and_are_reported():
    g = random_state.Generator()
    first = g.seed()
    assert g.initial_seed() == first
    assert g.seed() != first  # 64 random bits: equal twice only by a one-in-2^64 accident


def test_bad_seeds_and_devices_are_refused_by_name():
    with pytest.raises(TypeError, match="the seed must be an integer, got float"):
        random_state.manual_seed(1.5)
    with pytest.raises(TypeError, match="got bool"):
        random_state.Generator().manual_seed(True)
    with pytest.raises(ValueError, match="must fit in 64 bits"):
        random_state.manual_seed(1 << 70)
    with pytest.raises(ValueError, match="CPU only"):
        random_state.Generator(device="cuda")
    with pytest.raises(TypeError, match="must be a wengert.Generator"):
        random_state.numpy_generator(np.random.default_rng(0))
    assert random_state.manual_seed(-1).initial_seed() == (1 << 64) - 1  # wrapped, as PyTorch does


def test_manual_seed_makes_initialisation_and_training_repeat_exactly():
    import wengert as wg
    import wengert.nn as nn

    def train():
        wg.manual_seed(2024)
        model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
        x = wg.randn(64, 3)
        y = (x**2).sum(dim=1, keepdim=True)
        optimizer = wg.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(5):
            for batch in wg.randperm(64).split(16):  # random minibatches from the same stream
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(x[batch]), y[batch])
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return losses, {name: value.numpy() for name, value in model.state_dict().items()}

    (first_losses, first_state), (second_losses, second_state) = train(), train()
    assert first_losses == second_losses and first_losses[-1] < first_losses[0]
    for name in first_state:
        np.testing.assert_array_equal(first_state[name], second_state[name])
    initial = [wg.manual_seed(seed) and nn.Linear(3, 16).weight.detach().numpy() for seed in (2024, 2025, 2024)]
    assert not np.array_equal(initial[0], initial[1]) and np.array_equal(initial[0], initial[2])
