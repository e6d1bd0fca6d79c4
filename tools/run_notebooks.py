#!/usr/bin/env python
"""Execute notebooks and keep their outputs (the docs), with plain-text training logs.

Usage: python tools/run_notebooks.py [notebook ...]   (default: every notebook in nbs/)
Cells flagged `#| notest` or `#| slow` are skipped, as in the test suite; pass --slow to run them too.
Run `nbdev-clean` afterwards (it also normalises the JSON layout).
"""
import json, os, re, sys
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')
import fastprogress.fastprogress as fp
fp.NO_BAR = True  # progress bars would be saved as pages of text; keep the epoch table only
from nbdev.test import test_nb
from fasterprune.core.quiet import JIT_SCRIPT_DEPRECATED, TORCH_PRUNING_BATCH_NOTE

ROOT = Path(__file__).resolve().parents[1]


def quiet_text(text: str) -> str:
    """`text` less what a reader need not see: the '█' + carriage return fastprogress prints to test the
    terminal's encoding even with NO_BAR, and the two known messages of fasterprune's dependencies
    (core.quiet). fastai's import warning also comes where a notebook imports fastai itself, as its
    readers' own code does; the library hides it only around its own imports."""
    text = re.sub(rf'.*FutureWarning: {JIT_SCRIPT_DEPRECATED}.*\n  warnings\.warn\(\n', '', text.replace('█\r', ''))
    return ''.join(l for l in text.splitlines(keepends=True) if l.rstrip('\n') != TORCH_PRUNING_BATCH_NOTE)

def strip_noise(nb_path: Path) -> None:
    "Apply `quiet_text` to the printed outputs of the notebook at `nb_path`, dropping those left empty."
    nb = json.loads(nb_path.read_text())
    for cell in nb['cells']:
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream':
                out['text'] = quiet_text(''.join(out['text'])).splitlines(keepends=True)
        if 'outputs' in cell:
            cell['outputs'] = [o for o in cell['outputs'] if o.get('output_type') != 'stream' or o['text']]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    skip = ['notest'] if '--slow' in sys.argv else ['notest', 'slow']
    nbs = [Path(a).resolve() for a in args] or sorted((ROOT / 'nbs').rglob('*.ipynb'))
    failed = [nb for nb in nbs if not test_nb(nb, skip_flags=skip, save=True, basepath=ROOT)[0]]
    for nb in nbs: strip_noise(nb)
    if failed: sys.exit(f'failed: {[str(f) for f in failed]}')
    print(f'ran and saved {len(nbs)} notebooks')
