#!/usr/bin/env python
"""Build the documentation site from the notebooks: `python tools/build_docs.py [--out DIR]` (default `_docs/`).

Each notebook in nbs/ becomes one page, made from the outputs stored in it (nothing is executed): nbconvert
writes the notebook as Markdown, its plots as PNG files beside it, and MkDocs with the Material theme makes
the site. A page lives where nbdev's `Docs:` lines say, at the notebook's name without its number
(`nbs/00_core.granularity.ipynb` -> `core.granularity.html`), and its Markdown is served beside it
(`core.granularity.html.md`), the address those lines print. As in nbdev's own sites, `#| hide` cells are
left out, `#|` directives dropped and `show_doc` cells shown by their output only. The benchmark results
the front page links to are pages too. The tools: `pip install -e ".[docs]"`.
"""
import argparse, json, logging, posixpath, re, shutil, tempfile, tomllib
from pathlib import Path

from nbdev.config import nbpath2html

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
RESULTS = ROOT / 'benchmarks' / 'results'
MATHJAX = 'https://unpkg.com/mathjax@3/es5/tex-mml-chtml.js'   # read by the browser, for the few formulas

def notebooks(nbs: Path = NBS) -> list[Path]:
    "The notebooks of the docs, in chapter order (the numbers in their names), the front page first."
    found = sorted(p for p in nbs.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    return sorted(found, key=lambda p: (p.name != 'index.ipynb', p.parent != nbs, p))

def page_path(nb: Path, nbs: Path = NBS) -> Path:
    "Where the page of notebook `nb` lives in the site: nbdev's name for it (the one in the `Docs:` lines)."
    return nbpath2html(nb.relative_to(nbs))

_QUARTO_ATTRIBUTES = re.compile(r'(?<=\))\{target="_blank"[^}]*\}')   # show_doc's `[source](...){target=...}`
_LIST_AFTER_TEXT = re.compile(r'^([^\s`|>#-].*)\n(?=(?:[-*+]|\d+\.) )', re.M)

def _reader_markdown(text: str) -> str:
    "`text` for Python-Markdown: no Quarto attributes, and a blank line before a list that follows a paragraph."
    parts = re.split(r'(```.*?```)', _QUARTO_ATTRIBUTES.sub('', text), flags=re.S)   # fenced code stays as it is
    return ''.join(p if p.startswith('```') else _LIST_AFTER_TEXT.sub(r'\1\n\n', p) for p in parts)

def _reader_output(output: dict) -> dict:
    if 'text/markdown' not in output.get('data', {}): return output
    return {**output, 'data': {**output['data'], 'text/markdown': _reader_markdown(''.join(output['data']['text/markdown']))}}

def reader_notebook(nb: dict) -> dict:
    """`nb` as a reader sees it: no `#| hide` cells, no `#|` directive lines, `show_doc` calls shown by their
    output only (tagged `remove_input`), Markdown that Python-Markdown reads as Jupyter does."""
    cells = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            cells.append({**cell, 'source': _reader_markdown(src)})
            continue
        lines = src.splitlines()
        if any(l.split()[:2] == ['#|', 'hide'] for l in lines): continue
        src = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        if not src: continue   # a cell that only held directives (`#| default_exp`)
        tags = ['remove_input'] if all(l.startswith('show_doc(') for l in src.splitlines()) else []
        cells.append({**cell, 'source': src, 'metadata': {**cell['metadata'], 'tags': tags},
                      'outputs': [_reader_output(o) for o in cell.get('outputs', [])]})
    return {**nb, 'cells': cells, 'metadata': {**nb['metadata'], 'language_info': {'name': 'python'}}}

def title(nb: dict, default: str) -> str:
    "The first `# ` heading of a notebook."
    for cell in nb['cells']:
        if cell['cell_type'] == 'markdown' and (m := re.search(r'^# (.+)$', ''.join(cell['source']), re.M)):
            return m.group(1).strip()
    return default

def page_markdown(nb_path: Path, nbs: Path = NBS) -> tuple[str, dict[str, bytes]]:
    "The Markdown of `nb_path`'s page, and its plots by file name (relative to the page)."
    import nbformat
    from nbconvert import MarkdownExporter
    from traitlets.config import Config
    exporter = MarkdownExporter(config=Config(TagRemovePreprocessor={'enabled': True, 'remove_input_tags': {'remove_input'}}))
    nb = nbformat.reads(json.dumps(reader_notebook(json.loads(nb_path.read_text()))), as_version=4)
    body, resources = exporter.from_notebook_node(nb, resources={'output_files_dir': f'{page_path(nb_path, nbs).stem}_files'})
    return body, resources.get('outputs', {})

def link_pages(markdown: str, folder: str, pages: set[str], suffix: str) -> str:
    "`markdown` (of a page in `folder`) with its relative links to `pages` (site paths without suffix) ending in `suffix`."
    def relink(m):
        return f'{m[1]}{m[2]}{suffix}{m[4]}' if posixpath.normpath(posixpath.join(folder, m[2])) in pages else m[0]
    return re.sub(r'(\]\()((?![a-z]+:)[^)#\s]+?)(\.html|\.md)([)#])', relink, markdown)

def _nav(pages: list[tuple[str, str]], results: list[tuple[str, str]]) -> list:
    "The site's menu: the front page, the chapters (grouped by subpackage: `core.`, `sparse.`, ...), tutorials, benchmarks."
    nav, groups = [], {}
    for name, page in pages:
        group = page.split('/')[0].title() if '/' in page else page.split('.')[0] if page.count('.') > 1 else None
        if group is None: nav.append({name: page})
        else:
            if group not in groups: nav.append({group: groups.setdefault(group, [])})
            groups[group].append({name: page})
    return nav + [{'Benchmarks': [{name: page} for name, page in results]}]

def stage(docs_dir: Path, nbs: Path = NBS, results: Path = RESULTS) -> tuple[list, dict[Path, str]]:
    """Write the site's Markdown sources into `docs_dir` (a page per notebook with its plots, the results pages);
    return the menu and the Markdown to serve beside each notebook's page (`core.budget.html.md`)."""
    nb_pages = {nb: page_path(nb, nbs) for nb in notebooks(nbs)}
    out = docs_dir / results.relative_to(ROOT)
    out.mkdir(parents=True)
    result_pages = []
    for f in sorted(results.iterdir()):
        if f.suffix in ('.md', '.png'): shutil.copy(f, out / f.name)
        if f.suffix == '.md': result_pages.append((f.read_text().split('\n', 1)[0].lstrip('# '), f'{out.relative_to(docs_dir)}/{f.name}'))
    targets = {p.with_suffix('').as_posix() for p in nb_pages.values()} | {p.removesuffix('.md') for _, p in result_pages}
    pages, served = [], {}
    for nb_path, page in nb_pages.items():
        body, plots = page_markdown(nb_path, nbs)
        source = docs_dir / page.with_suffix('.md')
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(link_pages(body, page.parent.as_posix(), targets, '.md'))   # MkDocs checks links between sources, then writes .html
        for name, data in plots.items(): (source.parent / name).parent.mkdir(exist_ok=True); (source.parent / name).write_bytes(data)
        pages.append((title(json.loads(nb_path.read_text()), page.stem), page.with_suffix('.md').as_posix()))
        served[Path(f'{page}.md')] = link_pages(body, page.parent.as_posix(), targets, '.html')
    return _nav(pages, result_pages), served

_MATHJAX_CONFIG = '''window.MathJax = {tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]]},
                 options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"}};
document$.subscribe(() => { MathJax.typesetPromise && MathJax.typesetPromise() });
'''

def mkdocs_config(docs_dir: Path, site_dir: Path, nav: list, pyproject: Path = ROOT / 'pyproject.toml') -> dict:
    "The MkDocs settings: names and addresses from pyproject.toml, the Material theme, every warning an error."
    project = tomllib.loads(pyproject.read_text())['project']
    (docs_dir / 'mathjax.js').write_text(_MATHJAX_CONFIG)
    return dict(
        site_name=project['name'], site_description=project['description'],
        site_url=project['urls']['Documentation'], repo_url=project['urls']['Repository'], edit_uri='',
        docs_dir=str(docs_dir), site_dir=str(site_dir), use_directory_urls=False,  # core.budget.html, as nbdev names it
        strict=True, nav=nav, extra_javascript=['mathjax.js', MATHJAX],
        theme={'name': 'material', 'font': False,   # no font from the network: the site reads offline too
               'features': ['navigation.sections', 'navigation.top', 'search.highlight', 'content.code.copy']},
        markdown_extensions=['tables', 'admonition', 'attr_list', 'md_in_html', {'toc': {'permalink': True}},
                             'pymdownx.highlight', 'pymdownx.superfences', 'pymdownx.inlinehilite',
                             {'pymdownx.arithmatex': {'generic': True}}],
        plugins=['search'],
        validation={'links': {'absolute_links': 'warn', 'unrecognized_links': 'warn', 'anchors': 'warn'}})

def build_docs(out: Path = ROOT / '_docs') -> Path:
    "Build the site into `out` (replacing what was there) and return `out`."
    import mkdocs.commands.build, mkdocs.config
    log = logging.getLogger('mkdocs')   # what MkDocs warns about (each warning fails the build), as its command shows it
    if not log.handlers: log.addHandler(logging.StreamHandler())
    out = Path(out).resolve()
    if out.exists(): shutil.rmtree(out)
    with tempfile.TemporaryDirectory() as tmp:
        docs_dir, config_file = Path(tmp) / 'docs', Path(tmp) / 'mkdocs.yml'
        nav, served = stage(docs_dir)
        config_file.write_text(json.dumps(mkdocs_config(docs_dir, out, nav)))   # JSON is YAML
        mkdocs.commands.build.build(mkdocs.config.load_config(str(config_file)))
    for path, markdown in served.items(): (out / path).write_text(markdown)
    return out

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', type=Path, default=ROOT / '_docs', help='folder of the built site (default: _docs/)')
    site = build_docs(parser.parse_args().out)
    print(f'built {sum(1 for _ in site.rglob("*.html"))} pages into {site}; open {site / "index.html"}')
