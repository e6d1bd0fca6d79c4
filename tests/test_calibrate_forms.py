"""Every entry point with `calibrate=` takes the forms users of other tools have (issue 27): (inputs, targets) pairs,
a torch DataLoader(TensorDataset(x, y)) and a calibration function called with the model (Vitis AI's calibration_fn).
Chapter 51 shows that each form recalibrates as the input batches do; here each entry point runs with pairs and a function."""
import pytest, torch
from fasterprune.all import (Evaluator, analyse, search_subnets, prune_iteratively, simulated_annealing, amc, netadapt,
                             small_cnn)

X, Y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
STEADY = Evaluator(lambda m: 1., fine_tune=lambda m: None)          # the calibration is what is tested, not the score

RUNS = {
    'analyse': lambda c: analyse(small_cnn(), X[:4], STEADY, ratios=[0.5], calibrate=c, progress=False),
    'search_subnets': lambda c: search_subnets(small_cnn(), X[:4], STEADY, macs=0.6, n_subnets=1, calibrate=c, progress=False),
    'prune_iteratively': lambda c: prune_iteratively(small_cnn(), X[:4], STEADY, macs=0.6, step=0.5, calibrate=c, verbose=False),
    'simulated_annealing': lambda c: simulated_annealing(small_cnn(), X[:4], STEADY, macs=0.6, start_temperature=0.02,
                                                         stop_temperature=0.01, calibrate=c, progress=False),
    'amc': lambda c: amc(small_cnn(), X[:4], STEADY, macs=0.6, episodes=2, warmup=1, updates=1, calibrate=c, progress=False),
    'netadapt': lambda c: netadapt(small_cnn(), X[:4], STEADY, macs=0.8, step=0.2, fine_tune=None, max_iterations=1,
                                   calibrate=c, progress=False),
}


@pytest.mark.parametrize('name', RUNS)
def test_pairs_loader_and_function(name):
    calls = []
    def calibration_fn(model):
        calls.append(1)
        for xb in X.split(8): model(xb)
    for c in ([(X[:8], Y[:8]), (X[8:], Y[8:])], calibration_fn):     # a torch DataLoader: chapter 51
        RUNS[name](c)
    assert calls, f"{name} never called the calibration function"
