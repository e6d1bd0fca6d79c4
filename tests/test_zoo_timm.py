"""The timm zoo (benchmarks/zoo.py --source timm, issue 25) keeps running: its quick mode, three small timm models at 32 px."""
import json, subprocess, sys
from conftest import ROOT

def test_timm_zoo_runs_quick(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'zoo.py'), '--source', 'timm', '--quick', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = (tmp_path / 'ZOO-timm.md').read_text()
    assert 'fasterprune prunes 3 with the ratio and 3 with macs=0.5 (3 within 1 % below the budget' in report, report
    rows = json.loads((tmp_path / 'ZOO-timm.json').read_text())['rows']
    assert set(rows) == {'resnet10t', 'mobilenetv3_small_050', 'ghostnet_050'}, rows   # ghostnet: the budget used to raise
    for name, row in rows.items():
        assert all(row[part]['ok'] for part in ('tp', 'fp', 'fp_macs', 'tp_at_ratio')), (name, row)
        assert 0.495 <= row['fp_macs']['macs_kept'] <= 0.5, (name, row['fp_macs'])
