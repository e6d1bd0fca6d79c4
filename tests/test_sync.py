"""The package and the README are generated from the notebooks; both must be in step with them."""
import shutil, subprocess, sys
from conftest import ROOT

def _py_files(root):
    return {p.relative_to(root): p.read_text() for p in (root / 'fasterprune').rglob('*.py')}

def test_package_is_what_nbdev_export_makes(tmp_path):
    for name in ('nbs', 'fasterprune'): shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / 'pyproject.toml', tmp_path)
    for p in (tmp_path / 'fasterprune').rglob('*.py'):
        if p.name != '__init__.py': p.unlink()   # export must recreate every module
    subprocess.run(['nbdev-export'], cwd=tmp_path, check=True, capture_output=True)
    committed, exported = _py_files(ROOT), _py_files(tmp_path)
    assert sorted(committed) == sorted(exported), 'modules differ: run nbdev-export and commit'
    stale = [str(p) for p in committed if committed[p] != exported[p]]
    assert not stale, f'out of step with the notebooks: {stale}; run nbdev-export and commit'

def test_readme_is_made_from_index_notebook():
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'make_readme.py'), '--check'],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr

def test_readme_benchmark_figures_are_the_ones_the_scripts_wrote():
    "Each figure line in README's Benchmarks section is a line of a results file the benchmark scripts write."
    section = (ROOT / 'README.md').read_text().split('\n## Benchmarks', 1)[1].split('\n## ', 1)[0]
    figures = [l for l in section.splitlines() if l.startswith('- ')]
    results = {l for f in (ROOT / 'benchmarks' / 'results').glob('*.md') for l in f.read_text().splitlines()}
    assert figures, "README's Benchmarks section quotes no figures"
    missing = [l for l in figures if l not in results]
    assert not missing, f'not in benchmarks/results/*.md (copy the Summary lines of the last run): {missing}'
