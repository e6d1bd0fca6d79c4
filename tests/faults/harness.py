"""The bad-input and fault matrix: what a case is, and what "the model is unchanged" means.

A case builds a fresh model (and whatever else it needs), makes one call that must fail, and names the
exact error type and a regular expression the message must match: the bad value and what is allowed.
After the error the model must be exactly as before: same state dict (values, dtypes, shapes), same
parameters, no hook, buffer or parametrization added or removed, the same pruning plan.
Cases live in `cases_*.py` modules of this folder, each a list `CASES`; `tests/test_faults.py` runs them all.
"""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import Any, Callable
import torch
import torch.nn as nn


@dataclass
class Fault:
    name: str                                  # unique id, shown by pytest
    make: Callable[[], tuple[nn.Module, Any]]  # fresh (model, context) for each run
    act: Callable[[nn.Module, Any], Any]       # the call that must fail
    error: type[BaseException]                 # exact type expected (a subclass is refused)
    match: str                                 # regex searched in str(error)
    check_model: bool = True                   # False only where the call does not get the model
    tags: tuple[str, ...] = field(default_factory=tuple)


def _hooks(m: nn.Module) -> dict[str, int]:
    names = ('_forward_hooks', '_forward_pre_hooks', '_backward_hooks', '_backward_pre_hooks',
             '_forward_hooks_with_kwargs', '_state_dict_hooks', '_load_state_dict_pre_hooks')
    return {n: len(getattr(m, n, {}) or {}) for n in names}


def model_state(model: nn.Module) -> dict:
    "Everything the matrix compares before and after a failing call."
    return {
        'state': {k: v.detach().clone() for k, v in model.state_dict().items()},
        'params': {k: (tuple(p.shape), p.requires_grad) for k, p in model.named_parameters()},
        'buffers': sorted(k for k, _ in model.named_buffers()),
        'hooks': {n: _hooks(m) for n, m in model.named_modules()},
        'parametrized': sorted(n for n, m in model.named_modules() if hasattr(m, 'parametrizations')),
        'modules': [(n, type(m).__name__) for n, m in model.named_modules()],
        'plan': repr(getattr(model, '_fasterprune_plan', None)),
        'grad_tensors': sorted(k for k, p in model.named_parameters() if p.grad is not None),
    }


def assert_same(before: dict, after: dict, name: str) -> None:
    for key in before:
        if key == 'state': continue
        assert before[key] == after[key], f'{name}: {key} changed by the failing call'
    assert before['state'].keys() == after['state'].keys(), f'{name}: state dict keys changed'
    for k, v in before['state'].items():
        w = after['state'][k]
        assert v.dtype == w.dtype and v.shape == w.shape, f'{name}: {k} changed dtype/shape'
        assert torch.equal(v, w) or (v.is_floating_point() and torch.equal(v.isnan(), w.isnan())
                                     and torch.equal(v.nan_to_num(), w.nan_to_num())), f'{name}: {k} changed values'
