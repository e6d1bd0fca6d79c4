"""Benchmark scripts print figures and are not tests, but they must keep running: their quick modes run here."""
import subprocess, sys
from conftest import ROOT

def test_speed_benchmark_runs_quick_on_the_cpu(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'gpu.py'), '--quick', '--device', 'cpu',
                          '--out', str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'SPEED-cpu.md').read_text()
    for section in ('## Selection', '## Masking', '## Fit', '## Latency'): assert section in report, report
    assert (tmp_path / 'SPEED-cpu.json').exists()

def test_search_benchmark_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'search_mnist.py'), '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'SEARCH.md').read_text()
    for plan in ('| uniform ratio |', '| analysis allocation |', '| one-step search (best of 4) |'): assert plan in report, report
    rows = [l for l in report.splitlines() if l.startswith('| ') and '%' in l]
    assert len(rows) == 3 and all(float(r.split('|')[2].strip().rstrip('%')) <= 30 for r in rows), rows   # every plan keeps <= 30 % of the MACs

def test_automatic_pruners_benchmark_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'auto_mnist.py'), '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'AUTO.md').read_text()
    rows = [l for l in report.splitlines() if l.startswith('| ') and '%' in l]
    assert '(over budget)' not in report and len(rows) >= 3, report   # every row ran and kept <= 30 % of the MACs
    assert all(float(r.split('|')[2].strip().rstrip('%')) <= 30 for r in rows), rows

def test_zoo_benchmark_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'zoo.py'), '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'ZOO.md').read_text()
    assert 'fasterprune prunes 3 of the 3 models torch-pruning prunes' in report, report
    assert '| ssdlite320_mobilenet_v3_large |' in report and '| failed' not in report, report

def test_accuracy_benchmark_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'accuracy.py'), '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'ACCURACY.md').read_text()
    assert 'Failed runs' not in report, report
    unstructured = report.split('## rescnn: unstructured')[1].split('##')[0]
    row = next(l for l in unstructured.splitlines() if l.startswith('| 90% |'))
    assert row.count('0.') >= 4, row                      # fasterprune, torch, tuned, kd (and fasterai where installed)
    assert 'MACs kept: fasterprune 0.3' in report, report  # the structured rows met the 40 % budget

def test_deploy_benchmark_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'deploy.py'), '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'DEPLOY.md').read_text()
    row = next(l for l in report.splitlines() if l.startswith('| tiny_mobile |'))
    assert 'ok, max diff' in row and row.count('|') == 14, row   # every column filled, both exports checked
    assert 'onnxruntime b8' in report and (tmp_path / 'DEPLOY.json').exists()
