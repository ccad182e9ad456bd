import json
import subprocess
import sys


def test_rpt_verify_jsonl_passes_ids_and_survives_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a", "kind": "math", "completion": "ANSWER: 4", "reference": {"answer": "4"}}),
        "not json",
        json.dumps({"id": "b", "kind": "nope", "completion": "x", "reference": {}}),
        json.dumps({"id": "c", "kind": "choice", "completion": "B", "reference": {"answer": "B"}}),
        json.dumps([1, 2]),
        json.dumps({"id": 5, "kind": "code_stdio", "completion": "print(input()[::-1])",
                    "reference": {"cases": [{"input": "abc", "output": "cba"}]}}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "rpt_core.cli", "verify", str(path)],
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 6
    assert rows[0] == {"id": "a", "correct": True, "extracted": "4", "reason": "ok", "verifier": rows[0]["verifier"], "detail": ""}
    assert rows[1]["reason"] == "error" and "JSONDecodeError" in rows[1]["detail"]
    assert rows[2]["id"] == "b" and "allowed: math" in rows[2]["detail"]
    assert rows[3]["id"] == "c" and "options" in rows[3]["detail"]
    assert rows[4]["reason"] == "error"
    assert rows[5] == {**rows[5], "id": 5, "correct": True}


def test_validate_and_dry_run_warn_about_a_missing_execution_environment(tmp_path, monkeypatch):
    from rpt_core.cli import validate_file
    from rpt_core.study import load_study, plan

    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", str(tmp_path / "no-such-python"))
    params = tmp_path / "eval.yaml"
    params.write_text("models: [{name: m, path: org/model}]\nbenchmarks: [humaneval, bigcodebench]\n")
    text = validate_file(str(params))
    assert text.startswith("evaluation params: 2 benchmarks")
    assert "warning: benchmark bigcodebench: execution environment 'bigcodebench' is missing" in text
    assert "make bigcodebench-env" in text and "humaneval" not in text.split("warning")[1]
    assert "warning: step 'evaluate': benchmark bigcodebench" in validate_file("params/paper/observational.yaml")
    assert "! warning: step 'evaluate': benchmark bigcodebench" in plan(load_study("params/paper/observational.yaml"))
    python = tmp_path / "env" / "bin" / "python"   # an environment that is there: no warning
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", str(python))
    assert "warning" not in validate_file(str(params))


def test_compare_names_the_test_behind_each_conclusion(tmp_path):
    """A run older than the item-clustered test has CMH's p only: its conclusions say so, and a
    difference between the two tests is not reported as a flipped result."""
    from rpt_core.compare import compare_runs

    rows = {"new": "rpt,set,delta,p_value,p_delta\nm,math,5.0,0.01,0.20\nm,code,-4.0,0.01,0.01\n",
            "old": "rpt,set,delta,p_value\nm,math,5.0,0.01\nm,code,-4.0,0.01\n"}
    for name, csv in rows.items():
        (tmp_path / name / "data").mkdir(parents=True)
        (tmp_path / name / "manifest.json").write_text('{"study": "s", "run_id": "%s"}' % name)
        (tmp_path / name / "data" / "observational_comparisons.csv").write_text(csv)
    text = compare_runs(tmp_path / "new", tmp_path / "old")
    assert "| m / math | no significant change | significant gain (CMH p) | other test |" in text
    assert "| m / code | significant loss | significant loss (CMH p) | — |" in text   # agree: unmarked
    assert "## Conclusions (0 flipped)" in text and "1 conclusion(s) compare the item-clustered test" in text
