"""Bad input to the public API (issue 11, fault matrix): Sparsifier, SparsifyCallback, PruneCallback, Pruner,
reports, schedules, the criteria registry, and the save / load helpers with garbage files.
Each call must raise exactly its error with a message naming the bad value and what is allowed, and leave the
model as it was (tests/faults/harness.py)."""
import tempfile
from functools import partial
from pathlib import Path
import torch
import torch.nn as nn
from fastai.learner import Learner
from fasterprune.all import (Sparsifier, SparsifyCallback, PruneCallback, Pruner, Criteria, register_criteria,
                             load_pruned, attach_masks, recalibrate_bn, sparsity_report, count_macs_params, measure_latency, as_schedule, Schedule, iterative, large_final, digits_dls, small_cnn)
from fastai.callback.schedule import sched_lin   # fastai's linear ramp (fasterprune's is sched_linear): any f(start, end, pos) is a schedule
from faults.harness import Fault

def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)), torch.randn(2, 3, 8, 8)

def _digits():
    "A small CNN for the 8x8 digits, with the data."
    torch.manual_seed(0)
    return small_cnn(widths=(8, 8, 8)), digits_dls(bs=64)

def _half_pruned():
    "make: a model its Pruner pruned by half; the failing call gets the Pruner."
    model, x = _cnn()
    pr = Pruner(model, x)
    pr.prune(0.5)
    return model, pr

def _masked(model=None, *args, **kw):
    "make: a model with a Sparsifier (half of its filters masked); the failing call gets the Sparsifier."
    def make():
        m = model() if model is not None else _cnn()[0]
        sp = Sparsifier(m, *args, **kw)
        sp.prune(sp.targets if isinstance(sp.targets, dict) else 0.5)
        return m, sp
    return make

def _sp(*args, **kw): return lambda m, x: Sparsifier(m, *args, **kw)
def _pr(*args, **kw): return lambda m, x: Pruner(m, x, *args, **kw)
def _prune(*args, **kw): return lambda m, x: Pruner(m, x).prune(*args, **kw)
def _fit(cb): return lambda m, dls: Learner(dls, m).fit(1, 1e-3, cbs=cb)

def _tmp(content: bytes | None = None, obj=None) -> Path:
    "A temporary file holding `content` (bytes) or `torch.save(obj)`."
    f = Path(tempfile.mkdtemp()) / 'ckpt.pth'
    if obj is not None: torch.save(obj, f)
    else: f.write_bytes(content)
    return f

def _load(**file): return lambda m, x: load_pruned(m, _tmp(**file))

CASES = [
    # --- Sparsifier: granularity, context, criteria, targets, layers
    Fault('api-sparsifier-granularity-typo', _cnn, _sp('filters'), ValueError, r"'filters'.*(filter|weight)"),
    Fault('api-sparsifier-granularity-number', _cnn, _sp(3), TypeError, r"granularity must be a string or a Granularity, got int"),
    Fault('api-sparsifier-nm-bad-string', _cnn, _sp('4:2'), ValueError, r"N:M needs integers 0 < N < M, got 4:2"),
    Fault('api-sparsifier-nm-zero', _cnn, _sp('0:4'), ValueError, r"N:M needs integers 0 < N < M, got 0:4"),
    Fault('api-sparsifier-nm-not-multiple', _cnn, _sp('2:4'), ValueError, r"not a multiple of 4"),
    Fault('api-sparsifier-kernel-on-linear', _cnn, _sp('kernel', layer_types=nn.Linear), ValueError, r"'kernel' is not available for Linear"),
    Fault('api-sparsifier-context-typo', _cnn, _sp(context='globl'), ValueError, r"'local', 'global'.*got 'globl'"),
    Fault('api-sparsifier-context-unknown-layer', _cnn, _sp(context={'0': 0.5, 'conv9': 0.5}), ValueError, r"'conv9' matches no layer"),
    Fault('api-sparsifier-context-empty', _cnn, _sp(context={}), ValueError, r"empty.*name at least one layer"),
    Fault('api-sparsifier-context-percent-too-big', _cnn, _sp(context={'0': 150}), ValueError, r"'0'.*150"),
    Fault('api-sparsifier-context-negative', _cnn, _sp(context={'0': -0.1}), ValueError, r"-0.1"),
    Fault('api-sparsifier-context-string-value', _cnn, _sp(context={'0': 'half'}), TypeError, r"sparsity of '0' must be a number, got 'half'"),
    Fault('api-sparsifier-criteria-unknown', _cnn, _sp(criteria='biggest'), ValueError, r"'biggest'.*allowed:.*large_final"),
    Fault('api-sparsifier-criteria-not-criteria', _cnn, _sp(criteria=42), ValueError, r"42.*Criteria"),
    Fault('api-sparsifier-include-unknown', _cnn, _sp(include=['conv9']), ValueError, r"'conv9' matches no layer"),
    Fault('api-sparsifier-exclude-unknown', _cnn, _sp(exclude=['fc*']), ValueError, r"'fc\*' matches no layer"),
    Fault('api-sparsifier-include-int', _cnn, _sp(include=[0]), TypeError, r"strings.*modules, got int"),
    Fault('api-sparsifier-layer-type-lstm', _cnn, _sp('filter', layer_types=nn.LSTM), TypeError, r"LSTM.*supported: .*Conv2d"),
    Fault('api-sparsifier-layer-type-not-class', _cnn, _sp(layer_types='Conv2d'), TypeError, r"layer_types must be nn.Module classes, got 'Conv2d'"),
    Fault('api-sparsifier-everything-excluded', _cnn, _sp(exclude=['0', '3']), ValueError, r"no layer selected.*include/exclude"),
    Fault('api-sparsifier-max-sparsity-local', _cnn, _sp('filter', 'local', max_sparsity=0.5), ValueError, r"max_sparsity.*context='global'"),
    Fault('api-sparsifier-max-sparsity-150', _cnn, _sp('filter', 'global', max_sparsity=150), ValueError, r"max_sparsity must be a fraction.*150"),
    Fault('api-sparsifier-slim-without-norms', lambda: (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 2, 3)), None),
          _sp('filter', criteria='slim'), ValueError, r"(have none|no batch norm)"),
    Fault('api-sparsifier-prune-percent-too-big', _masked(), lambda m, sp: sp.prune(150), ValueError, r"target must be a fraction in \[0, 1\] or a percentage in \[2, 100\]; got 150"),
    Fault('api-sparsifier-prune-no-target', _masked(), lambda m, sp: sp.prune(), ValueError, r"context 'local' takes one target fraction, got None"),
    Fault('api-sparsifier-prune-dict-in-local', _masked(), lambda m, sp: sp.prune({'0': 0.5}), ValueError, r"context 'local' takes one target fraction, got \{'0': 0.5\}"),
    Fault('api-sparsifier-prune-per-layer-missing', _masked(context={'0': 0.5, '3': 0.5}), lambda m, sp: sp.prune({'0': 0.5}),
          ValueError, r"give a target for each of \['0', '3'\]"),
    Fault('api-sparsifier-nm-above-half', _masked(lambda: nn.Sequential(nn.Linear(16, 8)), '2:4', layer_types=nn.Linear),
          lambda m, sp: sp.prune(0.6), ValueError, r"granularity 2:4 allows at most 50% sparsity, got \{'0': 0.6\}"),
    Fault('api-sparsifier-couple-norms-weight', _masked(), lambda m, sp: sp.couple_norms(torch.randn(2, 3, 8, 8)),
          ValueError, r"only channel granularities \('filter', 'row'\) remove whole channels, not weight"),
    Fault('api-sparsifycb-layer-type-twice', _cnn, lambda m, x: SparsifyCallback(0.5, layer_types=nn.Linear, layer_type=nn.Conv2d),
          ValueError, r"layer_type is fasterai's name for layer_types: give one of them, not both", check_model=False),
    Fault('api-sparsifycb-no-target', _cnn, lambda m, x: SparsifyCallback(), ValueError, r"sparsity is required.*fraction.*percentage", check_model=False),
    Fault('api-sparsifycb-target-and-context', _cnn, lambda m, x: SparsifyCallback(0.5, context={'0': 0.5}),
          ValueError, r"leave sparsity unset \(got 0.5\)", check_model=False),
    Fault('api-sparsifycb-schedule-unknown', _cnn, lambda m, x: SparsifyCallback(0.5, schedule='fast'),
          ValueError, r"unknown schedule 'fast'; allowed: .*agp", check_model=False),
    Fault('api-sparsifycb-schedule-not-callable', _cnn, lambda m, x: SparsifyCallback(0.5, schedule=3),
          TypeError, r"schedule must be .*got int", check_model=False),
    Fault('api-sparsifycb-schedule-bad-signature', _cnn, lambda m, x: SparsifyCallback(0.5, schedule=lambda pos: pos),
          TypeError, r"f\(start, end, pos\)", check_model=False),
    Fault('api-sparsifycb-every-zero', _cnn, lambda m, x: SparsifyCallback(0.5, every=0),
          ValueError, r"every must be a positive number of batches or None, got 0", check_model=False),
    Fault('api-sparsifycb-rewind-negative', _cnn, lambda m, x: SparsifyCallback(0.5, lth=True, rewind_epoch=-1),
          ValueError, r"rewind_epoch must be >= 0, got -1", check_model=False),
    Fault('api-sparsifycb-reset-end-without-lth', _cnn, lambda m, x: SparsifyCallback(0.5, reset_end=True),
          ValueError, r"reset_end.*lth=True", check_model=False),
    Fault('api-sparsifycb-start-after-end', _cnn, lambda m, x: SparsifyCallback(0.5, schedule=Schedule(sched_lin, start_pct=0.8, end_pct=0.2)),
          ValueError, r"start_pct \(0.8\) must not be after end_pct \(0.2\)", check_model=False),
    Fault('api-sparsifycb-end-epoch-beyond-fit', _digits, _fit(SparsifyCallback(0.5, end_epoch=5, verbose=False)),
          ValueError, r"end_epoch=5.*do not fit in a training of 1 epochs"),
    Fault('api-sparsifycb-unknown-layer-at-fit', _digits, _fit(SparsifyCallback(0.5, include=['conv9'], verbose=False)),
          ValueError, r"'conv9' matches no layer"),
    # --- PruneCallback
    Fault('api-prunecb-no-target', _cnn, lambda m, x: PruneCallback(), ValueError, r"give one target.*pruning_ratio.*macs=", check_model=False),
    Fault('api-prunecb-ratio-and-budget', _cnn, lambda m, x: PruneCallback(0.5, macs=0.5),
          ValueError, r"give one target.*pruning_ratio=0.5", check_model=False),
    Fault('api-prunecb-ratio-100', _cnn, lambda m, x: PruneCallback(100), ValueError, r"pruning_ratio.*100", check_model=False),
    Fault('api-prunecb-two-budgets', _cnn, lambda m, x: PruneCallback(macs=0.5, params=0.5), ValueError, r"give one budget, not 2", check_model=False),
    Fault('api-prunecb-layer-type-twice', _cnn, lambda m, x: PruneCallback(0.5, layer_types=nn.Conv2d, layer_type=nn.Linear),
          ValueError, r"layer_type is fasterai's name for layer_types: give one of them, not both", check_model=False),
    Fault('api-prunecb-old-latency-contradicts', _cnn, lambda m, x: PruneCallback(0.5, latency=True, report_latency=False),
          ValueError, r"latency=True is the old spelling of report_latency=True.*give report_latency only", check_model=False),
    Fault('api-prunecb-dsd-schedule', _cnn, lambda m, x: PruneCallback(0.5, schedule='dsd'),
          ValueError, r"schedule .*dsd.* decreases.*never decreases", check_model=False),
    Fault('api-prunecb-max-ratio-local', _cnn, lambda m, x: PruneCallback(0.5, max_ratio=0.5), ValueError, r"max_ratio.*context='global'", check_model=False),
    Fault('api-prunecb-bn-recalibrate-negative', _cnn, lambda m, x: PruneCallback(0.5, bn_recalibrate=-1),
          ValueError, r"bn_recalibrate must be a number of batches >= 0, got -1", check_model=False),
    Fault('api-prunecb-every-float', _cnn, lambda m, x: PruneCallback(0.5, every=2.5),
          ValueError, r"every must be a positive number of batches or None, got 2.5", check_model=False),
    Fault('api-prunecb-unreachable-macs-at-fit', _digits, _fit(PruneCallback(macs=0.0001, verbose=False)),
          ValueError, r"cannot keep only 0.01% of the macs"),
    Fault('api-prunecb-unknown-ignore-at-fit', _digits, _fit(PruneCallback(0.5, ignore=['head'], verbose=False)),
          ValueError, r"ignored layer 'head' matches no layer"),
    # --- Pruner
    Fault('api-pruner-bad-example-inputs', _cnn, lambda m, x: Pruner(m, torch.randn(2, 5)), ValueError,
          r"failed on the example inputs in module '0'.*size: \[2, 5\]"),
    Fault('api-count-macs-bad-inputs', _cnn, lambda m, x: count_macs_params(m, torch.randn(2, 5, 8, 8)), ValueError,
          r"Sequential failed on the example inputs in module '0' while counting its MACs and parameters.*to have 3 channels"),
    Fault('api-latency-bad-inputs', _cnn, lambda m, x: measure_latency(m, torch.randn(2, 5, 8, 8)), ValueError,
          r"in module '0' while timing it .*pass inputs the model accepts \(a batch from the data\)$"),
    Fault('api-pruner-context-typo', _cnn, _pr(context='everywhere'), ValueError, r"'local', 'global'.*got 'everywhere'"),
    Fault('api-pruner-criteria-unknown', _cnn, _pr('l3'), ValueError, r"unknown criteria 'l3'; allowed:"),
    Fault('api-pruner-ignore-unknown', _cnn, _pr(ignore=['backbone.*']), ValueError, r"ignored layer 'backbone\.\*' matches no layer"),
    Fault('api-pruner-round-to-zero', _cnn, _pr(round_to=0), ValueError, r"round_to must be a positive integer, 'auto' or None, got 0"),
    Fault('api-pruner-round-to-string', _cnn, _pr(round_to='eight'), ValueError, r"round_to .*'eight'"),
    Fault('api-pruner-layer-types-lstm', _cnn, _pr(layer_types=nn.LSTM), TypeError, r"LSTM, which fasterprune cannot prune.*supported: Linear, Conv1d"),
    Fault('api-pruner-everything-ignored', _cnn, _pr(ignore=['0', '3']), ValueError, r"no coupled group can be pruned.*ignored"),
    Fault('api-pruner-optimizer-class', _cnn, _pr(optimizer=torch.optim.SGD), TypeError, r"optimizer must be an optimizer instance"),
    Fault('api-pruner-num-heads-unknown', _cnn, _pr(num_heads={'attn': 4}), ValueError, r"num_heads names 'attn', which is not a module"),
    Fault('api-pruner-max-ratio-local', _cnn, _pr(max_ratio=0.5), ValueError, r"max_ratio.*context='global'"),
    Fault('api-pruner-ratio-one', _cnn, _prune(1.0), ValueError, r"in \[0, 1\).*1.0"),
    Fault('api-pruner-ratio-negative', _cnn, _prune(-0.1), ValueError, r"-0.1"),
    Fault('api-pruner-no-target', _cnn, _prune(), ValueError, r"give one target.*got none"),
    Fault('api-pruner-ratio-and-budget', _cnn, _prune(0.5, macs=0.5), ValueError, r"give one target.*a ratio \(0.5\)"),
    Fault('api-pruner-two-budgets', _cnn, _prune(macs=0.5, latency=0.5), ValueError, r"give one budget, not 2"),
    Fault('api-pruner-macs-unreachable', _cnn, _prune(macs=0.001), ValueError, r"cannot keep only 0.10% of the macs.*largest ratio keeps"),
    Fault('api-pruner-params-unreachable', _cnn, _prune(params=0.001), ValueError, r"cannot keep only 0.10% of the params"),
    Fault('api-pruner-ratio-goes-back', _half_pruned, lambda m, pr: pr.prune(0.25), ValueError, r"pruning_ratio 0.25 is below the ratio already reached \(0.5\).*cannot come back"),
    Fault('api-pruner-check-budget-none', _cnn, lambda m, x: Pruner(m, x).check_budget(), ValueError, r"give the budget to check: macs=, params= or latency="),
    Fault('api-pruner-per-layer-context-and-ratio', _cnn, lambda m, x: Pruner(m, x, context={'0': 0.5}).prune(0.5),
          ValueError, r"per-layer context: the ratios are in the context"),
    Fault('api-pruner-recalibrate-zero-batches', _cnn, lambda m, x: recalibrate_bn(m, [x], n_batches=0),
          ValueError, r"n_batches must be a positive number of batches or None \(all\), got 0"),
    # --- reports
    Fault('api-sparsity-report-layer-type', _cnn, lambda m, x: sparsity_report(m, layer_types=nn.LSTM), TypeError, r"LSTM.*supported"),
    Fault('api-schedule-start-pct-above-one', _cnn, lambda m, x: Schedule(sched_lin, start_pct=1.5), ValueError, r"start_pct must be a number in \[0, 1\], got 1.5", check_model=False),
    Fault('api-schedule-extra-argument', _cnn, lambda m, x: Schedule(sched_lin, steps=3), TypeError, r"schedule 'lin' cannot take \{'steps': 3\}", check_model=False),
    Fault('api-schedule-n-steps-zero', _cnn, lambda m, x: as_schedule(partial(iterative, n_steps=0)), ValueError, r"n_steps must be a positive integer, got 0", check_model=False),
    Fault('api-schedule-positional-partial', _cnn, lambda m, x: as_schedule(partial(iterative, 3)), TypeError, r"keyword arguments only, got \(3,\)", check_model=False),
    Fault('api-schedule-epochs-not-resolved', _cnn, lambda m, x: Schedule(sched_lin, end_epoch=2)(0.5, 0.5), ValueError, r"set in epochs.*for_epochs", check_model=False),
    # --- the criteria registry
    Fault('api-register-criteria-not-criteria', _cnn, lambda m, x: register_criteria(lambda w: w.abs()), TypeError, r"register_criteria takes a Criteria, got function", check_model=False),
    Fault('api-register-criteria-taken-name', _cnn, lambda m, x: register_criteria(Criteria(lambda w: w.abs(), 'large_final')),
          ValueError, r"'large_final' is already registered", check_model=False),
    Fault('api-criteria-bad-reducer', _cnn, lambda m, x: Criteria(lambda w: w, 'mine', reducer='max'), ValueError, r"reducer must be 'mean' or 'sum', got 'max'", check_model=False),
    Fault('api-criteria-bad-normalizer', _cnn, lambda m, x: large_final.with_options(normalizer='l2'), ValueError, r"unknown normalizer 'l2'; allowed:", check_model=False),
    Fault('api-criteria-bad-needs', _cnn, lambda m, x: Criteria(lambda w: w, 'mine', needs='start'), ValueError, r"needs must be None, 'init' or 'previous', got 'start'", check_model=False),
    # --- save / load helpers with garbage files
    Fault('api-load-pruned-missing-file', _cnn, lambda m, x: load_pruned(m, Path(tempfile.mkdtemp()) / 'none.pth'), FileNotFoundError, r"no checkpoint file at .*none.pth"),
    Fault('api-load-pruned-garbage-bytes', _cnn, _load(content=b'not a checkpoint at all'), ValueError, r"cannot be read as a PyTorch checkpoint"),
    Fault('api-load-pruned-a-list', _cnn, _load(obj=[1, 2, 3]), ValueError, r"not a checkpoint of save_pruned.*holds a list"),
    Fault('api-load-pruned-plain-state-dict', _cnn, lambda m, x: load_pruned(m, _tmp(obj=_cnn()[0].state_dict())),
          ValueError, r"not a checkpoint of save_pruned.*learn.load"),
    Fault('api-attach-masks-foreign', _cnn, lambda m, x: attach_masks(m, {'9.weight_mask': torch.ones(3, 3, dtype=torch.bool)}),
          ValueError, r"checkpoint mask '9.weight_mask' does not fit the model"),
    Fault('api-attach-masks-wrong-shape', _cnn, lambda m, x: attach_masks(m, {'0.weight_mask': torch.ones(3, 3, dtype=torch.bool)}),
          ValueError, r"'0.weight_mask' does not fit.*shape \(3, 3\)"),
]
