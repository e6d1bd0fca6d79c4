"Two cases that show the shape of a matrix entry (the helpers' cases_*.py add the rest)."
import torch.nn as nn
from fasterprune.all import Sparsifier
from faults.harness import Fault

def _cnn():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3)), None

CASES = [
    Fault('sparsifier-unknown-granularity', _cnn, lambda m, _: Sparsifier(m, 'kernelz'),
          ValueError, r"kernelz.*(weight|filter)"),
]
