"""`rpt eval` on fixture items of one benchmark per domain, and params validation."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rpt_core.cli import main
from rpt_core.config import BenchmarkChoice, ConfigError, EvalConfig, EvalModel, FieldError, Sampling, load_eval_config

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"


def _params(tmp_path, tiny_model, **extra):
    params = {
        "model": {"path": tiny_model, "name": "tiny"}, "backend": "hf", "batch_size": 8,
        "benchmarks": [{"name": "gsm8k", "limit": 2}, {"name": "mbpp", "limit": 2}, {"name": "pubmedqa", "repeats": 2}],
        "sampling": {"temperature": 0.7, "top_p": 1.0, "max_new_tokens": 8, "seed": 1},
        "data_dir": str(FIXTURES), "work_dir": str(tmp_path / "work"), "out_dir": str(tmp_path / "out"),
        **extra,
    }
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_rpt_eval_writes_records_and_summary_per_domain(tmp_path, tiny_model, capsys):
    assert main(["eval", str(_params(tmp_path, tiny_model))]) == 0
    records = pd.read_parquet(tmp_path / "out" / "records" / "tiny.parquet")
    assert set(records["domain"]) == {"math", "code", "knowledge"}
    assert set(records["model"]) == {"tiny"}
    summary = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("benchmark")
    assert summary.loc["gsm8k", "n_items"] == 2
    assert summary.loc["pubmedqa", "n_samples"] == 2 * summary.loc["pubmedqa", "n_items"]
    assert main(["eval", str(_params(tmp_path, tiny_model)), "--shard", "1/2"]) == 0
    shard = pd.read_parquet(tmp_path / "out" / "records" / "tiny.shard-1-of-2.parquet")
    assert set(shard["key"]) < set(records["key"])


@pytest.mark.parametrize("change,message", [
    ({"backend": "tgi"}, "backend: 'tgi' is not allowed; allowed: hf, vllm"),
    ({"shard": "banana"}, "shard: 'banana' must look like i/n"),
    ({"sampling": {"temperature": -3}}, "sampling.temperature: -3: must be >= 0"),
    ({"sampling": {"max_new_tokens": "64"}}, "sampling.max_new_tokens: '64': expected int"),
    ({"model": {"path": "m", "dtype": "fp8"}}, "models[0].dtype: 'fp8' is not allowed"),
    ({"batch_size": 0}, "batch_size: must be a positive integer"),
    ({"benchmarks": ["gsm9k"]}, "benchmarks[0].name: unknown benchmark 'gsm9k'; allowed: gsm8k"),
    ({"sampling": {"temprature": 0.5}}, "unknown field(s) sampling.temprature; allowed: temperature"),
    ({"shard": "2/2"}, "shard: '2/2': need 0 <= i < n"),
    ({"benchmarks": [{"name": "gsm8k", "repeats": 0}]}, "benchmarks[0].repeats: must be a positive integer"),
])
def test_bad_params_name_file_field_and_allowed_values(tmp_path, change, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": {"path": "m"}, "benchmarks": ["gsm8k"], **change}))
    with pytest.raises(ConfigError) as error:
        load_eval_config(path)
    assert str(path) in str(error.value) and message in str(error.value)


@pytest.mark.parametrize("field_name,params,build", [
    ("backend", {"backend": "vlm"},
     lambda: EvalConfig(benchmarks=[BenchmarkChoice("gsm8k")], models=[EvalModel("m")], backend="vlm")),
    ("models[0].dtype", {"model": {"path": "m", "dtype": "fp8"}},
     lambda: EvalConfig(benchmarks=[BenchmarkChoice("gsm8k")], models=[EvalModel("m", dtype="fp8")])),
    ("sampling.top_p", {"sampling": {"top_p": 0}},
     lambda: EvalConfig(benchmarks=[BenchmarkChoice("gsm8k")], models=[EvalModel("m")], sampling=Sampling(top_p=0))),
    ("batch_size", {"batch_size": "8"},
     lambda: EvalConfig(benchmarks=[BenchmarkChoice("gsm8k")], models=[EvalModel("m")], batch_size="8")),
])
def test_a_config_built_in_code_is_checked_as_its_params_file(tmp_path, field_name, params, build):
    """The checks live in the dataclasses: the same field and reason from code as from YAML, only
    the YAML error also names its file."""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"model": {"path": "m"}, "benchmarks": ["gsm8k"], **params}))
    with pytest.raises(FieldError) as from_yaml:
        load_eval_config(path)
    with pytest.raises(FieldError) as from_code:
        build()
    leaf = field_name.rsplit(".", 1)[-1].split("]")[-1]
    assert from_yaml.value.field == field_name and from_yaml.value.source == str(path)
    assert from_code.value.field.endswith(leaf) and from_code.value.source is None
    assert from_code.value.reason == from_yaml.value.reason


def test_a_mistyped_local_model_path_is_a_one_line_error(tmp_path, tiny_model, capsys):
    path = _params(tmp_path, tiny_model, model={"path": "models/tinyworld/tiny-z", "name": "tiny"})
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "'models/tinyworld/tiny-z' is neither an existing local folder nor a hub id" in err
    assert "allowed: a local model folder, a hub id or gguf://" in err


def test_a_key_error_from_a_bug_keeps_its_traceback(monkeypatch):
    import rpt_core.cli as cli

    def broken(args):
        return {}["missing"]

    monkeypatch.setattr(cli, "cmd_validate", broken)
    with pytest.raises(KeyError):
        main(["validate", "params/smollm.yaml"])
