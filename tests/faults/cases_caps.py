"""Per-layer caps that make the total unreachable (issue 26): `Pruner(context='global', max_ratio=)`, `PruneCallback` and
`SparsifyCallback` with their caps refuse the target before anything changes (the callbacks in `before_fit`, before
any batch trains), with the largest total the caps allow, instead of delivering less in silence."""
import torch
from fastai.learner import Learner
from fasterprune.all import Pruner, PruneCallback, SparsifyCallback, Sparsifier, digits_dls, small_cnn, one_shot
from faults.harness import Fault

X = torch.randn(2, 1, 8, 8)

def _cnn():
    torch.manual_seed(0)
    return small_cnn(widths=(16, 32, 64)), None

def _learner():
    torch.manual_seed(0)
    learn = Learner(digits_dls(bs=64), small_cnn(widths=(8, 8, 8)))
    return learn.model, learn

def _half_pruned():
    "make: a model its capped Pruner pruned to 0.3; the failing call gets the Pruner."
    model, _ = _cnn()
    pr = Pruner(model, X, context='global', max_ratio=0.6)
    pr.prune(0.3)
    return model, pr

def _capped_sparsifier():
    "make: a model with its capped Sparsifier (masks at 0); the failing call gets the Sparsifier."
    model, _ = _cnn()
    return model, Sparsifier(model, 'filter', 'global', max_sparsity=0.5)

def _fit(cb): return lambda m, learn: learn.fit(1, 1e-2, cbs=cb())

CASES = [
    Fault('caps-pruner-max-ratio-unreachable', _cnn, lambda m, _: Pruner(m, X, context='global', max_ratio=0.6).prune(0.8),
          ValueError, r"^max_ratio=0\.6 caps each group: it allows at most a ratio of 0\.5893 \(66 of the 112 channel units\), "
                      r"got pruning_ratio 0\.8 \(90 units\); lower the ratio or raise max_ratio$"),
    Fault('caps-pruner-max-ratio-percent-unreachable', _cnn, lambda m, _: Pruner(m, X, context='global', max_ratio=0.6).prune(80),
          ValueError, r"at most a ratio of 0\.5893 .*got pruning_ratio 0\.8 "),
    Fault('caps-pruner-max-ratio-plan', _cnn, lambda m, _: Pruner(m, X, context='global', max_ratio=0.5).plan(0.6),
          ValueError, r"^max_ratio=0\.5 caps each group: it allows at most a ratio of 0\.5000 \(56 of the 112 channel units\), got pruning_ratio 0\.6 \(67 units\)"),
    Fault('caps-pruner-max-ratio-second-step', _half_pruned, lambda m, pr: pr.prune(0.7),
          ValueError, r"at most a ratio of 0\.5893 .*got pruning_ratio 0\.7 \(78 units\)"),
    Fault('caps-prunecb-max-ratio-before-fit', _learner,
          _fit(lambda: PruneCallback(0.8, schedule=one_shot, context='global', max_ratio=0.5, report_latency=False, verbose=False)),
          ValueError, r"event `before_fit`:\n\tmax_ratio=0\.5 caps each group: it allows at most a ratio of 0\.5000 \(12 of the 24 channel units\), got pruning_ratio 0\.8"),
    Fault('caps-sparsifycb-max-sparsity-before-fit', _learner,
          _fit(lambda: SparsifyCallback(0.8, 'filter', 'global', max_sparsity=0.5, verbose=False)),
          ValueError, r"event `before_fit`:\n\tmax_sparsity=0\.5 caps each layer: it allows at most 50\.00% sparsity \(12 of the 24 units of granularity "
                      r"filter\), got target 0\.8 \(19 units\); lower the target or raise max_sparsity$"),
    Fault('caps-sparsifycb-nm-above-half-before-fit', _learner,
          _fit(lambda: SparsifyCallback(0.75, '2:4', layer_types=torch.nn.Linear, include=['13'], verbose=False)),
          ValueError, r"event `before_fit`:\n\tgranularity 2:4 allows at most 50% sparsity, got \{'13': 0\.75\}"),
    Fault('caps-sparsifier-max-sparsity-unreachable', _capped_sparsifier, lambda m, sp: sp.prune(0.8),
          ValueError, r"max_sparsity=0\.5 caps each layer: it allows at most 50\.00% sparsity"),
]
