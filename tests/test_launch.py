"""rpt launch: a study's training steps rendered as the field's launch commands (the two-process
CPU launch runs for real in tests/test_train.py)."""

import yaml

from rpt_core.cli import main
from rpt_core.config import load_train_config
from rpt_core.launch import launches
from rpt_core.study import load_study


def paper(tmp_path, generation="vllm_colocate"):
    raw = yaml.safe_load(open("params/paper/interventional.yaml"))
    raw["work_dir"] = str(tmp_path / "work")
    if generation == "vllm_server":
        for step in raw["steps"]:
            if "train" in step.get("params", {}):
                step["params"]["train"]["runtime"] = {**step["params"]["train"]["runtime"], "generation": "vllm_server",
                                                      "vllm_server_base_url": "http://node0:8123"}
    return load_study(raw)


def test_paper_training_steps_render_accelerate_commands_with_their_resolved_params(tmp_path):
    study = paper(tmp_path)
    found = launches(study, processes=4)
    assert [launch.step for launch in found] == [s.name for s in study.steps if "train" in s.params]
    math = next(launch for launch in found if launch.step == "train-dsq-grpo-math")
    assert math.commands == [f"accelerate launch --config_file params/accelerate/zero2.yaml --num_processes 4 "
                             f"-m rpt_core.cli train {math.params_file}"]
    config = load_train_config(str(math.params_file))   # what the notebook would train, where it would
    assert config.out_dir == str(tmp_path / "work" / "train" / "dsq-grpo-math")
    assert config.runtime.generation == "vllm_colocate" and config.model.name == "dsq-grpo-math"
    one, = launches(study, processes=1, steps=["train-dsq-grpo-math"])
    assert "params/accelerate/single_gpu.yaml --num_processes 1" in one.commands[0]


def test_server_mode_starts_trl_vllm_serve_on_the_other_gpus(tmp_path):
    launch, = launches(paper(tmp_path, "vllm_server"), processes=4, steps=["train-dsq-grpo-code"])
    server, trainer = launch.commands
    assert server.startswith("CUDA_VISIBLE_DEVICES=4,5,6,7 trl vllm-serve --model deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
    assert server.endswith("--data-parallel-size 4 --port 8123 &")
    assert trainer.startswith("CUDA_VISIBLE_DEVICES=0,1,2,3 accelerate launch --config_file params/accelerate/vllm_server.yaml")


def test_rpt_launch_prints_commands_and_names_a_wrong_step(tmp_path, capsys):
    study = tmp_path / "study.yaml"
    raw = yaml.safe_load(open("params/paper/interventional.yaml"))
    study.write_text(yaml.safe_dump({**raw, "work_dir": str(tmp_path / "work")}))
    assert main(["launch", str(study), "--step", "train-dsq-grpo-math", "--processes", "8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# train-dsq-grpo-math (params: ") and "--num_processes 8" in out
    assert main(["launch", str(study), "--step", "evaluate-final"]) == 2
    assert "'evaluate-final' is not a training step of" in capsys.readouterr().err
