"""RLVR training on CPU with a tiny local model: every algorithm runs, reward rises, resume works."""

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rpt_core.config import ConfigError, load_train_config
from rpt_core.items import Item
from rpt_core.layout import checkpoints
from rpt_core.train import ALGORITHMS, resolve_rl, train
from rpt_core.train_rewards import PlaceboReward, VerifierReward, reward_functions

from conftest import WORDS, build_yes_world

@pytest.fixture(scope="module")
def yes_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("yes_world")
    build_yes_world(root)
    return root


def params(root, name, algorithm="grpo", steps=12, **rl):
    """A params file for ``steps`` CPU steps of 8 prompts x 8 rollouts on the yes task."""
    raw = {"model": {"path": str(root / "base"), "dtype": "float32"}, "data": {"sets": [str(root / "yes.jsonl")]},
           "algorithm": algorithm,
           "rl": {"learning_rate": 2e-3, "prompts_per_step": 8, "num_generations": 8, "per_device_batch_size": 32,
                  "max_completion_length": 8, "temperature": 1.0, "max_steps": steps, **rl},
           "runtime": {"device": "cpu", "reward_workers": 2}, "save_steps": 4, "out_dir": str(root / name)}
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_grpo_raises_the_reward_and_writes_loadable_checkpoints(yes_world):
    result = train(load_train_config(params(yes_world, "grpo")))
    log = result.log
    assert list(log["step"]) == list(range(1, 13)) and (log["step_time_s"] > 0).all()
    assert pd.read_csv(result.out_dir / "train_log.csv")["reward"].tolist() == log["reward"].tolist()
    first, last = log["reward"].iloc[:3].mean(), log["reward"].iloc[-3:].mean()
    assert last > first + 0.2, f"reward did not rise: {first:.2f} -> {last:.2f}"
    for column in ("rewards/knowledge/mean", "kl", "entropy", "completions/mean_length", "step_time_s"):
        assert log[column].notna().all(), column
    assert [step for step, _ in checkpoints(result.out_dir)] == [4, 8, 12]

    manifest = result.manifest
    assert manifest["status"] == "done" and manifest["steps"] == 12
    assert manifest["rl_resolved"]["loss_type"] == "grpo" and manifest["rl_resolved"]["beta"] == 0.001
    assert manifest["grpo_config"]["loss_type"] == "grpo" and manifest["grpo_config"]["bf16"] is False
    assert len(manifest["data"]["sha256"]) == 64 and manifest["data"]["items"] == 64

    # a checkpoint is a model the evaluation engine loads directly
    from rpt_core.evaluate import Plan, evaluate
    from rpt_core.generate import HFGenerator, Sampling

    items = {"yes_task": [Item("yes_task", "0", [{"role": "user", "content": "Question 0: say yes."}], "label",
                               {"answer": "yes", "labels": WORDS}, "knowledge")]}
    generator = HFGenerator(str(checkpoints(result.out_dir)[0][1]))
    records = evaluate(generator, Plan(items, {"yes_task": 4}, Sampling(temperature=1.0, max_new_tokens=8)),
                       yes_world / "cache")
    assert len(records) == 4 and set(records["verifier"]) == {"label@1.0.0"}

    # ... and RL raised pass@1 on prompts it never trained on (the reward is not just memorized)
    held_out = {"yes_task": [Item("yes_task", str(i), [{"role": "user", "content": f"Question {i}: say {WORDS[i % 2]}."}],
                                  "label", {"answer": "yes", "labels": WORDS}, "knowledge") for i in range(64, 96)]}
    plan = Plan(held_out, {"yes_task": 4}, Sampling(temperature=1.0, max_new_tokens=8))
    base, final = (evaluate(HFGenerator(str(path)), plan, yes_world / "cache")["correct"].mean()
                   for path in (yes_world / "base", result.out_dir / "final"))
    assert final > base + 0.2, f"held-out pass@1 did not rise: {base:.2f} -> {final:.2f}"


@pytest.mark.parametrize("algorithm", ["dapo", "dr_grpo"])
def test_other_algorithms_train_with_their_presets(yes_world, algorithm):
    result = train(load_train_config(params(yes_world, algorithm, algorithm, steps=2)))
    resolved = result.manifest["rl_resolved"]
    for name, value in ALGORITHMS[algorithm].items():
        assert resolved[name] == (value if value is not None else resolved["epsilon"]), name
    assert result.manifest["grpo_config"]["loss_type"] == algorithm
    assert len(result.log) == 2 and result.log["reward"].between(0, 1).all()
    if algorithm == "dapo":
        assert result.manifest["grpo_config"]["epsilon_high"] == 0.28
        assert result.log["dynamic_sampling/kept_fraction"].between(0, 1).all()


def test_resume_continues_from_the_last_checkpoint(yes_world):
    path = params(yes_world, "resume", steps=6)
    raw = yaml.safe_load(path.read_text())
    raw["save_steps"] = 2
    path.write_text(yaml.safe_dump(raw))
    config = load_train_config(path)
    train(config)
    # simulate a crash after checkpoint 4: later checkpoints are gone, later log rows are stale
    import shutil

    from rpt_core.manifest import read_manifest, write_manifest

    shutil.rmtree(config.out_dir + "/checkpoint-6")
    shutil.rmtree(config.out_dir + "/final")
    write_manifest(config.out_dir, **{**read_manifest(config.out_dir), "status": "running"})
    result = train(config)
    assert not result.cached
    assert result.manifest["resumed_from"].endswith("checkpoint-4")
    assert list(result.log["step"]) == [1, 2, 3, 4, 5, 6]
    assert [step for step, _ in checkpoints(config.out_dir)] == [2, 4, 6]

    # finished with the same params: reused, nothing retrained; different params: refused
    again = train(config)
    assert again.cached and again.log["reward"].tolist() == result.log["reward"].tolist()
    raw["rl"]["learning_rate"] = 1e-3
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="different params"):
        train(load_train_config(path))


def test_mixed_batch_routes_each_row_to_its_verifier():
    rows = [
        ("math", "math", {"answer": "4"}, "2 + 2 = \\boxed{4}", 1.0),
        ("code", "code_tests", {"tests": "assert f(1) == 2", "time_limit_s": 2}, "```python\ndef f(x):\n    return x + 1\n```", 1.0),
        ("knowledge", "choice", {"answer": "B", "options": ["A", "B", "C", "D"]}, "Answer: C", 0.0),
        ("math", "math", {"answer": "5"}, "\\boxed{4}", 0.0),
    ]
    domain, kind, reference, completions, expected = zip(*rows)
    kwargs = dict(prompts=[""] * 4, completions=[[{"role": "assistant", "content": c}] for c in completions],
                  kind=list(kind), reference=[json.dumps(r) for r in reference], domain=list(domain))
    got = {d: VerifierReward(d, workers=2)(**kwargs) for d in ("math", "code", "knowledge")}
    assert got["math"] == [1.0, None, None, 0.0]
    assert got["code"] == [None, 1.0, None, None]
    assert got["knowledge"] == [None, None, 0.0, None]


def test_placebo_reward_is_a_seeded_coin_flip_blind_to_the_completion():
    kwargs = dict(prompts=[""] * 400, completions=["right"] * 200 + ["wrong"] * 200, domain=["math"] * 399 + ["code"])
    draws = PlaceboReward("math", seed=0)(**kwargs)
    assert draws == PlaceboReward("math", seed=0)(**kwargs) and draws != PlaceboReward("math", seed=1)(**kwargs)
    assert draws[-1] is None and set(draws[:-1]) == {0.0, 1.0}
    assert abs(sum(draws[:200]) / 200 - 0.5) < 0.15 and abs(sum(draws[200:399]) / 199 - 0.5) < 0.15
    items = [Item("b", "1", [{"role": "user", "content": "q"}], "math", {"answer": "1"}, "math")]
    assert [type(f) for f in reward_functions(items, reward="placebo")] == [PlaceboReward]
    with pytest.raises(ValueError, match="allowed: verifier, placebo"):
        reward_functions(items, reward="random")


def test_endless_or_hostile_code_scores_zero_without_stalling():
    completions = ["```python\ndef f(x):\n    while True:\n        pass\n```",
                   "```python\nimport os\ndef f(x):\n    os.kill(os.getppid(), 9)\n```",
                   "```python\ndef f(x):\n    return x + 1\n```"]
    reward = VerifierReward("code", workers=3)
    started = time.monotonic()
    rewards = reward(prompts=[""] * 3, completions=completions, kind=["code_tests"] * 3, domain=["code"] * 3,
                     reference=[json.dumps({"tests": "assert f(1) == 2", "time_limit_s": 1})] * 3)
    assert rewards == [0.0, 0.0, 1.0]
    assert time.monotonic() - started < 30


def test_presets_fill_only_what_params_leave_open(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"model": {"path": "m"}, "data": {"sets": ["x.jsonl"]}, "algorithm": "dapo",
                                    "rl": {"beta": 0.001, "epsilon_high": 0.3}}))
    rl = resolve_rl(load_train_config(path))
    assert (rl["beta"], rl["epsilon_high"], rl["loss_type"], rl["mask_truncated_completions"]) == (0.001, 0.3, "dapo", True)
    assert (rl["learning_rate"], rl["prompts_per_step"], rl["num_generations"], rl["max_completion_length"],
            rl["temperature"]) == (1e-6, 64, 8, 8192, 0.6)  # the paper's defaults


@pytest.mark.parametrize("raw, message", [
    ({"algorithm": "ppo"}, "algorithm: 'ppo' is not allowed; allowed: grpo, dapo, dr_grpo"),
    ({"rl": {"loss_type": "sum"}}, "rl.loss_type: 'sum' is not allowed"),
    ({"rl": {"per_device_batch_size": 7}}, "must be divisible by per_device_batch_size"),
    ({"rl": {"num_generations": 1}}, "rl.num_generations: must be >= 2"),
    ({"rl": {"lr": 1}}, "unknown field(s) rl.lr; allowed: learning_rate"),
    ({"runtime": {"generation": "vllm_server"}}, "runtime.vllm_server_base_url: is required"),
])
def test_bad_params_name_the_field_and_what_is_allowed(tmp_path, raw, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": {"path": "m"}, "data": {"sets": ["x.jsonl"]}, **raw}))
    with pytest.raises(ConfigError) as error:
        load_train_config(path)
    assert message in str(error.value) and str(path) in str(error.value)



def test_training_sections_built_in_code_are_checked_as_their_params_file(tmp_path):
    from rpt_core.config import FieldError, RLConfig, TrainConfig, TrainData, TrainModel

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": {"path": "m"}, "data": {"sets": ["x.jsonl"]}, "rl": {"num_generations": 1}}))
    with pytest.raises(FieldError) as from_yaml:
        load_train_config(path)
    with pytest.raises(FieldError) as from_code:
        RLConfig(num_generations=1)
    assert (from_yaml.value.field, from_code.value.field) == ("rl.num_generations", "num_generations")
    assert from_yaml.value.reason == from_code.value.reason
    with pytest.raises(FieldError, match="algorithm: 'ppo' is not allowed"):
        TrainConfig(TrainModel("m"), TrainData(["x.jsonl"]), algorithm="ppo")


def test_accelerate_configs_parse_and_fit_the_paper_batch():
    from pathlib import Path

    configs = sorted((Path(__file__).parent.parent / "params" / "accelerate").glob("*.yaml"))
    assert {c.stem for c in configs} >= {"single_gpu", "zero2", "zero3", "vllm_server"}
    for path in configs:
        config = yaml.safe_load(path.read_text())
        assert config["distributed_type"] in ("NO", "MULTI_GPU", "DEEPSPEED"), path
        assert (64 * 8) % (config["num_processes"] * 8) == 0, f"{path}: 512 rollouts do not split evenly"
        if config["distributed_type"] == "DEEPSPEED":
            assert config["deepspeed_config"]["zero_stage"] in (2, 3)


def test_training_on_code_refuses_the_rlimit_fallback_unless_opted_in(tmp_path, monkeypatch):
    from rpt_core.items import write_items
    from rpt_core.rewards import sandbox

    code = Item("c", "0", [{"role": "user", "content": "Write f."}], "code_tests",
                {"tests": "assert f() == 1", "entry_point": "f"}, "code")
    write_items(tmp_path / "code.jsonl", [code])
    raw = {"model": {"path": str(tmp_path / "no-model")}, "data": {"sets": [str(tmp_path / "code.jsonl")]},
           "rl": {"prompts_per_step": 2, "num_generations": 2, "per_device_batch_size": 4},
           "runtime": {"device": "cpu"}, "out_dir": str(tmp_path / "run")}
    monkeypatch.setattr(sandbox, "isolation", lambda: "rlimit")
    with pytest.raises(RuntimeError, match="runtime.allow_unsandboxed: true"):
        train(load_train_config(raw))
    raw["runtime"]["allow_unsandboxed"] = True  # opted in: it gets past the check (to the missing model)
    with pytest.raises(Exception) as caught:
        train(load_train_config(raw))
    assert "allow_unsandboxed" not in str(caught.value)
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["sandbox"] == "rlimit"


def test_shared_prompts_training_learns_and_is_a_different_run(yes_world):
    """runtime.shared_prompts samples with rpt_core's decoder and scores each prompt once: it must
    still learn, and it is another run than the default (its rollouts are other samples)."""
    path = params(yes_world, "shared", beta=0.0)
    raw = yaml.safe_load(path.read_text())
    raw["runtime"]["shared_prompts"] = True
    path.write_text(yaml.safe_dump(raw))
    result = train(load_train_config(path))
    first, last = result.log["reward"].iloc[:3].mean(), result.log["reward"].iloc[-3:].mean()
    assert last > first + 0.2, f"reward did not rise: {first:.2f} -> {last:.2f}"
    assert result.log["completions/mean_length"].between(1, 8).all()
    from rpt_core.train import config_fingerprint

    shared = load_train_config(path)
    default = load_train_config(params(yes_world, "shared", beta=0.0))
    assert config_fingerprint(shared, resolve_rl(shared), "x") != config_fingerprint(default, resolve_rl(default), "x")


def test_shared_prompts_needs_transformers_generation_and_one_process(tmp_path):
    raw = {"model": {"path": "m"}, "data": {"sets": ["s.jsonl"]},
           "rl": {"prompts_per_step": 2, "num_generations": 2, "per_device_batch_size": 2},
           "runtime": {"shared_prompts": True, "generation": "vllm_colocate"}}
    with pytest.raises(ConfigError, match="runtime.shared_prompts.*transformers"):
        load_train_config(raw)
    raw["runtime"] = {"shared_prompts": True, "num_processes": 2}
    with pytest.raises(ConfigError, match="runtime.shared_prompts.*2 process"):
        load_train_config(raw)



VLLM_SETUP = """
import sys, yaml
from rpt_core.config import load_train_config
from rpt_core.train import _import_trl, grpo_config, resolve_rl
raw = yaml.safe_load(open("params/paper/interventional.yaml"))
config = load_train_config({**raw["steps"][0]["params"]["train"], "out_dir": sys.argv[1]})
assert config.runtime.generation == "vllm_colocate"
if sys.argv[2] == "after-transformers":
    _import_trl("transformers")
_import_trl(config.runtime.generation)
args = grpo_config(config, resolve_rl(config), "cpu")   # the GPU set-up, built on a CPU machine
import trl.generation.vllm_generation as vg, trl.import_utils as iu
print(iu.is_vllm_available(), hasattr(vg, "LLM"), args.use_vllm, args.vllm_mode)
"""


@pytest.mark.parametrize("before", ["fresh", "after-transformers"])
def test_the_paper_vllm_rollouts_import_trl_with_vllm(tmp_path, before):
    """params/paper/interventional.yaml generates rollouts with vllm_colocate: trl must see vLLM (it
    refused to start when only the value "vllm" counted), and a process that already imported trl
    for transformers rollouts (vLLM hidden) refuses a vLLM run instead of failing inside TRL."""
    import subprocess
    import sys
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", VLLM_SETUP, str(tmp_path), before],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=300)
    if before == "fresh":
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.split() == ["True", "True", "True", "colocate"]
    else:
        assert out.returncode != 0 and "RuntimeError" in out.stderr
        assert "needs vLLM" in out.stderr and "new process" in out.stderr


def test_gpu_check_script_runs_at_tiny_shape_on_cpu(tmp_path):
    """`make gpu-check` is for a GPU machine this one is not: its script is kept working by a CPU run
    at a tiny shape (evaluation and GRPO steps), and on a machine without CUDA it stops, saying so."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu_paper_shape.py"
    run = subprocess.run([sys.executable, str(script), str(tmp_path), "--device", "cpu", "--shape", "tiny",
                          "--new-tokens", "4", "--completion", "4", "--batch", "8"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_report.json").read_text())
    assert report["eval"]["samples"] > 0 and report["eval"]["tokens_per_s"] > 0
    assert [g["generation"] for g in report["grpo"]] == ["transformers"] and report["grpo"][0]["steps"] == 2
    assert report["vllm_colocate"] == "not run: needs CUDA"
    refused = subprocess.run([sys.executable, str(script), str(tmp_path / "gpu")], capture_output=True, text=True)
    assert refused.returncode == 2 and "no CUDA device here" in refused.stderr


def test_grpo_step_script_splits_a_tiny_s_step():
    """benchmarks/grpo_step.py times a step's parts for the demo's base and settings (kept working
    here: the SmolLM2 run takes minutes)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "grpo_step.py"
    run = subprocess.run([sys.executable, str(script), "--base", "tiny-s", "--steps", "2"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    table = run.stdout.split("tiny-s, per step (s)")[1]
    for part in ("generation", "reward", "policy forward", "backward", "optimizer", "step (after warm-up)"):
        assert part in table, (part, table)
    assert "ratio before / after:" in table


@pytest.mark.slow
def test_two_processes_train_the_global_batches_of_one(yes_world, tmp_path):
    """``accelerate launch`` of two CPU processes (gloo), as ``rpt launch`` renders it from a study,
    against one process: the same prompts in every step's global batch, the same batch size, rewards
    within sampling noise; both checkpoint, and the two-process run resumes after a crash."""
    import socket
    import subprocess
    import sys

    from rpt_core.launch import launches
    from rpt_core.manifest import read_manifest, write_manifest
    from rpt_core.study import load_study
    from rpt_core.trainer import read_batches

    train = yaml.safe_load(params(yes_world, "unused", steps=4).read_text())
    train.pop("out_dir")
    train["save_steps"] = 2
    study = {"study": "two", "work_dir": str(tmp_path / "work"),
             "steps": [{"name": f"train-{n}", "notebook": "train", "params": {"name": f"yes-{n}", "train": train}}
                       for n in ("one", "two")]}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loaded = load_study(study)
    one, = launches(loaded, processes=1, steps=["train-one"])
    two, = launches(loaded, processes=2, steps=["train-two"], port=port)
    assert "--multi_gpu" in two.commands[0] and "--num_processes 2" in two.commands[0]
    env = {**__import__("os").environ, "PATH": f"{Path(sys.executable).parent}:{__import__('os').environ['PATH']}"}

    def run(launch):
        done = subprocess.run(launch.commands[-1], shell=True, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]

    run(one)
    run(two)
    out_one, out_two = (Path(loaded.work_dir) / "train" / name for name in ("yes-one", "yes-two"))
    batches_one, batches_two = read_batches(out_one), read_batches(out_two)
    assert sorted(batches_one) == sorted(batches_two) == [1, 2, 3, 4]
    for step in batches_one:
        a, b = batches_one[step], batches_two[step]
        assert (a["processes"], b["processes"]) == (1, 2)
        assert a["rollouts"] == b["rollouts"] == 64 and a["prompts"] == b["prompts"], step
    assert len({tuple(batches_one[s]["prompts"]) for s in batches_one}) > 1   # the batches change by step
    log_one, log_two = (pd.read_csv(out / "train_log.csv") for out in (out_one, out_two))
    assert list(log_one["step"]) == list(log_two["step"]) == [1, 2, 3, 4]   # one writer: no row twice
    # 64 rollouts a step: a step's mean reward has a standard error of at most 0.0625
    assert abs(log_one["reward"].mean() - log_two["reward"].mean()) < 0.15, (log_one["reward"], log_two["reward"])
    assert read_manifest(out_two)["processes"] == 2 and read_manifest(out_one)["processes"] == 1
    for out in (out_one, out_two):
        assert [step for step, _ in checkpoints(out)] == [2, 4] and (out / "final" / "config.json").exists()

    # a crash after checkpoint 2 of the two-process run: it resumes there, in two processes
    import shutil

    shutil.rmtree(out_two / "checkpoint-4")
    shutil.rmtree(out_two / "final")
    write_manifest(out_two, **{**read_manifest(out_two), "status": "running"})
    run(two)
    manifest = read_manifest(out_two)
    assert manifest["status"] == "done" and manifest["resumed_from"].endswith("checkpoint-2")
    assert list(pd.read_csv(out_two / "train_log.csv")["step"]) == [1, 2, 3, 4]
    assert sorted(read_batches(out_two)) == [1, 2, 3, 4] and read_batches(out_two)[1] == batches_two[1]


def test_the_saved_tokenizer_config_is_the_same_with_or_without_hf_hub_offline(monkeypatch):
    """transformers saves ``local_files_only`` into tokenizer_config.json; it decides a trained
    model's fingerprint and so its evaluation samples. A `make demo` (HF_HUB_OFFLINE=1) and an
    `rpt run` without it once drew different samples from byte-identical weights."""
    import huggingface_hub.constants

    from rpt_core.train import load_tokenizer

    base = Path(__file__).resolve().parent.parent / "models" / "tinyworld" / "tiny-s"
    for offline in (True, False):
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", offline)
        assert load_tokenizer(str(base)).init_kwargs["local_files_only"] is True
