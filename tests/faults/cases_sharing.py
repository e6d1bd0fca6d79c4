"Faults of shared, frozen and reparametrized weights (issue 11): tied weights that a plan would untie, layers whose weight another tool computes."
import warnings
import torch
import torch.nn as nn
import torch.nn.utils.prune as torch_prune
from torch.nn.utils import parametrize
from fasterprune.all import Sparsifier, Pruner
from faults.harness import Fault

X = torch.randn(2, 3, 8, 8)

def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

def _with(change):
    "A fresh CNN changed by `change(model)`, with example inputs."
    def make():
        model = _cnn()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')   # torch's deprecated weight_norm / spectral_norm
            change(model)
        return model, X
    return make

class _Symmetric(nn.Module):
    def forward(self, w): return w.triu() + w.triu(1).transpose(-1, -2)

class _TiedThroughHidden(nn.Module):
    "An embedding tied to the output layer, which reads a hidden layer: cutting the hidden layer would untie them."
    def __init__(self):
        super().__init__()
        self.emb, self.mid, self.out = nn.Embedding(20, 8), nn.Linear(8, 8), nn.Linear(8, 20, bias=False)
        self.out.weight = self.emb.weight
    def forward(self, t): return self.out(torch.relu(self.mid(self.emb(t))))

class _TiedChain(nn.Module):
    "One conv weight used by two convs in a row: the first loses output channels, the second input channels."
    def __init__(self):
        super().__init__()
        self.stem, self.a, self.b, self.head = nn.Conv2d(3, 8, 1), nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 2, 1)
        self.b.weight = self.a.weight
    def forward(self, x): return self.head(torch.relu(self.b(torch.relu(self.a(self.stem(x))))))

class _TiedBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3), nn.Conv2d(3, 8, 3)
        self.b.weight = self.a.weight
    def forward(self, x): return self.a(x) + self.b(x)

def _tied_lm():
    torch.manual_seed(0)
    return _TiedThroughHidden(), torch.randint(0, 20, (2, 5))

def _tied_chain():
    torch.manual_seed(0)
    return _TiedChain(), X

PRUNED = r"layer '3' \(Conv2d\) is pruned by torch.nn.utils.prune.*torch.nn.utils.prune.remove\(module, 'weight'\)"
PARAMETRIZED = r"layer '3' \(ParametrizedConv2d\) has parametrizations on \['weight'\].*remove_parametrizations\(module, 'weight'\)"
UNTIE = r"'emb', 'out' share one parameter \(tied weights\).*output channels of 'mid'.*ignore=\['mid'\]"

_l1 = lambda m: torch_prune.l1_unstructured(m[3], 'weight', amount=0.5)
_ln = lambda m: torch_prune.ln_structured(m[3], 'weight', amount=0.5, n=2, dim=0)
_twice = lambda m: (torch_prune.l1_unstructured(m[3], 'weight', amount=0.3), torch_prune.random_unstructured(m[3], 'weight', amount=0.3))
_bias = lambda m: torch_prune.l1_unstructured(m[3], 'bias', amount=0.5)
_head = lambda m: torch_prune.l1_unstructured(m[7], 'weight', amount=0.5)
_wn = lambda m: torch.nn.utils.parametrizations.weight_norm(m[3])
_sym = lambda m: parametrize.register_parametrization(m[3], 'weight', _Symmetric())
_old_wn = lambda m: torch.nn.utils.weight_norm(m[3])
_old_sn = lambda m: torch.nn.utils.spectral_norm(m[3])
_sn_head = lambda m: torch.nn.utils.parametrizations.spectral_norm(m[7])

CASES = [
    # Sparsifier: weights another tool computes
    Fault('sharing-sparsifier-torch-prune-l1', _with(_l1), lambda m, _: Sparsifier(m, 'filter'), ValueError, PRUNED),
    Fault('sharing-sparsifier-torch-prune-structured', _with(_ln), lambda m, _: Sparsifier(m, 'weight', 'global'), ValueError, PRUNED),
    Fault('sharing-sparsifier-torch-prune-twice', _with(_twice), lambda m, _: Sparsifier(m, 'kernel'), ValueError, PRUNED),
    Fault('sharing-sparsifier-torch-prune-bias', _with(_bias), lambda m, _: Sparsifier(m, 'filter'), ValueError,
          r"layer '3' \(Conv2d\) is pruned by torch.nn.utils.prune \(bias_orig and bias_mask\).*remove\(module, 'bias'\)"),
    Fault('sharing-sparsifier-torch-prune-mask-clash', _with(_l1), lambda m, _: Sparsifier(m, 'row', layer_types=nn.Linear),
          ValueError, PRUNED),
    Fault('sharing-sparsifier-torch-prune-per-layer', _with(_l1), lambda m, _: Sparsifier(m, context={'3': 0.5, '0': 0.5}),
          ValueError, PRUNED),
    Fault('sharing-sparsifier-weight-norm', _with(_wn), lambda m, _: Sparsifier(m, 'filter'), ValueError, PARAMETRIZED),
    Fault('sharing-sparsifier-custom-parametrization', _with(_sym), lambda m, _: Sparsifier(m, 'weight'), ValueError, PARAMETRIZED),
    Fault('sharing-sparsifier-parametrized-per-layer', _with(_wn), lambda m, _: Sparsifier(m, context={'3': 0.5}),
          ValueError, PARAMETRIZED),
    Fault('sharing-sparsifier-old-weight-norm', _with(_old_wn), lambda m, _: Sparsifier(m, 'filter'), ValueError,
          r"layer '3' \(Conv2d\) has weight norm.*torch.nn.utils.remove_weight_norm\(module\)"),
    Fault('sharing-sparsifier-old-spectral-norm', _with(_old_sn), lambda m, _: Sparsifier(m, 'filter'), ValueError,
          r"layer '3' \(Conv2d\) has spectral norm.*torch.nn.utils.remove_spectral_norm\(module\)"),
    # Sparsifier: tied layers with different targets
    Fault('sharing-sparsifier-tied-targets', lambda: (_TiedBranches(), X),
          lambda m, _: Sparsifier(m, context={'a': 0.5, 'b': 0.25}), ValueError,
          r"\('b', 'a'\).*share one weight \(tied\) but got different targets \{'b': \(0.25, 0.5\)\}"),
    # Pruner: weights another tool computes (refused before tracing)
    Fault('sharing-pruner-torch-prune-l1', _with(_l1), lambda m, x: Pruner(m, x), ValueError, PRUNED),
    Fault('sharing-pruner-torch-prune-structured', _with(_ln), lambda m, x: Pruner(m, x, context='global'), ValueError, PRUNED),
    Fault('sharing-pruner-torch-prune-bias', _with(_bias), lambda m, x: Pruner(m, x), ValueError, r"remove\(module, 'bias'\)"),
    Fault('sharing-pruner-torch-prune-output-layer', _with(_head), lambda m, x: Pruner(m, x), ValueError,
          r"layer '7' \(Linear\) is pruned by torch.nn.utils.prune"),
    Fault('sharing-pruner-weight-norm', _with(_wn), lambda m, x: Pruner(m, x), ValueError, PARAMETRIZED),
    Fault('sharing-pruner-custom-parametrization', _with(_sym), lambda m, x: Pruner(m, x), ValueError, PARAMETRIZED),
    Fault('sharing-pruner-parametrized-ignored', _with(_wn), lambda m, x: Pruner(m, x, ignore=['3']), ValueError, PARAMETRIZED),
    Fault('sharing-pruner-spectral-norm-head', _with(_sn_head), lambda m, x: Pruner(m, x), ValueError,
          r"layer '7' \(ParametrizedLinear\) has parametrizations on \['weight'\]"),
    Fault('sharing-pruner-old-weight-norm', _with(_old_wn), lambda m, x: Pruner(m, x), ValueError, r"remove_weight_norm\(module\)"),
    Fault('sharing-pruner-frozen-torch-prune', _with(lambda m: (m.requires_grad_(False), _l1(m))), lambda m, x: Pruner(m, x),
          ValueError, PRUNED),
    # Pruner: plans that would untie tied weights (refused inside the transaction)
    Fault('sharing-pruner-untie-local', _tied_lm, lambda m, t: Pruner(m, t).prune(0.5), ValueError, UNTIE),
    Fault('sharing-pruner-untie-global', _tied_lm, lambda m, t: Pruner(m, t, context='global').prune(0.5), ValueError, UNTIE),
    Fault('sharing-pruner-untie-per-layer', _tied_lm, lambda m, t: Pruner(m, t, context={'mid': 0.25}).prune(), ValueError, UNTIE),
    Fault('sharing-pruner-untie-budget', _tied_lm, lambda m, t: Pruner(m, t).prune(params=0.9), ValueError, UNTIE),
    Fault('sharing-pruner-untie-chain', _tied_chain, lambda m, x: Pruner(m, x, ignore=['stem']).prune(0.5), ValueError,
          r"'a', 'b' share one parameter \(tied weights\).*channels of '([ab])'.*ignore=\['\1'\]"),
]
