#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb (what `nbdev-readme` does, without Quarto).

Markdown cells are copied; code cells become ```python blocks followed by their text output;
cells marked `#| hide` are left out. `--check` exits 1 if README.md is not what it would write.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _directives(src: str) -> tuple[set, str]:
    lines = src.splitlines()
    flags = {l[3:].strip() for l in lines if l.startswith('#| ')}
    return flags, '\n'.join(l for l in lines if not l.startswith('#|')).strip()

def _outputs(cell) -> str:
    text = []
    for o in cell.get('outputs', []):
        if o['output_type'] == 'stream': text.append(''.join(o['text']))
        elif 'text/plain' in o.get('data', {}): text.append(''.join(o['data']['text/plain']))
    lines = ''.join(text).rstrip().split('\n')
    return '\n'.join(l.split('\r')[-1] for l in lines)  # what a terminal shows after carriage returns

def readme(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    "The README text made from the notebook at `nb_path`."
    parts = []
    for cell in json.loads(nb_path.read_text())['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            parts.append(src.strip())
            continue
        flags, code = _directives(src)
        if 'hide' in flags or not code: continue
        parts.append(f'```python\n{code}\n```')
        if out := _outputs(cell): parts.append(f'```\n{out}\n```')
    return '<!-- Made from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + \
           '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    target, text = ROOT / 'README.md', readme()
    if '--check' in sys.argv:
        if not target.exists() or target.read_text() != text:
            sys.exit('README.md is not in step with nbs/index.ipynb: run `python tools/make_readme.py`')
        print('README.md is in step with nbs/index.ipynb')
    else:
        target.write_text(text)
        print(f'wrote {target}')
