"""Quiet by default: fasterprune hides two known messages of its dependencies only around its own calls
(`core.quiet`), and `fasterprune --help` answers at once, without importing torch."""
import contextlib, io, shutil, subprocess, sys, sysconfig, time
from pathlib import Path
import torch
import torch.nn as nn

def run_python(*args: str) -> subprocess.CompletedProcess:
    "Run a fresh interpreter, with every warning shown once per place, as Python does by default."
    return subprocess.run([sys.executable, '-W', 'default', *args], capture_output=True, text=True, timeout=300)

def test_importing_fasterprune_all_shows_no_torch_jit_warning_but_the_users_own_still_warns():
    "fastai's warning is filtered around fasterprune's imports only: torch.jit.script warns after as it did before."
    res = run_python('-c', '''
import warnings, torch
def jit_script_warns():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        torch.jit.script(torch.nn.ReLU())
    return any('torch.jit.script' in str(w.message) for w in seen)
before = jit_script_warns()
import fasterprune.all   # imports fastai: what it warns goes to stderr
print(before, jit_script_warns())''')
    assert res.returncode == 0, res.stderr
    assert 'torch.jit' not in res.stderr, res.stderr
    before, after = res.stdout.split()
    assert after == before, f'torch.jit.script warned {before} before importing fasterprune.all, {after} after'

def test_a_mac_count_prints_no_torch_pruning_note_but_what_the_model_prints():
    from fasterprune.core.budget import count_macs_params
    class Chatty(nn.Module):   # called with keyword inputs only: torch-pruning would print its batch-size note
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 2)
        def forward(self, img):
            print('forward of Chatty')
            return self.lin(img)
    out = io.StringIO()
    with contextlib.redirect_stdout(out): counts = count_macs_params(Chatty(), {'img': torch.randn(3, 4)})
    assert counts['params'] == 10, counts
    assert 'No positional inputs' not in out.getvalue() and 'forward of Chatty' in out.getvalue(), out.getvalue()

def _installed_command() -> str:
    "The `fasterprune` script pip installed beside this interpreter (not a shell shim in front of it)."
    script = Path(sysconfig.get_path('scripts')) / 'fasterprune'
    found = str(script) if script.exists() else shutil.which('fasterprune')
    assert found, 'the fasterprune command is not installed: pip install -e .'
    return found

def test_fasterprune_help_answers_in_under_two_seconds():
    start = time.perf_counter()
    res = subprocess.run([_installed_command(), '--help'], capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - start
    assert res.returncode == 0 and 'demo' in res.stdout, res.stdout + res.stderr
    assert took < 2, f'fasterprune --help took {took:.2f} s (it should import neither torch nor fastai)'

def test_fasterprune_help_imports_no_torch():
    res = run_python('-X', 'importtime', _installed_command(), '--help')   # one line per module imported, on stderr
    assert res.returncode == 0, res.stderr
    imported = {line.rsplit('|', 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith('import time:')}
    heavy = sorted(m for m in imported if m.split('.')[0] in ('torch', 'fastai', 'torch_pruning', 'matplotlib'))
    assert not heavy, f'fasterprune --help imported {heavy}'
