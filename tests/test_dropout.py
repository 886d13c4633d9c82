"""Dropout as PyTorch's: F.dropout and nn.Dropout, with the default generator, and loud under jit and vmap."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.nn.functional as F


def test_training_zeroes_a_fraction_p_and_scales_the_rest():
    wg.manual_seed(0)
    x = wg.tensor(np.linspace(1.0, 2.0, 20000), requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(1.0 - kept.mean() - 0.3) < 0.01  # 20,000 draws: the standard error is 0.003
    np.testing.assert_allclose(y.detach().numpy()[kept], x.detach().numpy()[kept] / 0.7, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.7, 0.0), rtol=1e-15)
    assert y.dtype == x.dtype and F.dropout(wg.ones(3, dtype=wg.float32), 0.5).dtype == wg.float32


def test_evaluation_mode_and_p_zero_pass_the_input_through_and_p_one_zeroes_it():
    x = wg.randn(5)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    layer = nn.Dropout(0.4)
    assert layer.training and repr(layer) == "Dropout(p=0.4, inplace=False)"
    assert layer.eval()(x) is x


def test_masks_repeat_under_manual_seed_and_follow_a_generator_of_their_own():
    x = wg.ones(50)
    first = [wg.manual_seed(3) and F.dropout(x, 0.5).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    own = wg.Generator().manual_seed(3)
    wg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=own).numpy(), first[0])


def test_in_place_dropout_changes_a_non_leaf_tensor():
    wg.manual_seed(1)
    h = wg.ones(100, requires_grad=True) * 2.0
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h and set(np.unique(h.detach().numpy()).tolist()) <= {0.0, 4.0}


def test_dropout_is_refused_where_its_mask_would_be_frozen_or_shared():
    with pytest.raises(TypeError, match="wg.jit would freeze"):
        wg.jit(lambda x: F.dropout(x, 0.5))(np.ones(4))
    with pytest.raises(TypeError, match="wg.vmap would share"):
        wg.vmap(lambda x: F.dropout(x, 0.5))(np.ones((3, 4)))
    assert (wg.jit(lambda x: F.dropout(x, 0.5, training=False))(np.ones(4)) == 1).all()


@pytest.mark.parametrize("p", [-0.1, 1.5, True, "0.5"])
def test_bad_probabilities_are_refused_as_pytorch_does(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(wg.ones(2), p)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)


def test_the_same_refusal_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        torch.nn.functional.dropout(torch.ones(2), 1.5)
    with pytest.raises(ValueError):
        torch.nn.Dropout(1.5)
