"Test settings shared by the suite: no display, quiet progress bars, and the repository root."
import os
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')
import fastprogress.fastprogress as fp
fp.NO_BAR = True  # notebooks run in this process: no progress bars in the test log
ROOT = Path(__file__).resolve().parents[1]
