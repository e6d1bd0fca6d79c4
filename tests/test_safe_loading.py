"""No file runs code when fasterprune reads it (issue 26). Every reader of PyTorch files goes through
`prune.checkpoint.read_checkpoint` (`torch.load(weights_only=True)`), every reader of JSON through the checked reader of
`analyze.sensitivity`. A crafted pickle whose loading would write a marker file is given to each entry point that reads
a .pth file: each refuses it with a ValueError naming the file, and the marker is never written."""
import re, shutil, tempfile
from pathlib import Path
import pytest
import torch
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.auto.amc import amc
from fasterprune.auto.lottery import lottery_rounds
from fasterprune.auto.netadapt import NetAdaptRun, netadapt
from fasterprune.data import small_cnn
from fasterprune.prune.pruner import Pruner
from fasterprune.prune.checkpoint import load_pruned, read_checkpoint, save_pruned

PACKAGE = Path(__file__).parents[1] / 'fasterprune'
X = torch.randn(4, 1, 8, 8)
ONE = Evaluator(lambda m: 1., fine_tune=lambda m: None)
REFUSED = r"cannot be read as a PyTorch checkpoint without running code: it holds a Python object \(getattr\)"


class Payload:
    "Pickled, a call of `Path.write_text(marker, ...)`: what a crafted checkpoint would run when loaded unguarded."
    def __init__(self, marker: Path): self.marker = marker
    def __reduce__(self): return (Path.write_text, (self.marker, 'code from the file ran'))


def _cnn():
    torch.manual_seed(0)
    return small_cnn(widths=(8, 8, 8))


def _craft(path: Path, marker: Path, like=None) -> Path:
    "Write at `path` a torch checkpoint holding the payload (inside a copy of `like`, a dict, if given)."
    torch.save({**(like or {}), 'payload': Payload(marker)}, path)
    return path


@pytest.fixture
def tmp():
    d = Path(tempfile.mkdtemp(prefix='safe_loading_'))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_the_payload_would_run(tmp):
    "The control: an unguarded torch.load of the crafted file does write the marker."
    marker = tmp / 'marker'
    torch.load(_craft(tmp / 'crafted.pth', marker), weights_only=False)
    assert marker.read_text() == 'code from the file ran'


def test_read_checkpoint_refuses(tmp):
    marker = tmp / 'marker'
    with pytest.raises(ValueError, match=r"crafted\.pth " + REFUSED):
        read_checkpoint(_craft(tmp / 'crafted.pth', marker))
    assert not marker.exists()


def test_load_pruned_refuses(tmp):
    m, marker = _cnn(), tmp / 'marker'
    Pruner(m, X).prune(0.5); save_pruned(m, tmp / 'pruned.pth')
    like = torch.load(tmp / 'pruned.pth', weights_only=True)
    fresh = _cnn(); before = {k: v.clone() for k, v in fresh.state_dict().items()}
    with pytest.raises(ValueError, match=r"crafted\.pth " + REFUSED):
        load_pruned(fresh, _craft(tmp / 'crafted.pth', marker, like))
    assert not marker.exists()
    assert fresh.state_dict().keys() == before.keys() and all(torch.equal(v, before[k]) for k, v in fresh.state_dict().items())


def test_amc_checkpoint_refuses(tmp):
    marker = tmp / 'marker'
    with pytest.raises(ValueError, match=r"amc\.pth " + REFUSED):
        amc(_cnn(), X, ONE, macs=0.5, episodes=2, warmup=1, progress=False, fine_tune_top=0,
            path=_craft(tmp / 'amc.pth', marker, {'format': 'fasterprune.amc'}))
    assert not marker.exists()


@pytest.mark.parametrize('name', ['rewind.pth', 'trained.pth', 'rng.pth'])
def test_lottery_resume_refuses(tmp, name):
    folder, marker = tmp / 'rounds', tmp / 'marker'
    lottery_rounds(_cnn(), ONE, 0.75, 2, path=folder, progress=False)   # resuming it reads the three files
    _craft(folder / name, marker)
    with pytest.raises(ValueError, match=re.escape(name) + ' ' + REFUSED):
        lottery_rounds(_cnn(), ONE, 0.75, 2, path=folder, resume=True, progress=False)
    assert not marker.exists()


def test_netadapt_chosen_model_refuses(tmp):
    marker, path = tmp / 'marker', tmp / 'run.json'
    netadapt(_cnn(), X, ONE, macs=0.7, step=0.3, fine_tune=None, path=path, progress=False)
    chosen = path.parent / NetAdaptRun.load(path).model_file
    _craft(chosen, marker, torch.load(chosen, weights_only=True))
    with pytest.raises(ValueError, match=re.escape(chosen.name) + ' ' + REFUSED):
        NetAdaptRun.load(path, _cnn())
    assert not marker.exists()


# the one exception: the CLI reads a whole pickled model the user names, only with --trust-pickle (nb 40 tests the refusal)
TRUSTED = ('cli.py', "return torch.load(file, map_location='cpu', weights_only=False)")

def test_no_unguarded_reader_in_the_package():
    "Every torch.load of the package is read_checkpoint's, with weights_only=True, but the CLI's --trust-pickle; no pickle, no eval of file contents."
    loads = []
    for f in sorted(PACKAGE.rglob('*.py')):
        text = f.read_text()
        assert not re.search(r'^\s*(import|from)\s+(c?pickle|dill|marshal|shelve)\b', text, re.M), f'{f} imports a pickle module'
        assert text.count('weights_only=False') == (f.name == TRUSTED[0]), f'{f} loads with weights_only=False'
        loads += [(f.name, line.strip()) for line in text.splitlines() if re.search(r'torch\.load\(', line) and '"' not in line[:line.find('torch.load')]]
    assert loads == [TRUSTED, ('checkpoint.py', "try: return torch.load(file, map_location='cpu', weights_only=True)")], loads
