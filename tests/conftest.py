"Test settings shared by the suite: no display, quiet progress bars, and the repository root."
import os
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')
# pytest runs one notebook per core (-n 2): one torch thread each keeps them from fighting over the cores
os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch
torch.set_num_threads(1)
import fastprogress.fastprogress as fp
fp.NO_BAR = True  # notebooks run in this process: no progress bars in the test log
ROOT = Path(__file__).resolve().parents[1]
