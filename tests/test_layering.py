"""The package's layers: every import (at module level or inside a function) goes down or sideways, never back up.

core < data < report < the engines (prune, sparse, regularize) < distill < deploy < analyze < auto < cli < all.
A module may import from its own layer or from any layer below it."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'fasterprune'
LAYERS = [{'core'}, {'data'}, {'report'}, {'prune', 'sparse', 'regularize'}, {'distill'}, {'deploy'},
          {'analyze'}, {'auto'}, {'cli'}, {'all'}]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}

def _modules() -> dict[str, Path]:
    return {'.'.join(f.relative_to(PKG).with_suffix('').parts): f for f in PKG.rglob('*.py')
            if f.name not in ('__init__.py', '_modidx.py')}

def _imports(mod: str, file: Path) -> set[str]:
    "The fasterprune modules `mod` imports, relative imports resolved."
    here, found = mod.split('.')[:-1], set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)]
                found.add('.'.join(base + ([node.module] if node.module else [])))
            elif node.module and node.module.startswith('fasterprune.'): found.add(node.module[len('fasterprune.'):])
        elif isinstance(node, ast.Import):
            found |= {a.name[len('fasterprune.'):] for a in node.names if a.name.startswith('fasterprune.')}
    return {m for m in found if m}

def test_every_package_has_a_layer():
    top = {m.split('.')[0] for m in _modules()}
    assert top <= set(LEVEL), f"modules outside the layers of tests/test_layering.py: {sorted(top - set(LEVEL))}"

def test_no_import_runs_back_up():
    upward = [f"{mod} imports {target}" for mod, file in _modules().items() for target in _imports(mod, file)
              if LEVEL[target.split('.')[0]] > LEVEL[mod.split('.')[0]]]
    assert not upward, "imports that run back up a layer:\n" + '\n'.join(sorted(upward))

def test_the_check_sees_imports_inside_functions(tmp_path):
    f = tmp_path / 'x.py'
    f.write_text("def f():\n    from fasterprune.deploy import baked_copy\n    from ..auto import amc\n")
    assert _imports('core.x', f) == {'deploy', 'auto'}
