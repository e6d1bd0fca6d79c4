"""The fuzz suite of issue 11 (quick mode): random architectures, random channel masks, `Pruner.prune_masked`; and
random plans, `Pruner.prune`.

Every model (seeds 0..199, see tests/fuzz_models.py) must give the masked model's outputs after `prune_masked`,
with each layer's width what its masks say (the dead channels of each coupled group gone, one unit kept) and no
mask left; and a fresh copy pruned by a plan (random context, ratio up to 95 %) must run with fewer parameters.
The long mode is `python benchmarks/fuzz.py` (2,000 models and more)."""
import collections
import warnings
from fuzz_models import run_case, FEATURES

N_MODELS, FIRST_SEED = 200, 0

def test_prune_masked_on_random_architectures():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        results = [run_case(s) for s in range(FIRST_SEED, FIRST_SEED + N_MODELS)]
    failed = [r for r in results if r.problems]
    assert not failed, f'{len(failed)} of {N_MODELS} models failed:\n' + '\n'.join(
        f'seed {r.seed}: {r.problems}\n    {r.desc}' for r in failed[:10])
    # the suite must test something: most models lose channels, and every kind of layer takes part
    assert sum(r.removed > 0 for r in results) >= 0.7 * N_MODELS
    pruned = collections.Counter(f for r in results if r.removed for f in r.features)
    assert set(pruned) == set(FEATURES), f'never pruned with: {set(FEATURES) - set(pruned)}'


# --- resumes (issue 26): each resumable driver stopped by a KeyboardInterrupt from its evaluator at random calls,
# resumed from its file (and maybe stopped again), must end where one uninterrupted run ends (tests/faults/interrupts.py;
# the long mode is `python benchmarks/fuzz.py --resume N`)
import random
import pytest
from faults.interrupts import DRIVERS, full_run, interrupted_run, random_cuts

@pytest.mark.parametrize('driver', list(DRIVERS))
def test_interrupted_runs_resume_to_the_same_result(driver):
    rng = random.Random(f'resume-{driver}')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        reference, calls = full_run(driver)
        assert calls >= 4, f'{driver}: a run of {calls} evaluator calls leaves few places to stop'
        for n_stops in (1, 2):
            cuts = random_cuts(rng, calls, n_stops)
            result, problems = interrupted_run(driver, cuts)
            assert not problems, f'{driver} stopped at calls {cuts}: {problems}'
            assert result == reference, f'{driver} stopped at calls {cuts} and resumed ends elsewhere than an uninterrupted run'
