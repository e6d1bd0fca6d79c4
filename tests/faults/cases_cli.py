"""Bad numbers given to the `fasterprune demo` command (issue 26): a ValueError naming the option, the value and what is
allowed, before anything is trained or written (the command line gives the same as argparse's error: nbs/40_cli.ipynb)."""
import tempfile
from pathlib import Path
import torch.nn as nn
from fasterprune.cli import demo
from faults.harness import Fault

def _folder():
    tmp = Path(tempfile.mkdtemp(prefix='faults_cli_'))
    (tmp / 'notes.txt').write_text('mine')
    return nn.Identity(), tmp

def _demo(kw): return lambda m, tmp: demo(**{'out': tmp / 'plots', **kw(tmp)})

def _nothing_written(case):
    "The case, and then: no folder made, the file left as it was."
    act = case.act
    def checked(m, tmp):
        try: act(m, tmp)
        finally: assert not (tmp / 'plots').exists() and (tmp / 'notes.txt').read_text() == 'mine'
    case.act = checked
    return case

CASES = [_nothing_written(c) for c in (
    Fault('cli-demo-epochs-zero', _folder, _demo(lambda t: dict(epochs=0)),
          ValueError, r"^epochs must be a positive integer, got 0$", check_model=False),
    Fault('cli-demo-epochs-negative', _folder, _demo(lambda t: dict(epochs=-3)),
          ValueError, r"^epochs must be a positive integer, got -3$", check_model=False),
    Fault('cli-demo-lr-negative', _folder, _demo(lambda t: dict(lr=-1.)),
          ValueError, r"^lr must be a finite number > 0, got -1\.0$", check_model=False),
    Fault('cli-demo-lr-nan', _folder, _demo(lambda t: dict(lr=float('nan'))),
          ValueError, r"^lr must be a finite number > 0, got nan$", check_model=False),
    Fault('cli-demo-seed-negative', _folder, _demo(lambda t: dict(seed=-1)),
          ValueError, r"^seed must be an integer in \[0, 2\*\*32\), got -1$", check_model=False),
    Fault('cli-demo-out-is-a-file', _folder, _demo(lambda t: dict(out=t / 'notes.txt')),
          ValueError, r"^out must be a folder for the PNG files \(created if missing\), but .*notes\.txt is a file$", check_model=False),
    Fault('cli-demo-out-under-a-file', _folder, _demo(lambda t: dict(out=t / 'notes.txt' / 'plots')),
          ValueError, r"but .*notes\.txt is a file$", check_model=False),
)]
