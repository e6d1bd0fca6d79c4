"""Every notebook in `nbs/` is a chapter of the docs *and* a test file: its cells hold the
assertions. This runs each one, as `nbdev-test` does, one notebook per test."""
import pytest
from conftest import ROOT

NOTEBOOKS = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)

def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5

@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / 'nbs')))
def test_notebook(notebook):
    from nbdev.test import test_nb
    passed, _ = test_nb(notebook, skip_flags=['notest', 'slow'], showerr=True, basepath=ROOT)
    assert passed, f'{notebook.name} failed: see the error above'
