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
