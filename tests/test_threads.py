"""BLAS thread limits: one thread inside Trainer.fit and the demos by default, the old setting after."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import wengert.nn as nn
from wengert.pinn import Trainer
from wengert.threads import blas_thread_counts, limit_blas_threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_the_limit_holds_inside_the_block_and_is_undone_after():
    before = blas_thread_counts()
    assert before, "NumPy's BLAS should be visible to threadpoolctl"
    with limit_blas_threads(1) as limit:
        assert limit == 1 and set(blas_thread_counts()) == {1}
    assert blas_thread_counts() == before
    with limit_blas_threads(None) as limit:
        assert limit is None and blas_thread_counts() == before


def test_trainer_fit_trains_under_one_blas_thread_by_default():
    seen = []
    p = nn.Parameter(np.array([1.0, -2.0]))

    def term():
        seen.append(tuple(blas_thread_counts()))
        return (p * p).sum()

    before = blas_thread_counts()
    history = Trainer(None, {"fit": term}, params=[p]).fit(adam_steps=2, lr=0.1, progress=False, jit=False)
    assert history.threads == 1 and set(seen) == {tuple(1 for _ in before)}
    assert blas_thread_counts() == before
    seen.clear()
    history = Trainer(None, {"fit": term}, params=[p]).fit(adam_steps=2, lr=0.1, progress=False, threads=None)
    assert history.threads is None and history.to_dict()["threads"] is None


def test_bad_thread_counts_are_refused_by_name():
    p = nn.Parameter(np.array([1.0]))
    trainer = Trainer(None, {"fit": lambda: (p * p).sum()}, params=[p])
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="Trainer.fit: threads must be a positive integer or None"):
            trainer.fit(adam_steps=1, progress=False, threads=bad)


def test_without_threadpoolctl_training_runs_after_a_warning(monkeypatch):
    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError("no threadpoolctl here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    p = nn.Parameter(np.array([1.0]))
    with pytest.warns(UserWarning, match=r"cannot limit BLAS to 1 thread\(s\) without threadpoolctl"):
        history = Trainer(None, {"fit": lambda: (p * p).sum()}, params=[p]).fit(adam_steps=1, progress=False)
    assert history.threads is None and len(history) == 1
