"Bad input to simulated annealing, AutoCompress and ADMM (auto.annealing, auto.admm): a clear error, the model unchanged."
import torch
import torch.nn as nn
from fasterprune.all import simulated_annealing, auto_compress, ADMM, ADMMCallback, admm_train, admm_prune
from fasterprune.data import small_cnn
from faults.harness import Fault

def _cnn():
    torch.manual_seed(0)
    return small_cnn(widths=(8, 8, 8)), torch.randn(4, 1, 8, 8)

def _batches(x): return [(x, torch.zeros(len(x), dtype=torch.long))]

_ok = lambda m: 1.
def _sa(**kw): return lambda m, x: simulated_annealing(m, x, kw.pop('evaluate', _ok), progress=False, **kw)
def _ac(**kw): return lambda m, x: auto_compress(m, x, _ok, _batches(x), nn.CrossEntropyLoss(), progress=False, **kw)

CASES = [
    Fault('annealing-start-temperature-zero', _cnn, _sa(macs=0.5, start_temperature=0),
          ValueError, r"start_temperature must be a finite number > 0.*got 0"),
    Fault('annealing-start-temperature-nan', _cnn, _sa(macs=0.5, start_temperature=float('nan')),
          ValueError, r"start_temperature must be a finite number > 0.*got nan"),
    Fault('annealing-stop-temperature-negative', _cnn, _sa(macs=0.5, stop_temperature=-0.1),
          ValueError, r"stop_temperature must be a finite number > 0.*got -0.1"),
    Fault('annealing-stop-above-start', _cnn, _sa(macs=0.5, start_temperature=0.01, stop_temperature=0.05),
          ValueError, r"stop_temperature \(0.05\) must be below start_temperature \(0.01\)"),
    Fault('annealing-cooling-rate-one', _cnn, _sa(macs=0.5, cooling_rate=1.0),
          ValueError, r"cooling_rate must be in \(0, 1\).*got 1.0"),
    Fault('annealing-cooling-rate-negative', _cnn, _sa(macs=0.5, cooling_rate=-0.5),
          ValueError, r"cooling_rate must be in \(0, 1\).*got -0.5"),
    Fault('annealing-perturbation-zero', _cnn, _sa(macs=0.5, perturbation=0),
          ValueError, r"perturbation must be in \(0, 1\].*got 0"),
    Fault('annealing-perturbation-too-large', _cnn, _sa(macs=0.5, perturbation=2.5),
          ValueError, r"perturbation must be in \(0, 1\].*got 2.5"),
    Fault('annealing-no-target', _cnn, _sa(),
          ValueError, r"give one target: macs= or params=.*or sparsity="),
    Fault('annealing-two-targets', _cnn, _sa(macs=0.5, sparsity=0.5),
          ValueError, r"give one target: macs= or params=.*or sparsity="),
    Fault('annealing-macs-out-of-range', _cnn, _sa(macs=150),
          ValueError, r"macs budget must be a fraction in \[0, 1\].*got 150"),
    Fault('annealing-macs-unreachable', _cnn, _sa(macs=0.01),
          ValueError, r"cannot keep only 1.00% of the macs.*raise max_ratio or the budget"),
    Fault('annealing-sparsity-unreachable', _cnn, _sa(sparsity=0.99, layer_types=nn.Conv2d),
          ValueError, r"cannot remove 99.00% of the weights with at most 90%.*max_ratio"),
    Fault('annealing-sparsity-zero', _cnn, _sa(sparsity=0),
          ValueError, r"sparsity must be above 0"),
    Fault('annealing-max-ratio-one', _cnn, _sa(macs=0.5, max_ratio=1),
          ValueError, r"max_ratio must be a fraction in \[0, 1\).*got 1"),
    Fault('annealing-seed-not-int', _cnn, _sa(macs=0.5, seed='a'),
          ValueError, r"seed must be an integer, got 'a'"),
    Fault('annealing-evaluator-nan', _cnn, _sa(macs=0.5, evaluate=lambda m: float('nan')),
          ValueError, r"returned nan: the score must be a finite number"),
    Fault('annealing-evaluator-string', _cnn, _sa(macs=0.5, evaluate=lambda m: 'good'),
          TypeError, r"must return a number \(higher is better\), got 'good'"),
    Fault('annealing-autocompress-rounds-zero', _cnn, _ac(macs=0.5, rounds=0),
          ValueError, r"rounds must be a positive integer, got 0"),
    Fault('annealing-autocompress-no-budget', _cnn, _ac(),
          ValueError, r"give the budget to reach: macs= or params="),
    Fault('annealing-autocompress-bad-cooling', _cnn, _ac(macs=0.5, cooling_rate=0),
          ValueError, r"cooling_rate must be in \(0, 1\).*got 0"),
    Fault('annealing-admm-rho-zero', _cnn, lambda m, x: ADMM(m, 0.5, rho=0),
          ValueError, r"rho must be a finite number > 0, got 0"),
    Fault('annealing-admm-rho-inf', _cnn, lambda m, x: ADMM(m, 0.5, rho=float('inf')),
          ValueError, r"rho must be a finite number > 0, got inf"),
    Fault('annealing-admm-rho-growth-below-one', _cnn, lambda m, x: ADMM(m, 0.5, rho_growth=0.5),
          ValueError, r"rho_growth must be >= 1.*got 0.5"),
    Fault('annealing-admm-sparsity-one', _cnn, lambda m, x: ADMM(m, 1.0),
          ValueError, r"sparsity must be a fraction in \[0, 1\).*got 1.0"),
    Fault('annealing-admm-nm-granularity', _cnn, lambda m, x: ADMM(m, 0.5, granularity='2:4'),
          ValueError, r"granularity 2:4.*use 'weight', 'kernel', 'filter', 'row'"),
    Fault('annealing-admm-unknown-layer', _cnn, lambda m, x: ADMM(m, {'nope': 0.5}),
          ValueError, r"'nope' matches no layer of the model"),
    Fault('annealing-admm-output-channels', _cnn,
          lambda m, x: admm_prune(m, _batches(x), nn.CrossEntropyLoss(), {'13': 0.5}, 'row', example_inputs=x, progress=False),
          ValueError, r"output channels of layer '13' cannot be removed.*exclude it"),
    Fault('annealing-admm-channels-without-inputs', _cnn, lambda m, x: ADMM(m, 0.5, 'filter').prune(),
          ValueError, r"granularity filter removes channels: pass example_inputs="),
    Fault('annealing-admm-update-every-zero', _cnn,
          lambda m, x: admm_train(m, ADMM(m, 0.5), _batches(x), nn.CrossEntropyLoss(), update_every=0),
          ValueError, r"update_every must be a positive number of batches or None.*got 0"),
    Fault('annealing-admm-negative-epochs', _cnn,
          lambda m, x: admm_train(m, ADMM(m, 0.5), _batches(x), nn.CrossEntropyLoss(), epochs=-1),
          ValueError, r"epochs must be an integer >= 0, got -1"),
    Fault('annealing-admm-callback-rho-nan', _cnn, lambda m, x: ADMMCallback(0.5, rho=float('nan')),
          ValueError, r"rho must be a finite number > 0, got nan", check_model=False),
]
