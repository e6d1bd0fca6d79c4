"""The bad-input and fault matrix (issue 11): every case must raise exactly its error, with a message that
names the bad value and what is allowed, and leave the model exactly as it was. See tests/faults/harness.py."""
import importlib, re
from pathlib import Path
import pytest
from faults.harness import Fault, model_state, assert_same

_HERE = Path(__file__).parent / 'faults'
CASES: list[Fault] = []
for _p in sorted(_HERE.glob('cases_*.py')):
    CASES += importlib.import_module(f'faults.{_p.stem}').CASES

def test_matrix_is_large_and_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), 'duplicate case names'
    assert len(CASES) >= 100, f'the matrix holds {len(CASES)} cases; issue 11 asks for at least 100'

@pytest.mark.xdist_group('faults')
@pytest.mark.parametrize('case', CASES, ids=lambda c: c.name)
def test_fault(case: Fault):
    model, ctx = case.make()
    before = model_state(model) if case.check_model else None
    with pytest.raises(BaseException) as info:
        case.act(model, ctx)
    assert type(info.value) is case.error, f'{case.name}: raised {type(info.value).__name__}: {info.value}'
    assert re.search(case.match, str(info.value)), f'{case.name}: message {str(info.value)!r} does not match {case.match!r}'
    if case.check_model: assert_same(before, model_state(model), case.name)
