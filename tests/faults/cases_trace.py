"""What the trace cannot see (issue 26): a branch the example inputs never took leaves its layers out of the dependency
graph (the pruned model then fails on inputs that take it): a warning names them and says what to do; a forward run
under torch.no_grad leaves no autograd record to read: an error says so instead of blaming ignored layers."""
import warnings
import torch
import torch.nn as nn
from fasterprune.all import Pruner, analyse, Evaluator, small_cnn
from faults.harness import Fault

X = torch.ones(2, 3, 8, 8)

class Gated(nn.Module):
    "A data-dependent branch: `b` runs only on inputs whose sum is not positive."
    def __init__(self):
        super().__init__()
        self.a, self.b, self.head = nn.Conv2d(3, 8, 1), nn.Conv2d(3, 8, 1), nn.Conv2d(8, 2, 1)
    def forward(self, x):
        if x.sum() > 0: return self.head(self.a(x))
        return self.head(self.b(x))

class NoGrad(nn.Module):
    "A forward that turns autograd off."
    def __init__(self):
        super().__init__()
        self.net = small_cnn(3, 10, (8, 8))
    @torch.no_grad()
    def forward(self, x): return self.net(x)

def _make(cls):
    def make():
        torch.manual_seed(0)
        return cls(), None
    return make

def _strict(act):
    "The act with warnings raised as errors (the warning is the fault)."
    def strict(m, ctx):
        with warnings.catch_warnings():
            warnings.simplefilter('error', UserWarning)
            return act(m, ctx)
    return strict

ONE = Evaluator(lambda m: 1.)

CASES = [
    Fault('trace-branch-not-taken-pruner', _make(Gated), _strict(lambda m, _: Pruner(m, X)), UserWarning,
          r"^tracing Gated on the example inputs never reached 1 of its layers: 'b'; a branch these inputs did not take "
          r"\(data-dependent control flow \(__bool__ at cases_trace\.py:\d+ \(if x\.sum\(\) > 0: .*\)\)\).*Give example inputs or a "
          r"forward_fn\(model, inputs\) that run every branch, or ignore= the layers that feed them$"),
    Fault('trace-branch-not-taken-analyse', _make(Gated), _strict(lambda m, _: analyse(m, X, ONE, ratios=[0.5], progress=False)),
          UserWarning, r"never reached 1 of its layers: 'b'"),
    Fault('trace-no-grad-forward-pruner', _make(NoGrad), lambda m, _: Pruner(m, X), ValueError,
          r"^NoGrad's forward runs without autograd \(torch\.no_grad or torch\.inference_mode inside forward\): the dependency graph "
          r"is read from autograd's record, and the trace never reached 4 of its 5 layers \('net\.0', 'net\.1', 'net\.4', 'net\.5'\); "
          r"remove no_grad from forward and call the model under torch\.no_grad\(\) from outside instead$"),
    Fault('trace-no-grad-forward-analyse', _make(NoGrad), lambda m, _: analyse(m, X, ONE, ratios=[0.5], progress=False),
          ValueError, r"^NoGrad's forward runs without autograd"),
]
