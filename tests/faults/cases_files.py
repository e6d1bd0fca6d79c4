"""Files the library reads (issue 26): each of the seven JSON loaders and the AMC checkpoint given a binary file, text
that is not JSON, a file of a newer format version, a missing key, a wrong type or a wrong length must raise a
ValueError naming the file and what is wrong in it; nothing in a file is run (crafted pickles: tests/test_safe_loading.py).
The files are written once per session by tiny real runs, then edited."""
import json, tempfile
from pathlib import Path
import torch
import torch.nn as nn
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.analyze.sensitivity import Sensitivity, analyse
from fasterprune.analyze.search import Subnets, search_subnets
from fasterprune.auto.annealing import Annealing, simulated_annealing
from fasterprune.auto.netadapt import LatencyTable, NetAdaptRun, latency_table, netadapt
from fasterprune.auto.amc import AMCRun, amc
from fasterprune.auto.lottery import LotteryRun, lottery_rounds
from fasterprune.data import small_cnn
from faults.harness import Fault

_TMP = Path(tempfile.mkdtemp(prefix='faults_files_'))
X = torch.randn(4, 1, 8, 8)
ONE = Evaluator(lambda m: 1., fine_tune=lambda m: None)
AMC_KW = dict(macs=0.5, episodes=3, warmup=2, updates=1, progress=False)

def _cnn():
    torch.manual_seed(0)
    return small_cnn(widths=(8, 8, 8))

def _write(name: str, write) -> Path:
    "A file written once per session by `write(path)`."
    f = _TMP / name
    if not f.exists(): write(f)
    return f

_MAKE = {   # a real file of each format, from a tiny run
    'sens.json': lambda f: analyse(_cnn(), X, ONE, ratios=[0.25, 0.5], progress=False).save(f),
    'subnets.json': lambda f: search_subnets(_cnn(), X, ONE, macs=0.5, n_subnets=1, fine_tune_top=0, progress=False).save(f),
    'anneal.json': lambda f: simulated_annealing(_cnn(), X, ONE, macs=0.5, start_temperature=1., stop_temperature=0.5,
                                                 fine_tune_top=0, progress=False).save(f),
    'table.json': lambda f: latency_table(_cnn(), X, fractions=(0.5, 1.), repeats=1, warmup=0, progress=False).save(f),
    'netadapt.json': lambda f: netadapt(_cnn(), X, ONE, macs=0.7, step=0.3, fine_tune=None, path=f, progress=False),
    'amc.json': lambda f: amc(_cnn(), X, ONE, **AMC_KW, fine_tune_top=0).save(f),
    'amc.pth': lambda f: amc(_cnn(), X, ONE, **AMC_KW, fine_tune_top=0, path=f),
    'lottery.json': lambda f: lottery_rounds(_cnn(), ONE, 0.5, 1, path=f.parent / 'lottery', progress=False).save(f),
}

def _file(name: str) -> Path: return _write(name, _MAKE[name])

def _edited(name: str, edit, out: str) -> Path:
    "A copy of the real file `name` as JSON, changed by `edit(d)`."
    def write(f):
        d = json.loads(_file(name).read_text()); edit(d); f.write_text(json.dumps(d))
    return _write(out, write)

def _binary() -> Path: return _write('model.pth', lambda f: torch.save(_cnn().state_dict(), f))
def _text() -> Path: return _write('notes.txt', lambda f: f.write_text('accuracy 0.93 at 50 % of the MACs\n'))

def _model(): return _cnn(), None

def _pop(*keys):
    def edit(d):
        for k in keys[:-1]: d = d[k]
        d.pop(keys[-1])
    return edit

def _set(value, *keys):
    def edit(d):
        for k in keys[:-1]: d = d[k]
        d[keys[-1]] = value
    return edit

def _drop_last(*keys):
    def edit(d):
        for k in keys: d = d[k]
        d.pop()
    return edit

def _first_unit(d): return next(iter(d['units']))
def _first_entry(d): return next(iter(d['entries']))

LOADERS = {   # file -> (load(path, model), what, name in messages)
    'sens.json': (lambda f, m: Sensitivity.load(f, m), 'sensitivity analysis'),
    'subnets.json': (lambda f, m: Subnets.load(f, m), 'subnet search'),
    'anneal.json': (lambda f, m: Annealing.load(f, m), 'simulated annealing'),
    'table.json': (lambda f, m: LatencyTable.load(f), 'latency table'),
    'netadapt.json': (lambda f, m: NetAdaptRun.load(f, m), 'NetAdapt run'),
    'amc.json': (lambda f, m: AMCRun.load(f), 'AMC run'),
    'lottery.json': (lambda f, m: LotteryRun.load(f), 'lottery run'),
}

def _load(name: str, path):
    "The act: load the file `path()` with the loader of the format of `name`."
    return lambda m, _: LOADERS[name][0](path(), m)

def _an(what): return ('an ' if what[0] in 'aeiouAEIOU' else 'a ') + what

CASES = []
for name, (_, what) in LOADERS.items():
    stem = name.split('.')[0]
    a = _an(what)
    edited = lambda edit, out, name=name, stem=stem: (lambda: _edited(name, edit, f'{stem}_{out}.json'))
    CASES += [
        Fault(f'files-{stem}-binary', _model, _load(name, _binary), ValueError,
              rf"cannot read {a} from .*model\.pth: it is a binary file, not the JSON \(text\) file"),
        Fault(f'files-{stem}-not-json', _model, _load(name, _text), ValueError,
              rf"cannot read {a} from .*notes\.txt: it is not JSON"),
        Fault(f'files-{stem}-other-format', _model, _load(name, edited(_set('fasterprune.other', 'format'), 'fmt')),
              ValueError, rf"{stem}_fmt\.json is not {a} saved by fasterprune"),
        Fault(f'files-{stem}-newer-version', _model, _load(name, edited(_set(99, 'version'), 'v99')),
              ValueError, rf"{stem}_v99\.json holds {a} of format version 99, written by a newer fasterprune: this one reads versions up to \d"),
        Fault(f'files-{stem}-version-string', _model, _load(name, edited(_set('2', 'version'), 'vstr')),
              ValueError, rf"{stem}_vstr\.json: its version is '2', not a format version"),
    ]

def _case(name, edit, out, match):
    stem = name.split('.')[0]
    return Fault(f'files-{stem}-{out}', _model, _load(name, lambda: _edited(name, edit, f'{stem}_{out}.json')), ValueError,
                 rf"{stem}_{out}\.json is not a valid {LOADERS[name][1]}: {match}.*; the file was damaged or edited")

CASES += [
    # missing keys
    _case('sens.json', _pop('baseline'), 'no-baseline', r"the file has no 'baseline'"),
    _case('sens.json', lambda d: d['units'][_first_unit(d)].pop('channels'), 'unit-no-channels', r"\['units'\]\['\w+'\] has no 'channels'"),
    _case('subnets.json', _pop('subnets'), 'no-subnets', r"the file has no 'subnets'"),
    _case('subnets.json', lambda d: d['subnets'][0].pop('groups'), 'subnet-no-groups', r"\['subnets'\]\[0\] has no 'groups'"),
    _case('anneal.json', _pop('history'), 'no-history', r"the file has no 'history'"),
    _case('anneal.json', lambda d: d['history'][0].pop('score'), 'state-no-score', r"\['history'\]\[0\] has no 'score'"),
    _case('table.json', _pop('entries'), 'no-entries', r"the file has no 'entries'"),
    _case('table.json', lambda d: d['tag'].pop('device_name'), 'tag-no-device', r"\['tag'\] has no 'device_name'"),
    _case('netadapt.json', _pop('rows'), 'no-rows', r"the file has no 'rows'"),
    _case('netadapt.json', lambda d: d['rows'][0].pop('score'), 'row-no-score', r"\['rows'\]\[0\] has no 'score'"),
    _case('amc.json', _pop('layers_of'), 'no-layers-of', r"the file has no 'layers_of'"),
    _case('amc.json', lambda d: d['rows'][1].pop('ratios'), 'row-no-ratios', r"\['rows'\]\[1\] has no 'ratios'"),
    _case('lottery.json', _pop('n_rounds'), 'no-n-rounds', r"the file has no 'n_rounds'"),
    _case('lottery.json', lambda d: d['rows'][0].pop('sparsity'), 'row-no-sparsity', r"\['rows'\]\[0\] has no 'sparsity'"),
    # wrong types
    _case('sens.json', _set('0.9', 'baseline'), 'baseline-string', r"\['baseline'\] is a string \(0\.9\), expected a number"),
    _case('sens.json', _set(True, 'baseline'), 'baseline-bool', r"\['baseline'\] is true/false \(True\), expected a number"),
    _case('subnets.json', _set([0.5], 'budget'), 'budget-list', r"\['budget'\] is a list, expected an object"),
    _case('anneal.json', lambda d: d['history'][0].update(step='0'), 'step-string', r"\['history'\]\[0\]\['step'\] is a string \(0\), expected an integer"),
    _case('table.json', _set(None, 'constant'), 'constant-null', r"\['constant'\] is null \(None\), expected a number"),
    _case('netadapt.json', _set('no', 'pending'), 'pending-string', r"\['pending'\] is a string, expected an object or null"),
    _case('amc.json', lambda d: d['rows'][0].update(score='high'), 'score-string', r"\['rows'\]\[0\]\['score'\] is a string \(high\), expected a number"),
    _case('lottery.json', lambda d: d['rows'][1].update(ticket=3), 'ticket-int', r"\['rows'\]\[1\]\['ticket'\] is an integer \(3\), expected a string or null"),
    # wrong lengths, orders and ranges
    _case('sens.json', lambda d: d['units'][_first_unit(d)]['scores'].pop(), 'fewer-scores',
          r"\['units'\]\['\w+'\]\['scores'\] holds 1 scores for the 2 ratios \(one score per ratio"),
    _case('sens.json', lambda d: d['ratios'].append(0.75), 'more-ratios', r"\['units'\]\['8'\]\['scores'\] holds 2 scores for the 3 ratios"),
    _case('sens.json', _set([0.25, 1.5], 'ratios'), 'ratio-above-one', r"\['ratios'\] holds 1\.5, not a ratio of channels in \(0, 1\]"),
    _case('sens.json', _set('filter', 'by'), 'by-filter', r"\['by'\] is 'filter', expected 'group' or 'layer'"),
    _case('subnets.json', lambda d: d['subnets'][0]['groups'].update({'0>': 2.}), 'ratio-two', r"\['subnets'\]\[0\]\['groups'\]\['0>'\] is 2\.0, not a ratio in \[0, 1\]"),
    _case('anneal.json', lambda d: d['history'][1].update(step=7), 'steps-out-of-order', r"\['history'\]\[1\]\['step'\] is 7, expected 1"),
    _case('table.json', lambda d: d['entries'][_first_entry(d)]['latency'].pop(), 'short-latency',
          r"\['entries'\]\['[^']+'\]\['latency'\] holds 1 latencies for the 2 counts of axis"),
    _case('table.json', lambda d: d['entries'][_first_entry(d)]['counts'].append([1]), 'counts-per-axis',
          r"\['entries'\]\['0'\]\['counts'\] holds 2 lists of channel counts for the 1 axes"),
    _case('netadapt.json', lambda d: d['rows'].clear(), 'no-iteration', r"\['rows'\] is empty"),
    _case('netadapt.json', lambda d: d['table'] or d.update(table={'tag': {}}), 'bad-table', r"\['table'\]\['tag'\] has no 'signature'"),
    _case('amc.json', lambda d: d['rows'][1].update(episode=5), 'episode-order', r"\['rows'\]\[1\]\['episode'\] is 5, expected 1"),
    _case('amc.json', lambda d: d['rows'][0]['ratios'].update({'nope>': 0.5}), 'unknown-group', r"\['rows'\]\[0\]\['ratios'\] names 'nope>', not a group of the run"),
    _case('lottery.json', lambda d: d['rows'].append(dict(d['rows'][-1], round=2)), 'more-rounds',
          r"\['rows'\] holds 3 rounds, more than round 0 and the n_rounds=1 prunings"),
    _case('lottery.json', lambda d: d['rows'][1].update(sparsity=50), 'sparsity-percent', r"\['rows'\]\[1\]\['sparsity'\] is 50, not a fraction in \[0, 1\]"),
]

def _ckpt(name: str, edit) -> Path:
    "A copy of the real AMC checkpoint changed by `edit(ck)`."
    def write(f):
        ck = torch.load(_file('amc.pth'), weights_only=True); edit(ck); torch.save(ck, f)
    return _write(name, write)

def _amc(path): return lambda m, _: amc(m, X, ONE, **AMC_KW, fine_tune_top=0, path=path())

CASES += [
    # the AMC checkpoint
    Fault('files-amc-ckpt-garbage', _model, _amc(lambda: _write('garbage.pth', lambda f: f.write_bytes(b'garbage'))),
          ValueError, r"garbage\.pth cannot be read as a PyTorch checkpoint \(truncated, or not written by torch\.save\?\)"),
    Fault('files-amc-ckpt-truncated', _model, _amc(lambda: _write('trunc.pth', lambda f: f.write_bytes(_file('amc.pth').read_bytes()[:400]))),
          ValueError, r"trunc\.pth cannot be read as a PyTorch checkpoint \(truncated"),
    Fault('files-amc-ckpt-json', _model, _amc(lambda: _file('amc.json')),
          ValueError, r"amc\.json cannot be read as a PyTorch checkpoint"),
    Fault('files-amc-ckpt-state-dict', _model, _amc(_binary),
          ValueError, r"model\.pth is not an AMC checkpoint saved by fasterprune \(no format 'fasterprune\.amc'\)"),
    Fault('files-amc-ckpt-no-agent', _model, _amc(lambda: _ckpt('no_agent.pth', lambda ck: ck.pop('agent'))),
          ValueError, r"no_agent\.pth is not a valid AMC checkpoint: the file has no 'agent'; the file was damaged or edited: delete it"),
    Fault('files-amc-ckpt-rows-dict', _model, _amc(lambda: _ckpt('rows_dict.pth', lambda ck: ck.update(rows={}))),
          ValueError, r"rows_dict\.pth is not a valid AMC checkpoint: \['rows'\] is an object, expected a list"),
    Fault('files-amc-ckpt-unknown-group', _model, _amc(lambda: _ckpt('group.pth', lambda ck: ck['rows'][0].update(ratios={'x>': 0.5}))),
          ValueError, r"group\.pth is not a valid AMC checkpoint: \['rows'\]\[0\]\['ratios'\] names 'x>', not a group of the run"),
    Fault('files-amc-ckpt-bad-agent', _model,
          _amc(lambda: _ckpt('agent.pth', lambda ck: ck['agent']['nets'][0].update({'0.weight': torch.zeros(2)}))),
          ValueError, r"agent\.pth: the agent's state in it cannot be restored \(RuntimeError: .*size mismatch for 0\.weight.*\): "
                      r"the file was damaged or edited; delete it"),
    Fault('files-amc-ckpt-directory', _model, _amc(lambda: _TMP), ValueError, r"path must name the checkpoint file, .* is a directory"),
    Fault('files-amc-ckpt-more-episodes', _model,   # a 4-episode run asked for 3: neither the 4 nor its first 3 returned in silence
          lambda m, _: amc(m, X, ONE, **{**AMC_KW, 'episodes': 3}, fine_tune_top=0, path=_write(
              'amc4.pth', lambda f: amc(_cnn(), X, ONE, **{**AMC_KW, 'episodes': 4}, fine_tune_top=0, path=f))),
          ValueError, r"amc4\.pth holds 4 episodes, more than episodes=3: give episodes >= 4 to continue or read that run"),
]

# saving is checked before anything changes (issue 26): no pruned model whose record is lost, no stray .tmp file
from fasterprune.prune.pruner import save_pruned
from fasterprune.analyze.iterative import prune_iteratively

def _folder(name: str) -> Path:
    f = _TMP / name; f.mkdir(exist_ok=True)
    return f

def _no_tmp(act):
    "`act`, then the check that it left no temporary file in the session's folder (it must fail first)."
    def run(m, ctx):
        try: act(m, ctx)
        finally: assert not list(_TMP.rglob('*.tmp')), list(_TMP.rglob('*.tmp'))
    return run

class _Stop(Exception): pass

def _stopping_in_round(n: int) -> Evaluator:
    "An evaluator whose fine-tune raises at its `n`-th call (round 0 is the first): a crash or a Ctrl-C in a round."
    calls = []
    def fine_tune(m):
        calls.append(1)
        if len(calls) == n: raise _Stop('stopped in a round')
    return Evaluator(lambda m: 1., fine_tune=fine_tune)

def _lottery_folder(name: str, drop: str) -> Path:
    "A lottery run stopped after round 1, with the file `drop` deleted."
    f = _TMP / name
    if not f.exists():
        try: lottery_rounds(_cnn(), _stopping_in_round(3), 0.75, 3, path=f, progress=False)
        except _Stop: pass
        (f / drop).unlink()
    return f

CASES += [
    Fault('files-save-pruned-directory', _model, _no_tmp(lambda m, _: save_pruned(m, _folder('dir'))),
          ValueError, r"dir is a directory: give the name of the file to write, such as .*dir/pruned\.pth"),
    Fault('files-save-pruned-under-a-file', _model, _no_tmp(lambda m, _: save_pruned(m, _binary() / 'pruned.pth')),
          ValueError, r"cannot write .*model\.pth/pruned\.pth: .*model\.pth is a file, not a directory"),
    Fault('files-iterative-save-directory', _model,
          _no_tmp(lambda m, _: prune_iteratively(m, X, ONE, params=0.5, save=_folder('dir'), verbose=False)),
          ValueError, r"dir is a directory: give the name of the file to write"),
    Fault('files-lottery-stopped-no-masks', _model,
          lambda m, _: lottery_rounds(m, _stopping_in_round(3), 0.75, 3, path=_TMP / 'lottery_stop', progress=False),
          _Stop, r"stopped in a round"),
    Fault('files-lottery-stopped-round-0', _model, lambda m, _: lottery_rounds(m, _stopping_in_round(1), 0.75, 3, progress=False),
          _Stop, r"stopped in a round"),
    Fault('files-lottery-resume-no-trained', _model,
          lambda m, _: lottery_rounds(m, ONE, 0.75, 3, path=_lottery_folder('lottery_no_trained', 'trained.pth'), resume=True,
                                      progress=False),
          FileNotFoundError, r"lottery_no_trained holds a run but not its trained\.pth: keep the files of a run together"),
    Fault('files-lottery-resume-truncated-rng', _model,
          lambda m, _: lottery_rounds(m, ONE, 0.75, 3, path=_lottery_trunc(), resume=True, progress=False),
          ValueError, r"rng\.pth cannot be read as a PyTorch checkpoint \(truncated"),
]

def _lottery_trunc() -> Path:
    f = _lottery_folder('lottery_trunc', 'ticket_1.pth')
    rng = f / 'rng.pth'
    if rng.stat().st_size > 100: rng.write_bytes(rng.read_bytes()[:100])
    return f
