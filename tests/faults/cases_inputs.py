"""Inputs that were silently misread (issue 11): percentages where none can be meant, NaN and inf, empty data,
bad schedules, criteria that score the wrong shape, layer types that cannot be pruned; and the other bad values
of the same options (granularities, contexts, criteria names, per-layer dicts, None/str/bool used as numbers)."""
from functools import partial
import torch
import torch.nn as nn
from fasterprune.all import (Sparsifier, Pruner, SparsifyCallback, PruneCallback, RegularizeCallback, Regularizer,
                             Criteria, Budget, as_schedule, iterative, register_criteria, large_final)
from faults.harness import Fault

NAN, INF = float('nan'), float('inf')

def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))

def model(): return _cnn(), None

def nan_model():
    m = _cnn()
    with torch.no_grad(): m[0].weight[2] = NAN        # one filter diverged
    return m

def sparsifier(*args, nan=False, **kwargs):
    "make(): a model and a Sparsifier on it (its masks are part of the state the failing call must keep)."
    def make():
        m = nan_model() if nan else _cnn()
        return m, Sparsifier(m, *args, **kwargs)
    return make

def pruner(*args, nan=False, **kwargs):
    "make(): a model and a Pruner on it."
    def make():
        m = nan_model() if nan else _cnn()
        return m, Pruner(m, torch.randn(2, 3, 12, 12), *args, **kwargs)
    return make

def learner(bs=2000):
    "make(): a Learner on the digits whose training DataLoader is empty (drop_last and a batch larger than the data)."
    def make():
        from fastai.learner import Learner
        from fasterprune.data import digits_dls, small_cnn
        torch.manual_seed(0)
        m = small_cnn(1, 10, (4, 8, 8))
        learn = Learner(digits_dls(), m)
        learn.dls.train.bs = bs     # digits_dls itself refuses a bs above the training images
        return m, learn
    return make

per_filter = Criteria(lambda w: w.abs().sum((1, 2, 3), keepdim=True), 'per_filter')   # one score per filter, not per weight
one_number = Criteria(lambda w: 1., 'one_number')

def schedule(s, what=None):
    "A case for a schedule given to a callback: refused when the callback is made, the model untouched."
    return lambda m, _: SparsifyCallback(0.5, schedule=s)

def fault(name, make, act, error, match, **kw): return Fault('inputs-' + name, make, act, error, match, **kw)

CASES = [
    # --- percentages: the user's target only, and never ambiguous
    fault('sparsifier-prune-ambiguous', sparsifier(), lambda m, sp: sp.prune(1.5), ValueError,
          r"target=1\.5 is ambiguous.*write 0\.015 for 1\.5 %"),
    fault('sparsifier-prune-above-100', sparsifier(), lambda m, sp: sp.prune(150), ValueError,
          r"fraction in \[0, 1\] or a percentage in \[2, 100\]; got 150"),
    fault('sparsifier-prune-nan', sparsifier(), lambda m, sp: sp.prune(NAN), ValueError, r"target must be .*got nan"),
    fault('sparsifier-prune-inf', sparsifier(), lambda m, sp: sp.prune(INF), ValueError, r"target must be .*got inf"),
    fault('sparsifier-prune-str', sparsifier(), lambda m, sp: sp.prune('50%'), TypeError, r"target must be a number, got '50%'"),
    fault('sparsifier-prune-bool', sparsifier(), lambda m, sp: sp.prune(True), TypeError, r"target must be a number, got True"),
    fault('sparsifier-prune-negative', sparsifier(), lambda m, sp: sp.prune(-0.2), ValueError, r"fraction in \[0, 1\].*got -0\.2"),
    fault('sparsifier-max-sparsity-percent', model, lambda m, _: Sparsifier(m, 'filter', 'global', max_sparsity=50),
          ValueError, r"max_sparsity must be a fraction in \[0, 1\] \(not a percentage\); got 50"),
    fault('sparsifier-max-sparsity-local', model, lambda m, _: Sparsifier(m, 'filter', 'local', max_sparsity=0.5),
          ValueError, r"max_sparsity caps each layer when layers compete \(context='global'\)"),
    fault('sparsify-callback-ambiguous', model, lambda m, _: SparsifyCallback(1.5), ValueError, r"sparsity=1\.5 is ambiguous"),
    fault('sparsify-callback-max-sparsity-percent', model,
          lambda m, _: SparsifyCallback(0.5, context='global', max_sparsity=90), ValueError, r"max_sparsity must be a fraction.*got 90"),
    fault('pruner-prune-ambiguous', pruner(), lambda m, pr: pr.prune(1.5), ValueError, r"pruning_ratio=1\.5 is ambiguous"),
    fault('pruner-prune-all', pruner(), lambda m, pr: pr.prune(1), ValueError,
          r"pruning_ratio must be a fraction in \[0, 1\) or a percentage below 100 \(a group keeps at least one channel\); got 1"),
    fault('pruner-max-ratio-percent', model, lambda m, _: Pruner(m, torch.randn(2, 3, 12, 12), context='global', max_ratio=50),
          ValueError, r"max_ratio must be a fraction in \[0, 1\] \(not a percentage\); got 50"),
    fault('prune-callback-ambiguous', model, lambda m, _: PruneCallback(1.5), ValueError, r"pruning_ratio=1\.5 is ambiguous"),
    fault('prune-callback-max-ratio', model, lambda m, _: PruneCallback(0.5, context='global', max_ratio=1.5), ValueError,
          r"max_ratio must be a fraction in \[0, 1\] \(not a percentage\); got 1\.5"),
    # --- budgets are fractions only
    fault('budget-params-above-1', pruner(), lambda m, pr: pr.prune(params=1.5), ValueError,
          r"params budget must be a fraction in \[0, 1\] \(not a percentage\); got 1\.5"),
    fault('budget-macs-percent', pruner(), lambda m, pr: pr.prune(macs=30), ValueError, r"macs budget must be a fraction.*got 30"),
    fault('budget-macs-zero', pruner(), lambda m, pr: pr.prune(macs=0), ValueError, r"fraction of MACs to keep, in \(0, 1\]; got 0"),
    fault('budget-latency-nan', pruner(), lambda m, pr: pr.prune(latency=NAN), ValueError, r"latency budget must be .*got nan"),
    fault('budget-check-bool', pruner(), lambda m, pr: pr.check_budget(params=True), TypeError,
          r"params budget must be a number, got True"),
    fault('budget-unknown-resource', model, lambda m, _: Budget('flops', 0.5), ValueError,
          r"unknown budget 'flops'; allowed: macs, params, latency"),
    fault('prune-callback-params-above-1', model, lambda m, _: PruneCallback(params=1.5), ValueError,
          r"params budget must be a fraction in \[0, 1\] \(not a percentage\); got 1\.5"),
    # --- NaN scores: no rank, so no target reached by position
    fault('sparsifier-nan-scores-local', sparsifier('filter', nan=True), lambda m, sp: sp.prune(0.5), ValueError,
          r"criteria large_final gave NaN scores \(1 in '0'\)"),
    fault('sparsifier-nan-scores-global', sparsifier('weight', 'global', nan=True), lambda m, sp: sp.prune(0.5), ValueError,
          r"gave NaN scores \(27 in '0'\)"),
    fault('pruner-nan-scores', pruner(nan=True), lambda m, pr: pr.prune(0.5), ValueError,
          r"criteria large_final gave NaN scores to 1 of the 8 output channels of layer '0'"),
    # --- criteria: wrong score shapes, unknown names
    fault('sparsifier-criteria-shape', sparsifier('filter', criteria=per_filter), lambda m, sp: sp.prune(0.5), ValueError,
          r"criteria 'per_filter' scored layer '0' with shape \(8, 1, 1, 1\); expected one score per weight, shape \(8, 3, 3, 3\)"),
    fault('sparsifier-criteria-float', sparsifier('filter', criteria=one_number), lambda m, sp: sp.prune(0.5), TypeError,
          r"criteria 'one_number' scored layer '0' with a float; expected a tensor"),
    fault('pruner-criteria-shape', pruner(criteria=per_filter), lambda m, pr: pr.prune(0.5), ValueError,
          r"criteria 'per_filter' scored layer '\d' with shape \(\d, 1, 1, 1\); expected one score per weight, shape \(\d, \d, 3, 3\)"),
    fault('sparsifier-criteria-unknown', model, lambda m, _: Sparsifier(m, criteria='biggest'), ValueError,
          r"unknown criteria 'biggest'; allowed: .*large_final"),
    fault('sparsifier-criteria-number', model, lambda m, _: Sparsifier(m, criteria=3), ValueError, r"unknown criteria 3; allowed"),
    fault('register-criteria-not-criteria', model, lambda m, _: register_criteria(abs), TypeError,
          r"register_criteria takes a Criteria, got builtin_function_or_method"),
    fault('register-criteria-taken-name', model, lambda m, _: register_criteria(Criteria(torch.abs, 'large_final')), ValueError,
          r"a criteria named 'large_final' is already registered"),
    # --- layer types, granularities, contexts, per-layer dicts
    fault('sparsifier-lstm', model, lambda m, _: Sparsifier(m, layer_types=(nn.Conv2d, nn.LSTM)), TypeError,
          r"layer_types holds LSTM, which fasterprune cannot prune.*supported: Linear, Conv1d, Conv2d"),
    fault('pruner-lstm', model, lambda m, _: Pruner(m, torch.randn(2, 3, 12, 12), layer_types=nn.LSTM), TypeError,
          r"layer_types holds LSTM.*supported: Linear"),
    fault('sparsifier-layer-types-str', model, lambda m, _: Sparsifier(m, layer_types='Conv2d'), TypeError,
          r"layer_types must be nn.Module classes, got 'Conv2d'"),
    fault('sparsify-callback-lstm', model, lambda m, _: SparsifyCallback(0.5, layer_type=nn.LSTM), TypeError,
          r"layer_types holds LSTM"),
    fault('prune-callback-lstm', model, lambda m, _: PruneCallback(0.5, layer_type=nn.GRU), TypeError, r"layer_types holds GRU"),
    fault('sparsifier-granularity-int', model, lambda m, _: Sparsifier(m, 5), TypeError,
          r"granularity must be a string or a Granularity, got int"),
    fault('sparsifier-granularity-typo', model, lambda m, _: Sparsifier(m, 'filters'), ValueError, r"unknown granularity 'filters'"),
    fault('sparsifier-context-typo', model, lambda m, _: Sparsifier(m, context='globl'), ValueError,
          r"context must be 'local', 'global' or a dict \{layer name: sparsity\}, got 'globl'"),
    fault('sparsifier-context-none', model, lambda m, _: Sparsifier(m, context=None), ValueError,
          r"context must be 'local', 'global' or a dict.*got None"),
    fault('sparsifier-dict-unknown-layer', model, lambda m, _: Sparsifier(m, context={'0': 0.5, 'conv9': 0.5}), ValueError,
          r"'conv9' matches no layer of the model"),
    fault('sparsifier-dict-value-none', model, lambda m, _: Sparsifier(m, context={'0': None}), TypeError,
          r"sparsity of '0' must be a number, got None"),
    fault('sparsifier-dict-value-negative', model, lambda m, _: Sparsifier(m, context={'0': -1}), ValueError,
          r"sparsity of '0' must be a fraction in \[0, 1\] or a percentage in \[2, 100\]; got -1"),
    fault('sparsifier-dict-value-ambiguous', model, lambda m, _: Sparsifier(m, context={'0': 1.2}), ValueError,
          r"sparsity of '0'=1\.2 is ambiguous"),
    fault('pruner-dict-unknown-layer', model, lambda m, _: Pruner(m, torch.randn(2, 3, 12, 12), context={'head': 0.5}),
          ValueError, r"matches no layer|not selected: \['head'\]"),
    fault('pruner-dict-value-str', model, lambda m, _: Pruner(m, torch.randn(2, 3, 12, 12), context={'0': '30'}), TypeError,
          r"pruning_ratio of '0' must be a number, got '30'"),
    fault('pruner-round-to-bool', model, lambda m, _: Pruner(m, torch.randn(2, 3, 12, 12), round_to=True), ValueError,
          r"round_to must be a positive integer, 'auto' or None, got True"),
    # --- schedules: checked when given, before any fit
    fault('schedule-n-steps-zero', model, schedule(partial(iterative, n_steps=0)), ValueError,
          r"schedule iterative\(start_pct=0\.2, n_steps=0\) is refused: n_steps must be a positive integer, got 0"),
    fault('schedule-n-steps-float', model, lambda m, _: as_schedule(partial(iterative, n_steps=2.5)), ValueError,
          r"n_steps must be a positive integer, got 2\.5"),
    fault('schedule-overshoot', model, schedule(lambda start, end, pos: 1.5), ValueError,
          r"gave 1\.5 at 0 of its ramp from 0 to 1; a schedule f\(start, end, pos\) stays between start and end"),
    fault('schedule-nan', model, schedule(lambda start, end, pos: NAN), ValueError, r"gave nan"),
    fault('schedule-negative', model, schedule(lambda start, end, pos: -0.1), ValueError, r"gave -0\.1 at 0 of its ramp"),
    fault('schedule-unknown-name', model, schedule('cubic'), ValueError, r"unknown schedule 'cubic'; allowed: one_shot, iterative"),
    fault('schedule-not-callable', model, schedule(0.5), TypeError, r"schedule must be a Schedule, a name .* got float"),
    fault('schedule-wrong-signature', model, schedule(lambda pos: pos), TypeError,
          r"a custom schedule must be callable as f\(start, end, pos\)"),
    fault('schedule-start-pct-bool', model, lambda m, _: iterative.with_args(start_pct=True), ValueError,
          r"start_pct must be a number in \[0, 1\], got True"),
    fault('schedule-start-epoch-negative', model, lambda m, _: SparsifyCallback(0.5, start_epoch=-1), ValueError,
          r"start_epoch must be a number in \[0, inf\], got -1"),
    fault('schedule-start-sparsity-percent', model, lambda m, _: iterative.with_args(start_sparsity=20), ValueError,
          r"start_sparsity must be a number in \[0, 1\], got 20"),
    fault('schedule-end-pct-str', model, lambda m, _: iterative.with_args(end_pct='0.8'), ValueError,
          r"end_pct must be a number in \[0, 1\], got '0\.8'"),
    # --- regularization: NaN / inf poison every parameter
    fault('regularize-weight-nan', model, lambda m, _: RegularizeCallback(NAN), ValueError, r"weight must be a finite number >= 0, got nan"),
    fault('regularize-weight-inf', model, lambda m, _: RegularizeCallback(INF), ValueError, r"weight must be a finite number >= 0, got inf"),
    fault('regularize-weight-negative', model, lambda m, _: RegularizeCallback(-1e-4), ValueError, r"finite number >= 0, got -0\.0001"),
    fault('regularize-weight-bool', model, lambda m, _: RegularizeCallback(True), ValueError, r"finite number >= 0, got True"),
    fault('regularize-weight-str', model, lambda m, _: RegularizeCallback('1e-4'), ValueError, r"finite number >= 0, got '1e-4'"),
    fault('regularize-schedule-nan', model, lambda m, _: RegularizeCallback(1e-4, schedule=lambda s, e, p: NAN), ValueError,
          r"gave nan"),
    fault('regularize-lstm', model, lambda m, _: RegularizeCallback(layer_type=nn.LSTM), TypeError, r"layer_types holds LSTM"),
    fault('regularizer-nan-weights', lambda: (nan_model(), None), lambda m, _: Regularizer(m), ValueError,
          r"penalty 'l1' gives nan on layer '0'; it must give a finite scalar tensor"),
    fault('regularizer-penalty-not-scalar', model, lambda m, _: Regularizer(m, penalty=lambda w, u: w.abs()), ValueError,
          r"penalty '<lambda>' gives a tensor of shape \(8, 3, 3, 3\) on layer '0'"),
    fault('regularizer-penalty-unknown', model, lambda m, _: Regularizer(m, penalty='l0'), ValueError,
          r"unknown penalty 'l0'; allowed: l1, l2, group_lasso"),
    # --- an empty training DataLoader would end at 0 % without a word
    fault('sparsify-callback-empty-data', learner(), lambda m, learn: learn.fit(1, cbs=SparsifyCallback(0.5)), ValueError,
          r"SparsifyCallback: the training DataLoader has no batch \(1438 items, bs=2000, drop_last=True\)"),
    fault('prune-callback-empty-data', learner(), lambda m, learn: learn.fit(1, cbs=PruneCallback(0.5)), ValueError,
          r"PruneCallback: the training DataLoader has no batch"),
]
