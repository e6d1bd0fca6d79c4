"""The docs site (`python tools/build_docs.py`) builds from the notebooks' stored outputs: every notebook is a
page with its outputs and plots, every internal link of the site resolves, and every `Docs:` URL the package
prints is a page the site serves."""
import html, json, re, sys, tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / 'tools'))
import build_docs

pytestmark = pytest.mark.xdist_group('docs')   # one worker builds the site once for all the tests below
SITE_URL = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['urls']['Documentation']

@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    return build_docs.build_docs(tmp_path_factory.mktemp('docs') / 'site')

class _Page(HTMLParser):
    "The links (`href`, `src`) and the anchors (`id`, `name`) of an HTML page."
    def __init__(self, text: str):
        super().__init__()
        self.links, self.anchors = [], set()
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None: continue
            if name in ('href', 'src'): self.links.append(value)
            if name in ('id', 'name'): self.anchors.add(value)

def _pages(site: Path) -> dict[Path, _Page]:
    return {p.relative_to(site): _Page(p.read_text()) for p in site.rglob('*.html')}

def _target(site: Path, page: Path, link: str) -> tuple[Path, str] | None:
    "The file of the site and the anchor an internal `link` of `page` points to (None for a link out of the site)."
    url = urlsplit(link)
    if url.scheme or url.netloc: return None   # https:, mailto:, data: ...
    path = unquote(url.path)
    if path.startswith('/'):                   # absolute, under the site's path (the 404 page's links)
        base = urlsplit(SITE_URL).path
        assert path.startswith(base), f'{page}: {link} is outside the site ({base})'
        target = site / path[len(base):]
    else: target = (site / page).parent / path if path else site / page
    if target.is_dir(): target = target / 'index.html'
    return target, url.fragment

def test_every_notebook_is_a_page_with_its_outputs_and_plots(site):
    for nb_path in build_docs.notebooks():
        page = build_docs.page_path(nb_path)
        text = (site / page).read_text()
        nb = build_docs.reader_notebook(json.loads(nb_path.read_text()))
        outputs = [o for c in nb['cells'] for o in c.get('outputs', [])]
        plots = sum('image/png' in o.get('data', {}) for o in outputs)
        shown = re.findall(r'<img alt="png" src="[^"]+\.png"', text)   # the files: test_every_internal_link_resolves
        assert len(shown) == plots, f'{page} shows {len(shown)} of its {plots} plots'
        printed = [line.strip() for o in outputs if o['output_type'] == 'stream'
                   for line in ''.join(o['text']).splitlines()[:1] if line.strip()]
        missing = [line for line in printed if line not in html.unescape(text)]
        assert not missing, f'{page} does not show what its cells printed: {missing}'
        markdown = (site / f'{page}.md').read_text()
        assert f'# {build_docs.title(nb, "")}\n' in markdown, f'{page}.md: {markdown[:80]!r}'

def test_every_internal_link_resolves(site):
    pages, broken = _pages(site), []
    for page, parsed in pages.items():
        for link in parsed.links:
            if (found := _target(site, page, link)) is None: continue
            target, anchor = found
            if not target.exists(): broken.append(f'{page}: {link} (no {target.relative_to(site)})')
            elif anchor and target.suffix == '.html' and anchor not in pages[target.relative_to(site)].anchors:
                broken.append(f'{page}: {link} (no #{anchor} in {target.relative_to(site)})')
    assert len(pages) > 40 and not broken, '\n'.join(broken)

def test_every_docs_url_the_package_prints_is_a_page(site):
    urls = {m for p in (ROOT / 'fasterprune').rglob('*.py')
            for m in re.findall(re.escape(SITE_URL) + r'[^\s"\'`)]*', p.read_text())}
    modules = [p for p in (ROOT / 'fasterprune').rglob('*.py') if not p.name.startswith('_')]
    assert len(urls) == len(modules), f'{len(modules)} modules, {len(urls)} Docs: URLs'
    missing = [u for u in sorted(urls) if not (site / u[len(SITE_URL):]).is_file()]
    assert not missing, f'Docs: URLs the site does not serve: {missing}'
