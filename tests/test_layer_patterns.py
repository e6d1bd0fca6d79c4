"""Per-layer target dicts with patterns (a `'*'` default, the most specific key winning) and NNI config lists mean the
same to the structural engine as to the mask engine (issue 27); the chapters of core.selection and the Sparsifier show them."""
import pytest, torch, torch.nn as nn
from fasterprune.all import Pruner, from_nni_config, small_cnn


def _widths(model): return [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]


def test_pruner_default_and_override():
    model, x = small_cnn(), torch.randn(4, 1, 8, 8)            # convs '0' (16), '4' (32), '8' (64)
    pr = Pruner(model, x, context={'*': 0.5, '8': 0.75}, round_to=None)
    assert pr.targets == {'8>': 0.75, '4>': 0.5, '0>': 0.5}
    pr.prune()
    assert _widths(model) == [8, 16, 16]


def test_pruner_unknown_pattern_refused_before_any_change():
    model, x = small_cnn(), torch.randn(4, 1, 8, 8)
    with pytest.raises(ValueError, match=r"not selected: \['head\.\*'\]"): Pruner(model, x, context={'*': 0.5, 'head.*': 0.2})
    assert _widths(model) == [16, 32, 64]


def test_nni_config_list_on_the_pruner():
    model, x = small_cnn(), torch.randn(4, 1, 8, 8)
    kw = from_nni_config([{'op_types': ['Conv2d'], 'sparsity': 0.5}, {'exclude': True, 'op_names': ['0']}], model, structural=True)
    assert kw == dict(context={'4': 0.5, '8': 0.5})
    Pruner(model, x, round_to=None, **kw).prune()
    assert _widths(model) == [16, 16, 32]
    total = from_nni_config([{'op_types': ['Conv2d'], 'total_sparsity': 0.5, 'max_sparsity_per_layer': 0.6}], model, structural=True)
    assert total == dict(context='global', include=['0', '4', '8'], pruning_ratio=0.5, max_ratio=0.6)
