"""The public surface: `from fasterprune.all import *` gives exactly the names listed below, and after
`from fastai.vision.all import *` it replaces none of fastai's (issue 23).

The list is the one written out in nbs/99_all.ipynb (fasterprune/all.py): a name enters or leaves the star import
only when both change."""
import subprocess, sys, warnings

PUBLIC = {
    # granularity
    'Granularity', 'Pooled', 'Block', 'NM', 'as_granularity', 'named_granularities', 'register_granularities',
    # criteria
    'Criteria', 'Scorer', 'large_final', 'small_final', 'squared_final', 'large_init', 'small_init', 'large_init_large_final',
    'small_init_small_final', 'magnitude_increase', 'movement', 'updating_magnitude_increase', 'updating_movement',
    'updating_movmag', 'l1_norm', 'l2_norm', 'lamp', 'fpgm', 'slim', 'apoz', 'mean_activation', 'taylor_weight',
    'taylor_activation', 'movement_score', 'wanda', 'collect', 'LayerCriteria', 'DataCriteria', 'ActivationCriteria', 'LAMP',
    'FPGM', 'Slim', 'APoZ', 'MeanActivation', 'TaylorWeight', 'TaylorActivation', 'MovementScore', 'Wanda',
    'CRITERIA', 'as_criteria', 'register_criteria',
    # schedules
    'Schedule', 'as_schedule', 'SCHEDULES', 'one_shot', 'iterative', 'agp', 'one_cycle', 'cos', 'lin', 'dsd',
    'sched_oneshot', 'sched_iterative', 'sched_agp', 'sched_onecycle', 'sched_cosine', 'sched_linear', 'sched_dsd', 'plot_schedules',
    # budgets and measures
    'Budget', 'as_budget', 'Resource', 'MACs', 'Params', 'Latency', 'RESOURCES', 'count_macs_params', 'measure_latency', 'layer_macs',
    # several processes
    'is_distributed', 'dist_rank', 'dist_world_size', 'unwrap_model',
    # masking, regularising, distilling
    'Sparsifier', 'bake_masks', 'attach_masks', 'MASK', 'SparsifyCallback', 'from_nni_config', 'Regularizer', 'PENALTIES', 'RegularizeCallback',
    'slim_regularizer', 'KnowledgeDistillationCallback', 'soft_target_loss', 'attention_map', 'attention_loss', 'mse_loss',
    'FEATURE_LOSSES',
    # physical removal
    'register_attention', 'AttentionType', 'ATTENTION_TYPES', 'find_attention', 'check_reloadable', 'TransposedLinear',
    'build_graph', 'Slice', 'check_torch_pruning', 'Pruner', 'PruneStep', 'PRUNABLE', 'pruning_plan', 'save_pruned',
    'load_pruned', 'recalibrate_bn', 'PruneCallback', 'pruning_points',
    # reports and data
    'sparsity_report', 'SparsityReport', 'LayerSparsity', 'model_stats', 'ModelStats', 'structure_report', 'StructureReport',
    'LayerStructure', 'digits_dls', 'digits_tensors', 'example_inputs', 'small_cnn',
    # deployment
    'export_onnx', 'export_pt2', 'ExportResult', 'ExportMismatch', 'baked_copy', 'compressed_size', 'to_semi_structured',
    # analysis, search, automatic pruners
    'Evaluator', 'as_evaluator', 'learner_evaluator', 'loader_evaluator', 'top1_accuracy', 'Result', 'RunFile', 'analyse', 'analyze',
    'Sensitivity',
    'Candidates', 'search_subnets', 'Subnets', 'uniform_plan', 'scale_to_budget', 'prune_iteratively', 'IterativeRun',
    'netadapt', 'NetAdaptRun', 'latency_table', 'LatencyTable', 'simulated_annealing', 'auto_compress', 'Annealing',
    'scale_to_sparsity', 'admm_prune', 'admm_train', 'ADMM', 'ADMMRun', 'ADMMCallback', 'amc', 'AMCRun', 'lottery_rounds', 'LotteryRun',
    'sensitivity_prune', 'SensitivityPruneRun', 'analyse_masked', 'allocate_units',
}
INTERNAL = {'DDPG', 'N_STATE', 'ReplayBuffer', 'to_device', 'sched_cos', 'sched_lin', 'select_lowest', 'map_tensors',
            'shared_weights', 'remap_optimizer', 'read_checkpoint', 'random'}   # importable from their modules only


def star(*modules: str) -> dict:
    "The namespace that `from m import *` for each of `modules`, in order, leaves."
    ns = {}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for m in modules: exec(f'from {m} import *', ns)
    ns.pop('__builtins__', None)
    return ns


def test_the_star_import_is_exactly_the_documented_list():
    import fasterprune.all as fpa
    assert len(fpa.__all__) == len(set(fpa.__all__)), 'a name is listed twice in fasterprune.all.__all__'
    assert set(fpa.__all__) == PUBLIC, (f'added: {sorted(set(fpa.__all__) - PUBLIC)}, '
                                        f'missing: {sorted(PUBLIC - set(fpa.__all__))}')
    assert set(star('fasterprune.all')) == PUBLIC
    assert not PUBLIC & INTERNAL
    # no name lands in all.py by accident: its public globals are what it lists (and the submodules it imported)
    stray = {n for n, v in vars(fpa).items() if not n.startswith('_') and type(v).__name__ != 'module'} - PUBLIC
    assert not stray, sorted(stray)


def test_all_py_is_plain_imports():
    "A reader (or an IDE) follows all.py: its names come from explicit `from ... import` lines, no loop over modules."
    import ast, inspect, fasterprune.all as fpa
    tree = ast.parse(inspect.getsource(fpa))
    imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert PUBLIC <= imported, sorted(PUBLIC - imported)
    assert not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(tree))
    assert 'importlib' not in inspect.getsource(fpa) and 'globals()' not in inspect.getsource(fpa)


def test_fastai_names_survive_the_fasterprune_star_import():
    fastai_only = star('fastai.vision.all')
    both = star('fastai.vision.all', 'fasterprune.all')
    replaced = sorted(n for n, v in fastai_only.items() if both[n] is not v)
    assert not replaced, f'from fasterprune.all import * replaces fastai names: {replaced}'
    import fastai.torch_core, fastai.callback.schedule
    assert both['to_device'] is fastai.torch_core.to_device and both['sched_cos'] is fastai.callback.schedule.sched_cos
    assert both['sched_lin'] is fastai.callback.schedule.sched_lin


def test_the_same_in_a_fresh_interpreter():
    "The order of imports of a real script: fastai's names, then fasterprune's; fastai's to_device(b) works without a device."
    res = subprocess.run([sys.executable, '-c', '''
from fastai.vision.all import *
before = dict(globals())
from fasterprune.all import *
changed = sorted(n for n, v in before.items() if globals()[n] is not v and n not in ("__builtins__", "before"))
assert not changed, changed
b = to_device((torch.ones(2),))                     # fastai's: the default device, no device argument needed
assert b[0].sum() == 2
test_close(cos(1., 0.3), sched_cos(0., 1., 0.3))    # fastai's ramp and fasterprune's cos schedule agree
print("ok")'''], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == 'ok', res.stdout + res.stderr


def test_renamed_names_still_import_from_their_modules_with_a_deprecation_warning():
    import pytest, torch
    from fasterprune.core.batch import to_device, move_to_device
    from fasterprune.core.schedule import sched_cos, sched_lin, sched_cosine, sched_linear, Schedule
    with pytest.warns(DeprecationWarning, match='move_to_device'): b = to_device({'a': torch.ones(1)}, 'cpu')
    assert b['a'].device.type == 'cpu' and move_to_device(b, 'cpu')['a'] is b['a']
    with pytest.warns(DeprecationWarning, match='sched_cosine'): assert sched_cos(0., 1., 0.5) == sched_cosine(0., 1., 0.5)
    with pytest.warns(DeprecationWarning, match='sched_linear'): assert sched_lin(0., 1., 0.25) == sched_linear(0., 1., 0.25)
    with pytest.warns(DeprecationWarning): assert Schedule(sched_lin).name == 'lin'

# Names that moved to another module since the layering work of issue 23, by their old module: they must still import
# from there (users' code and notebooks written before the move).
MOVED = {
    'fasterprune.prune.pruner': ['save_pruned', 'load_pruned', 'read_checkpoint', 'pruning_plan', 'set_pruning_plan',
                                 'apply_plan', 'remap_optimizer', 'isomorphic_classes', 'PRUNABLE'],
    'fasterprune.core.budget': ['measure_latency', 'model_device', 'check_runtime', 'RUNTIMES'],
    'fasterprune.deploy': ['baked_copy', 'require_onnx', 'onnx_session', 'run_session', 'onnx_runner'],
    'fasterprune.analyze.sensitivity': ['Candidates', 'fill_budget'],
    'fasterprune.analyze.search': ['scale_to_budget', 'uniform_plan'],
    'fasterprune.analyze.result': ['model_signature'],
    'fasterprune.auto.netadapt': ['latency_table', 'LatencyTable', 'device_name', 'RESIZABLE'],
}

def test_moved_names_still_import_from_their_old_modules():
    import importlib
    missing = [f'{mod}.{n}' for mod, names in MOVED.items() for n in names if not hasattr(importlib.import_module(mod), n)]
    assert not missing, f'moved names no longer importable from their old modules: {missing}'
