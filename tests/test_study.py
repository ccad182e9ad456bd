"""A small study end to end through papermill: report layout, manifest, index, caching, failures."""

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from rpt_core.items import Item, write_items
from rpt_core.manifest import REPO_ROOT
from rpt_core.study import NOTEBOOKS_DIR, StepFailed, load_study, run_study

from conftest import WORDS, build_yes_world

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_every_notebook_has_a_parameters_cell_and_no_outputs():
    assert {p.stem for p in NOTEBOOKS} >= {"train", "evaluate", "observational", "interventional", "dynamics",
                                           "methodology"}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
        assert nb.cells[0].cell_type == "markdown", f"{path.name}: should open with its narrative"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: stored outputs"


def small_study(root: Path, broken: bool = False) -> dict:
    """Train a tiny model on the yes task, evaluate base + checkpoints, run every analysis notebook."""
    def bench(name, domain, n):
        return [Item(name, str(i), [{"role": "user", "content": f"Question {i}: say yes."}], "label",
                     {"answer": "yes", "labels": WORDS}, domain) for i in range(n)]
    write_items(root / "items" / "yes_knowledge.jsonl", bench("yes_knowledge", "knowledge", 12))
    write_items(root / "items" / "yes_math.jsonl", bench("yes_math", "math", 6))
    registry = {"models": [{"name": "tiny-base", "size_b": 0.0001},
                           {"name": "tiny-rl", "base": "tiny-base", "domains": ["knowledge"], "algorithm": "grpo",
                            "training_data": "yes task"}]}
    train = {"model": {"path": str(root / "base"), "dtype": "float32"}, "data": {"sets": [str(root / "yes.jsonl")]},
             "algorithm": "grpo", "rl": {"learning_rate": 2e-3, "prompts_per_step": 8, "num_generations": 8,
                                         "per_device_batch_size": 32, "max_completion_length": 8,
                                         "temperature": 1.0, "max_steps": 4},
             "runtime": {"device": "cpu", "reward_workers": 2}, "save_steps": 2}
    benchmarks = [{"name": "yes_knowledge"}, {"name": "yes_math", "repeats": 4 if not broken else 1}]
    models = [{"name": "tiny-base", "path": str(root / "base")}]
    if broken:  # passes validation (a model an earlier step would make) but is missing when the cell runs
        models.append({"name": "ghost", "path": str(root / "work" / "train" / "no_such_run" / "final")})
    analysis = {"registry": registry, "n_boot": 50}
    return {"study": "small", "description": "tiny end-to-end study", "work_dir": str(root / "work"),
            "params": {"seed": 0}, "workers": 2,
            "steps": [
                {"name": "train", "notebook": "train", "params": {"name": "tiny-rl", "train": train}},
                {"name": "evaluate", "notebook": "evaluate", "kind": "evaluate",
                 "params": {"models": models, "checkpoints_of": ["tiny-rl"],
                            "benchmarks": benchmarks, "items_dir": str(root / "items"),
                            "sampling": {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 8, "seed": 0}}},
                {"name": "observational", "notebook": "observational", "params": analysis, "parallel": "analysis"},
                {"name": "interventional", "notebook": "interventional", "params": analysis, "parallel": "analysis"},
                {"name": "dynamics", "notebook": "dynamics", "parallel": "analysis",
                 "params": {"runs": [{"name": "tiny-rl", "base": "tiny-base", "domains": ["knowledge"]}], "n_boot": 50}},
                {"name": "methodology", "notebook": "methodology", "params": analysis, "parallel": "analysis"},
            ]}


@pytest.fixture(scope="module")
def study_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    build_yes_world(root)
    (root / "small.yaml").write_text(yaml.safe_dump(small_study(root)))
    return root


@pytest.mark.slow
def test_small_study_runs_end_to_end_and_a_rerun_reuses_the_caches(study_root):
    reports = study_root / "reports"
    reference = REPO_ROOT / "reports" / json.loads((REPO_ROOT / "reports" / "references.json").read_text())["tinyworld-bases"]
    copied = reports / reference.relative_to(REPO_ROOT / "reports")     # a committed reference beside the new runs
    shutil.copytree(reference, copied)
    reference_bytes, tree = folder_bytes(copied), git_tree_state()
    first = run_study(load_study(study_root / "small.yaml"), reports_root=reports, run_id="run-1", progress=False)
    manifest = first.manifest
    assert manifest["status"] == "done" and [s["status"] for s in manifest["steps"]] == ["done"] * 6
    assert manifest["git"]["commit"] and "torch" in manifest["packages"] and manifest["params"]["study"] == "small"
    run = first.run_dir
    for name in ("fig2_id_ood", "fig3_domains", "fig4_single_domain", "transfer_matrix", "benchmark_accuracy",
                 "fig5_dynamics_tiny-rl", "train_reward_tiny-rl"):
        for ext in ("png", "svg", "html", "csv"):
            assert (run / "figures" / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
    for name in ("models", "id_ood", "transfer_matrix", "robustness", "benchmark_accuracy", "summary_evaluate"):
        for ext in ("csv", "md", "tex"):
            assert (run / "tables" / f"{name}.{ext}").exists(), f"{name}.{ext}"
    for step in manifest["steps"]:
        assert (run / step["notebook"]).exists()
    # the four analysis steps are parallel with workers: 2, so the first two ran at the same time
    analyses = manifest["steps"][2:4]
    starts = [pd.Timestamp(s["started_at"]) for s in analyses]
    assert abs(starts[0] - starts[1]) < pd.Timedelta(seconds=min(s["seconds"] for s in analyses))
    records = pd.concat(pd.read_parquet(p) for p in (run / "data" / "records").glob("*.parquet"))
    assert set(records["model"]) == {"tiny-base", "tiny-rl@2", "tiny-rl@4", "tiny-rl"}
    assert (records[records["benchmark"] == "yes_math"].groupby("model")["sample_index"].nunique() == 4).all()
    log = pd.read_csv(run / "data" / "generation_log_evaluate.csv").set_index("model")
    assert (log.drop(index="tiny-rl")["generated"] > 0).all()
    # the final model has the weights of the last checkpoint: same fingerprint, so its samples are reused
    assert log.loc["tiny-rl", "generated"] == 0
    final, last = (records[records["model"] == m].reset_index(drop=True) for m in ("tiny-rl", "tiny-rl@4"))
    assert final["completion"].tolist() == last["completion"].tolist()
    assert (reports / "index.md").exists() and (reports / "index.html").exists() and (run / "README.md").exists()
    assert manifest["key_numbers"]
    check_site(reports, run)

    # nothing changed: every step is reused from run-1, none executed
    second = run_study(load_study(study_root / "small.yaml"), reports_root=reports, run_id="run-2", progress=False)
    assert {s["reused_from"] for s in second.manifest["steps"]} == {"run-1"}
    assert second.manifest["key_numbers"] == manifest["key_numbers"]
    old, new = (pd.read_parquet(r.run_dir / "data" / "records" / "tiny-rl.parquet") for r in (first, second))
    pd.testing.assert_frame_equal(old, new)
    assert (second.run_dir / "figures" / "fig2_id_ood.png").read_bytes() == (run / "figures" / "fig2_id_ood.png").read_bytes()

    # --force: evaluate runs again but finds every generation cached; the rest is reused
    third = run_study(load_study(study_root / "small.yaml"), reports_root=reports, run_id="run-3", progress=False,
                      force=("evaluate",))
    assert {s["name"] for s in third.manifest["steps"] if not s.get("reused_from")} == {"evaluate"}
    log = pd.read_csv(third.run_dir / "data" / "generation_log_evaluate.csv")
    assert (log["generated"] == 0).all() and (log["from cache"] > 0).all(), "a rerun must not regenerate"
    with pytest.raises(ValueError, match="no such step"):
        run_study(load_study(study_root / "small.yaml"), reports_root=reports, run_id="run-4", force=("nope",))

    from rpt_core.compare import compare_runs

    text = compare_runs(run, third.run_dir)
    assert "## Conclusions (0 flipped)" in text and "| tiny-rl | yes_math |" in text

    # three runs later: the reference beside them is byte-identical, no tracked file changed, and no
    # manifest names a path of this machine
    assert folder_bytes(copied) == reference_bytes
    assert git_tree_state() == tree
    for result in (first, second, third):
        manifest_text = (result.run_dir / "manifest.json").read_text()
        assert str(study_root) not in manifest_text and str(REPO_ROOT) not in manifest_text
        assert "<work-dir>" in manifest_text


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def git_tree_state() -> tuple[str, str]:
    """The repository's status and the diff of its tracked files: equal before and after a run when the
    run changed no tracked file (a tree that was clean stays clean)."""
    import subprocess

    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout

    return git("status", "--porcelain"), git("diff", "HEAD")


def check_site(reports: Path, run: Path) -> None:
    """Click through the static site in headless Chromium: index -> run page -> executed notebook
    page -> interactive figure; each renders, nothing is raw Markdown, no link is broken, nothing
    leaves the machine."""
    from urllib.parse import unquote, urlparse

    from browser import check_page

    def ok(page, probe=None):
        result = check_page(page, probe=probe)
        assert not result.errors and not result.broken_images and not result.external_requests, (page, result)
        targets = [Path(unquote(urlparse(u).path)) for u in result.links if u.startswith("file:")]
        assert all(t.exists() for t in targets), [t for t in targets if not t.exists()]
        assert "](" not in result.text and "|---" not in result.text, "raw Markdown on the page"
        return result

    index = ok(reports / "index.html")
    assert index.images == []                               # the index lists runs; each run's page shows it
    assert (run / "index.html").resolve().as_uri() in index.links
    page = ok(run / "index.html")
    assert sum(1 for img in page.images if "fig2_id_ood" in img["src"]) == 1
    assert "How to reproduce" in page.text and "rpt run" in page.text and "Key numbers" in page.text
    notebook = run / "notebooks" / "observational.html"
    assert notebook.resolve().as_uri() in page.links
    rendered = ok(notebook)
    assert "Observational study" in rendered.text and len(rendered.images) >= 1   # outputs included
    figure = run / "figures" / "fig2_id_ood.html"
    assert figure.resolve().as_uri() in page.links
    drawn = ok(figure, probe="new Promise(done => setTimeout(() => done("
                             "document.querySelectorAll('#figure svg, #figure canvas').length), 1500))")
    assert drawn.probe >= 1, "the interactive figure did not draw"


@pytest.mark.slow
def test_a_broken_step_is_recorded_and_named(study_root):
    study = load_study(small_study(study_root, broken=True))
    reports = study_root / "reports-broken"
    with pytest.raises(StepFailed) as error:
        run_study(study, reports_root=reports, run_id="bad", progress=False)
    message = str(error.value)
    assert "step 'evaluate'" in message and "at cell" in message and "no_such_run" in message
    manifest = json.loads((reports / "small" / "bad" / "manifest.json").read_text())
    statuses = {s["name"]: s["status"] for s in manifest["steps"]}
    assert manifest["status"] == "failed" and statuses["train"] == "done" and statuses["evaluate"] == "failed"
    assert all(statuses[name] == "skipped" for name in ("observational", "interventional", "dynamics", "methodology"))
    failed = next(s for s in manifest["steps"] if s["name"] == "evaluate")
    assert "no_such_run" in failed["error"] and isinstance(failed["cell"], int)
    assert (reports / "small" / "bad" / "notebooks" / "train.ipynb").exists()   # kept what was produced
    assert "failed" in (reports / "index.md").read_text()


def test_bad_study_files_name_the_field(tmp_path):
    from rpt_core.config import ConfigError

    cases = [({"steps": []}, "study: is required"),
             ({"study": "s", "steps": [{"name": "a", "notebook": "nope"}]}, "steps[0].notebook"),
             ({"study": "s", "steps": [{"name": "a", "notebook": "train", "params": {"lr": 1}}]},
              "params.lr: not a parameter of train.ipynb"),
             ({"study": "s", "steps": [{"name": "a", "notebook": "train"}, {"name": "a", "notebook": "train"}]},
              "repeated: ['a']"),
             ({"study": "s", "steps": [{"name": "t", "notebook": "train",
                                        "params": {"train": {"model": {"path": "m"}, "data": {"sets": ["x.jsonl"]},
                                                             "algorithm": "ppo"}}}]}, "algorithm: 'ppo' is not allowed"),
             ({"study": "s", "steps": [{"name": "a", "notebook": "train", "kind": "evalute"}]},
              "steps[0].kind: unknown step kind 'evalute'; allowed: notebook, evaluate"),
             ({"study": "s", "steps": [{"name": "a", "notebook": "train", "kind": "evaluate"}]},
              "step 'a': kind: evaluate, but train.ipynb does not declare every evaluation config field"),
             ({"study": "s", "steps": [{"name": "e", "notebook": "evaluate"}]},
              "step 'e': kind: evaluate.ipynb takes an evaluation config: declare the step 'kind: evaluate'")]
    evaluate = {"models": [{"name": "m", "path": "models/tinyworld/tiny-s"}], "benchmarks": ["humaneval"]}
    for change, message in [({"backend": "vlm"}, "step 'e': backend: 'vlm' is not allowed; allowed: hf, vllm"),
                            ({"shard": "banana"}, "step 'e': shard: 'banana' must look like i/n"),
                            ({"sampling": {"temperature": -3}}, "step 'e': sampling.temperature: -3: must be >= 0"),
                            ({"threads": "two"}, "step 'e': threads: 'two': expected int | null"),
                            ({"benchmarks": ["gsm9k"]}, "step 'e': benchmarks[0].name: unknown benchmark 'gsm9k'")]:
        cases.append(({"study": "s", "steps": [{"name": "e", "notebook": "evaluate", "kind": "evaluate", "params": {**evaluate, **change}}]},
                      message))
    for raw, message in cases:
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(raw))
        with pytest.raises(ConfigError, match=None) as error:
            load_study(path)
        assert message in str(error.value), (message, str(error.value))


def test_evaluate_notebook_parameters_are_the_eval_config_fields():
    """One evaluation path: the notebook declares exactly the config's fields (less out_dir, which the
    step sets), and a study injects the whole validated config, so no notebook default leaks in."""
    from dataclasses import fields

    from rpt_core.config import EvalConfig
    from rpt_core.study import notebook_parameters, step_parameters

    declared = set(notebook_parameters(NOTEBOOKS_DIR / "evaluate.ipynb")) - {"run_dir", "work_dir", "step"}
    assert declared == {f.name for f in fields(EvalConfig)} - {"out_dir", "work_dir"}
    study = load_study({"study": "s", "work_dir": "w", "params": {"threads": 1},
                        "steps": [{"name": "e", "notebook": "evaluate", "kind": "evaluate",
                                   "params": {"checkpoints_of": ["run"], "benchmarks": [{"name": "humaneval", "limit": 2}]}}]})
    injected = step_parameters(study, study.steps[0], Path("r"))
    assert injected["models"] == [] and injected["threads"] == 1 and injected["shard"] == "0/1"
    assert injected["benchmarks"] == [{"name": "humaneval", "repeats": None, "limit": 2, "options": {}}]


def test_parallel_steps_group_only_when_consecutive_same_group_and_workers_allow():
    steps = [{"name": "a", "notebook": "methodology"},
             {"name": "b-{x}", "notebook": "methodology", "foreach": {"x": [1, 2, 3]}, "parallel": "train"},
             {"name": "e", "notebook": "methodology", "parallel": "evaluate"},   # depends on b-*: a new group
             {"name": "f", "notebook": "methodology", "parallel": "evaluate"},
             {"name": "c", "notebook": "methodology"},
             {"name": "d", "notebook": "methodology", "parallel": "evaluate"}]
    grouped = load_study({"study": "s", "workers": 2, "steps": steps}).groups()
    assert [[s.name for s in g] for g in grouped] == [["a"], ["b-1", "b-2", "b-3"], ["e", "f"], ["c"], ["d"]]
    assert all(len(g) == 1 for g in load_study({"study": "s", "steps": steps}).groups())   # workers 1
    for bad, field in (({"workers": 0}, "workers"), ({"workers": "2"}, "workers")):
        with pytest.raises(ValueError, match=field):
            load_study({"study": "s", "steps": steps, **bad})
    with pytest.raises(ValueError, match=r"steps\[0\]\.parallel"):
        load_study({"study": "s", "steps": [{"name": "a", "notebook": "methodology", "parallel": True}]})


def test_fan_out_expands_steps_and_fills_templates():
    study = load_study({"study": "s", "work_dir": "w", "steps": [
        {"name": "train-{domain}", "notebook": "train", "foreach": {"domain": ["math", "code"]},
         "params": {"name": "m-{domain}", "train_params": "{work_dir}/{domain}.yaml"}}]})
    assert [(s.name, s.params["name"], s.params["train_params"]) for s in study.steps] == [
        ("train-math", "m-math", "w/math.yaml"), ("train-code", "m-code", "w/code.yaml")]
    # scalar shared params are templates too, and --set (params=) replaces them before filling
    raw = {"study": "s", "work_dir": "w", "params": {"bases": "models", "n_boot": 5}, "steps": [
        {"name": "m", "notebook": "methodology", "params": {"registry": "{bases}/r.yaml", "seed": "{n_boot}"}}]}
    assert load_study(raw).steps[0].params == {"registry": "models/r.yaml", "seed": 5}
    other = load_study(raw, {"work_dir": "elsewhere"}, {"bases": "other", "n_boot": 7})
    assert other.steps[0].params == {"registry": "other/r.yaml", "seed": 7} and other.work_dir == "elsewhere"


def test_cli_validate_and_dry_run(tmp_path, capsys):
    from rpt_core.cli import main

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"study": "s", "steps": [
        {"name": "methodology", "notebook": "methodology", "params": {"n_boot": 10}}]}))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"study": "s", "steps": [{"name": "m", "notebook": "methodology",
                                                             "params": {"nboot": 10}}]}))
    assert main(["validate", str(good)]) == 0
    assert "study 's': 1 steps" in capsys.readouterr().out
    assert main(["validate", str(good), str(bad)]) == 1
    assert "params.nboot: not a parameter of methodology.ipynb; allowed:" in capsys.readouterr().err
    assert main(["run", str(good), "--dry-run"]) == 0
    assert "1. methodology  [methodology.ipynb]" in capsys.readouterr().out
    assert main(["run", str(good), "--dry-run", "--set", "seed=3", "--work-dir", str(tmp_path / "w")]) == 0
    assert f"work_dir {tmp_path / 'w'}" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="expected NAME=VALUE"):
        main(["run", str(good), "--dry-run", "--set", "seed"])
    # an evaluate step says what it can detect before anything runs
    assert main(["run", "params/smollm.yaml", "--dry-run"]) == 0
    assert ("power: minimum detectable Δ at 80% power, alpha 0.05 (base at 50%): math 5.0 pp (200 items); "
            "code 5.0 pp (200 items); knowledge 5.0 pp (200 items)") in capsys.readouterr().out


def _record(args):
    run_dir, writer = args
    from rpt_core.layout import record_key_numbers

    for i in range(20):
        record_key_numbers(run_dir, **{f"writer {writer} number {i}": float(i)})


def test_key_numbers_from_parallel_steps_are_all_kept(tmp_path):
    import multiprocessing

    from rpt_core.layout import read_key_numbers

    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_record, [(tmp_path, w) for w in range(4)])
    numbers = read_key_numbers(tmp_path)
    assert len(numbers) == 80 and list(numbers) == sorted(numbers)


def test_heartbeat_shows_the_running_cell_and_its_progress_bar(tmp_path, capsys):
    from rpt_core.study.run import Heartbeat, notebook_progress

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("run()"), nbformat.v4.new_code_cell("y")]
    nb.cells[1].metadata["papermill"] = {"status": "running"}
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text=(
        "generate tiny-s:  10%|█         | 26/256 [00:05<00:44,  5.1it/s]\r"
        "\x1b[Agenerate tiny-s:  45%|████▌     | 115/256 [00:30<00:37,  3.80it/s]"))]
    path = tmp_path / "step.ipynb"
    nbformat.write(nb, path)
    assert notebook_progress(path) == ", cell 2/3: generate tiny-s:  45% 115/256 [00:30<00:37,  3.80it/s]"
    assert notebook_progress(tmp_path / "not-yet.ipynb") == ""
    beat = Heartbeat("s", tmp_path, interval=0.05)
    beat.start("evaluate", path)
    import time

    time.sleep(0.3)
    beat.stop("evaluate")
    beat.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("evaluate: running" in line and "115/256" in line for line in lines)


def test_an_analysis_without_records_fails_inside_a_study_instead_of_reading_the_reference(tmp_path, monkeypatch):
    """Opened on its own, an analysis notebook falls back to the committed reference run; inside
    rpt run that would analyse another run's records, so the step fails and says why."""
    from rpt_core.notebook import STUDY_RUN, inside_study, records_source

    study = load_study({"study": "lonely", "work_dir": str(tmp_path / "work"), "params": {"n_boot": 10},
                        "steps": [{"name": "observational", "notebook": "observational"}]})
    with pytest.raises(StepFailed, match="an analysis reads this run's records only"):
        run_study(study, reports_root=tmp_path / "reports", run_id="r", progress=False)
    assert STUDY_RUN not in __import__("os").environ   # restored after the run
    assert records_source(None, tmp_path / "none").name == "records"   # on its own: the reference run
    with inside_study("r2"), pytest.raises(FileNotFoundError, match="run r2"):
        records_source(None, tmp_path / "none")


def test_manifests_name_no_path_of_the_machine(tmp_path):
    from rpt_core.manifest import REPO_ROOT, write_manifest

    path = write_manifest(tmp_path, params={"work_dir": str(tmp_path / "work")},
                          command=f"rpt run {REPO_ROOT}/params/demo.yaml --work-dir {tmp_path}/work",
                          study_file=str(REPO_ROOT / "params" / "demo.yaml"),
                          steps=[{"source": str(REPO_ROOT / "notebooks" / "train.ipynb"),
                                  "error": f"FileNotFoundError: {tmp_path}/elsewhere/x.bin"}],
                          model="Qwen/Qwen2.5-Math-7B", url="https://huggingface.co/x", ratio="3/4 tok/s")
    text = path.read_text()
    assert str(tmp_path) not in text and str(REPO_ROOT) not in text
    manifest = json.loads(text)
    assert manifest["command"] == "rpt run params/demo.yaml --work-dir <work-dir>"
    assert manifest["params"]["work_dir"] == "<work-dir>"
    assert manifest["study_file"] == "params/demo.yaml" and manifest["steps"][0]["source"] == "notebooks/train.ipynb"
    assert manifest["steps"][0]["error"] == "FileNotFoundError: <outside-repo>/x.bin"
    assert (manifest["model"], manifest["url"], manifest["ratio"]) == ("Qwen/Qwen2.5-Math-7B", "https://huggingface.co/x",
                                                                      "3/4 tok/s")


def test_writing_a_manifest_is_cheap(tmp_path):
    """git runs once per manifest and torch is not imported for it."""
    import subprocess
    import sys

    code = ("import subprocess, sys; calls = []; run = subprocess.run\n"
            "subprocess.run = lambda args, **kw: calls.append(args[0]) or run(args, **kw)\n"
            "from rpt_core.manifest import write_manifest\n"
            f"m = write_manifest({str(tmp_path)!r}, kind='x')\n"
            "print(calls.count('git'), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert out == ["1", "False"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["git"]["commit"] and "torch" in manifest["packages"]
