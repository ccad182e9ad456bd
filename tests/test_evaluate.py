import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from conftest import fixture_items, make_items
from rpt_core import rewards
from rpt_core.evaluate import GenerationCache, Plan, cache_path, evaluate, verdict_path
from rpt_core.records import merge_shards, read_eval_records, regrade, write_records
from rpt_core.summary import summarize
from rpt_core.generate import HFGenerator, Sampling, load_generator

SAMPLING = Sampling(temperature=0.7, top_p=1.0, max_new_tokens=8, seed=3)
REPEATS = {"toy_math": 2, "toy_code": 1, "toy_qa": 3}
FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"


class Counting:
    """Wraps a generator and counts the samples it is asked for."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.model, self.fingerprint = inner.model, inner.fingerprint

    def render(self, messages):
        return self.inner.render(messages)

    def generate(self, prompts, sampling, seeds):
        self.calls += len(prompts)
        return self.inner.generate(prompts, sampling, seeds)


@pytest.fixture(scope="module")
def hf(tiny_model):
    return HFGenerator(tiny_model, batch_size=4)


def test_end_to_end_records_summary_and_cache(hf, tmp_path):
    gen = Counting(hf)
    plan = Plan(make_items(), REPEATS, SAMPLING)
    records = evaluate(gen, plan, tmp_path)
    assert gen.calls == 3 * 2 + 1 + 2 * 3
    assert set(records.columns) >= {"benchmark", "item_id", "sample_index", "completion", "finish_reason", "tokens", "extracted", "correct", "reason", "verifier"}
    assert records["key"].is_unique and set(records["finish_reason"]) <= {"stop", "length"}
    assert (records["tokens"] <= SAMPLING.max_new_tokens).all()
    summary = summarize(records).set_index("benchmark")
    assert summary.loc["toy_qa", "n_items"] == 2 and summary.loc["toy_qa", "n_samples"] == 6
    assert 0 <= summary.loc["toy_math", "pass@1"] <= 100  # percent
    again = evaluate(gen, plan, tmp_path)
    assert gen.calls == 13  # a rerun generates nothing
    pd.testing.assert_frame_equal(records, again)


def test_sharding_then_merge_equals_unsharded(hf, tmp_path):
    full = evaluate(hf, Plan(make_items(), REPEATS, SAMPLING), tmp_path)
    parts = [evaluate(hf, Plan(make_items(), REPEATS, SAMPLING, shard=(i, 3)), tmp_path) for i in range(3)]
    assert sum(len(p) for p in parts) == len(full)
    pd.testing.assert_frame_equal(merge_shards(parts), merge_shards([full]))
    for i, part in enumerate(parts):  # a records folder with the shards and a merged copy beside them
        write_records(part, tmp_path / "records" / f"m.shard-{i}-of-3.parquet")
    write_records(full, tmp_path / "records" / "m.parquet")
    pd.testing.assert_frame_equal(read_eval_records(tmp_path / "records"), merge_shards([full]))
    with pytest.raises(ValueError, match="shard 3/3"):
        Plan(make_items(), REPEATS, SAMPLING, shard=(3, 3)).samples(hf)


def test_regrade_reports_changed_verdicts_without_generating(hf, tmp_path, monkeypatch):
    records = evaluate(hf, Plan(make_items(), REPEATS, SAMPLING), tmp_path)
    lookup = {f"{i.benchmark}/{i.id}": i for items in make_items().values() for i in items}
    same, changed = regrade(records, lookup)
    assert changed.empty
    lenient = rewards.Verdict(True, "x", "ok", "label@lenient")
    monkeypatch.setitem(rewards.VERIFIERS, "label", lambda completion, reference: lenient)
    new, changed = regrade(records, lookup)
    qa = records["benchmark"] == "toy_qa"
    assert new.loc[qa, "correct"].all() and (new.loc[qa, "verifier"] == "label@lenient").all()
    assert len(changed) == int((~records.loc[qa, "correct"]).sum())
    assert new.loc[~qa, "correct"].tolist() == records.loc[~qa, "correct"].tolist()


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import make_items
    from rpt_core.evaluate import Plan, evaluate
    from rpt_core.generate import HFGenerator, Sampling
    gen = HFGenerator({model!r}, batch_size=2)
    inner, calls = gen.generate, []
    def dying(prompts, sampling, seeds):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return inner(prompts, sampling, seeds)
    gen.generate = dying
    import rpt_core.evaluate as ev
    ev_generate = ev.generate_missing
    ev.generate_missing = lambda g, s, c, sp, chunk=64: ev_generate(g, s, c, sp, chunk=2)
    evaluate(gen, Plan(make_items(), {repeats!r}, Sampling(**{sampling!r})), {cache!r})
""")


def test_sigkill_mid_run_then_resume_generates_only_the_missing(hf, tiny_model, tmp_path):
    script = KILL_SCRIPT.format(tests=os.path.dirname(__file__), model=tiny_model, repeats=REPEATS,
                                sampling=SAMPLING.to_dict(), cache=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    stored = GenerationCache(cache_path(tmp_path, hf.fingerprint)).entries
    assert len(stored) == 4  # two chunks of two survived the kill
    gen = Counting(hf)
    records = evaluate(gen, Plan(make_items(), REPEATS, SAMPLING), tmp_path)
    assert gen.calls == 13 - 4
    assert len(records) == 13 and records["key"].is_unique
    for key, row in stored.items():
        assert records.set_index("key").loc[key, "completion"] == row["text"]


def test_unknown_backend_names_allowed():
    with pytest.raises(ValueError, match="allowed: hf, vllm"):
        load_generator("tgi", "x")


FIXTURE_REPEATS = {"gsm8k": 1, "mbpp": 1, "pubmedqa": 2}


@pytest.mark.slow
def test_vllm_and_hf_backends_on_fixture_items_of_every_domain(tiny_model, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from conftest import fixture_items
        from rpt_core.evaluate import Plan, evaluate
        from rpt_core.records import write_records
        from rpt_core.generate import Sampling, load_generator
        if __name__ == "__main__":
            gen = load_generator("vllm", {tiny_model!r}, dtype="float32", max_model_len=512, enforce_eager=True)
            plan = Plan(fixture_items(), {FIXTURE_REPEATS!r}, Sampling(**{SAMPLING.to_dict()!r}))
            write_records(evaluate(gen, plan, {str(tmp_path)!r}), {str(tmp_path / 'vllm.parquet')!r})
    """)
    path = tmp_path / "run_vllm.py"
    path.write_text(script)
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"})
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    vllm_records = pd.read_parquet(tmp_path / "vllm.parquet")
    hf_records = evaluate(HFGenerator(tiny_model), Plan(fixture_items(), FIXTURE_REPEATS, SAMPLING), tmp_path)
    assert set(hf_records["domain"]) == {"math", "code", "knowledge"}
    assert list(vllm_records.columns) == list(hf_records.columns)
    assert sorted(vllm_records["key"]) == sorted(hf_records["key"])  # same plan, same content keys
    assert (vllm_records["tokens"] <= SAMPLING.max_new_tokens).all()
    assert set(vllm_records["finish_reason"]) <= {"stop", "length"}


def test_a_local_model_is_identified_by_its_files_not_its_location(tiny_model, tmp_path):
    import shutil

    from rpt_core.generate import model_fingerprint

    moved = shutil.copytree(tiny_model, tmp_path / "elsewhere")
    (moved / "trainer_state.json").write_text('{"log_history": [], "elapsed": 12.3}')  # run logs do not count
    assert model_fingerprint(str(moved)) == model_fingerprint(tiny_model)
    (moved / "config.json").write_text((moved / "config.json").read_text().replace("}", ', "x": 1}', 1))
    assert model_fingerprint(str(moved)) != model_fingerprint(tiny_model)


def test_checkpoints_that_differ_only_mid_file_have_different_fingerprints(tiny_model, tmp_path):
    """Two checkpoints of one run share config, tokenizer and file sizes; one byte in the middle of
    the weights (far from the first and last MiB) must still change the identity."""
    import shutil

    from rpt_core.generate import model_fingerprint

    a, b = (shutil.copytree(tiny_model, tmp_path / name) for name in ("step-1", "step-2"))
    for folder in (a, b):  # weights of > 2 MiB, so the middle is outside any head/tail window
        with open(folder / "model.safetensors", "ab") as f:
            f.write(bytes(3 << 20))
    with open(b / "model.safetensors", "r+b") as f:
        f.seek(-(3 << 19), 2)
        f.write(b"\x01")
    assert (a / "model.safetensors").stat().st_size == (b / "model.safetensors").stat().st_size
    assert model_fingerprint(str(a)) != model_fingerprint(str(b))


class Scripted:
    """A generator that answers from a script: ``answer(prompt) -> text``; counts its calls."""

    model = fingerprint = "scripted"

    def __init__(self, answer):
        self.answer, self.prompts = answer, []

    def render(self, messages):
        return "\n\n".join(f"[{m['role']}] {m['content']}" for m in messages)

    def generate(self, prompts, sampling, seeds):
        from rpt_core.generate import Completion
        self.prompts += prompts
        return [Completion(self.answer(p), 5, "stop") for p in prompts]


def test_second_try_with_the_test_output_gives_pass_rate_2(tmp_path):
    from rpt_core.tasks.loading import load
    items = load("polyglot", data_dir=FIXTURES)
    solutions = {i.metadata["solution_file"]: i.metadata["canonical_solution"] for i in items}

    def answer(prompt):
        filename = next(f for f in solutions if f"`{f}`" in prompt)
        if "See the testing errors above" in prompt:  # the second try fixes the code
            return f"```python\n{solutions[filename]}\n```"
        broken = "def pair_sum(pair):\n    return 0" if filename == "pair_sum.py" else solutions[filename]
        return f"```python\n{broken}\n```"

    gen = Scripted(answer)
    records = evaluate(gen, Plan({"polyglot": items}, {"polyglot": 1}, SAMPLING), tmp_path)
    assert len(gen.prompts) == 4  # three first tries, one second try
    retry_prompt = gen.prompts[-1]
    assert "[assistant] ```python\ndef pair_sum(pair):\n    return 0" in retry_prompt
    assert "test_positive" in retry_prompt and "Fix the code in pair_sum.py" in retry_prompt
    row = records.set_index("item_id").loc["pair-sum"]
    assert not row["correct"] and row["correct_2"] and "pair_sum(pair)" in row["retry_completion"]
    summary = summarize(records).iloc[0]
    assert summary["pass@1"] == pytest.approx(100 * 2 / 3) and summary["pass_rate_2"] == 100.0
    stored = GenerationCache(verdict_path(tmp_path, gen.fingerprint)).entries.values()
    assert len(stored) == 4 and {v["isolation"] for v in stored} == {rewards.sandbox.isolation()}  # how code ran
    again = evaluate(gen, Plan({"polyglot": items}, {"polyglot": 1}, SAMPLING), tmp_path)
    assert len(gen.prompts) == 4
    pd.testing.assert_frame_equal(records, again)
    lookup = {f"polyglot/{i.id}": i for i in items}
    regraded, changed = regrade(records, lookup)
    assert changed.empty and regraded["correct_2"].tolist() == records["correct_2"].tolist()


def test_verdicts_are_cached_and_a_version_bump_regrades_that_benchmark_only(hf, tmp_path, monkeypatch):
    import dataclasses

    from rpt_core import evaluate as evaluation
    from rpt_core import records as record_store
    from rpt_core.records import stale
    from rpt_core.tasks import TASKS
    from rpt_core.tasks.loading import load
    suite = {"tabfact": load("tabfact", data_dir=FIXTURES), "gsm8k": load("gsm8k", data_dir=FIXTURES)}
    plan = Plan(suite, {"tabfact": 1, "gsm8k": 1}, SAMPLING)
    first = evaluate(hf, plan, tmp_path)
    versions = {n: f"{n}@{TASKS[n].version}" for n in ("tabfact", "gsm8k")}
    assert set(first["benchmark_version"]) == set(versions.values())
    graded = []
    real = evaluation.verify_many
    monkeypatch.setattr(evaluation, "verify_many", lambda triples, workers, **kw: graded.extend(triples) or real(triples, workers, **kw))
    monkeypatch.setattr(record_store, "verify_many", evaluation.verify_many)   # regrade verifies through the same counter
    pd.testing.assert_frame_equal(evaluate(hf, plan, tmp_path), first)
    assert graded == []  # every verdict came from the store
    changed = dataclasses.replace(TASKS["tabfact"], options={"changed": True})   # new content, new version
    assert changed.version != TASKS["tabfact"].version
    monkeypatch.setitem(TASKS, "tabfact", changed)
    assert stale(first).tolist() == (first["benchmark"] == "tabfact").tolist()
    second = evaluate(hf, plan, tmp_path)
    assert len(graded) == len(suite["tabfact"])
    assert set(second["benchmark_version"]) == {f"tabfact@{changed.version}", versions["gsm8k"]}
    lookup = {f"{b}/{i.id}": i for b, items in suite.items() for i in items}
    graded.clear()
    new, _ = regrade(first, lookup, only_stale=True)
    assert len(graded) == len(suite["tabfact"])  # only the stale benchmark is verified again
    assert new["benchmark_version"].tolist() == second["benchmark_version"].tolist()


def _append_rows(args):
    path, writer, rows = args
    cache = GenerationCache(path)
    for start in range(0, rows, 7):  # many small appends, interleaving with the other writers
        cache.add([{"key": f"{writer}-{i}", "text": "x" * (i % 97) * 50, "tokens": i, "finish_reason": "stop"}
                   for i in range(start, min(start + 7, rows))])


def test_generation_cache_with_concurrent_writers_loses_and_tears_nothing(tmp_path):
    import multiprocessing

    path = tmp_path / "generations" / "shared.jsonl"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_rows, [(path, writer, 300) for writer in range(4)])
    cache = GenerationCache(path)
    assert cache.torn == 0 and len(cache.entries) == 1200
    assert sum(1 for _ in open(path, "rb")) == 1200  # one line per row: no interleaved writes


def test_torn_cache_lines_are_counted_and_reported(tmp_path):
    path = tmp_path / "generations" / "x.jsonl"
    GenerationCache(path).add([{"key": "a", "text": "t", "tokens": 1, "finish_reason": "stop"}])
    with open(path, "ab") as f:
        f.write(b'{"key": "b", "te')  # a kill mid-write
    cache = GenerationCache(path)
    assert cache.torn == 1 and set(cache.entries) == {"a"}
    cache.add([{"key": "c", "text": "t", "tokens": 1, "finish_reason": "stop"}])
    assert GenerationCache(path).torn == 1 and set(GenerationCache(path).entries) == {"a", "c"}


def test_an_append_waits_for_the_lock_another_process_holds(tmp_path):
    import multiprocessing
    import time

    from rpt_core.atomic import locked

    path = tmp_path / "generations" / "shared.jsonl"
    child = multiprocessing.get_context("fork").Process(target=_append_rows, args=((path, 9, 3),))
    with locked(path):
        child.start()
        time.sleep(1.0)
        assert not path.exists() or path.read_bytes() == b""  # the child waits while the lock is held
    child.join(10)
    assert child.exitcode == 0 and set(GenerationCache(path).entries) == {"9-0", "9-1", "9-2"}


def test_harness_errors_are_not_wrong_answers_they_are_counted_and_fail_the_step(tmp_path, monkeypatch):
    """A sample the harness could not grade (here: its execution environment is missing) is left
    out of pass@1 and every statistic, counted in the summary, and above max_harness_error_rate the
    evaluation fails naming the fix."""
    from rpt_core.evaluate import HarnessErrors, check_harness
    from rpt_core.items import Item
    from rpt_core.stats.stratify import accuracy_table, strata

    monkeypatch.setenv("RPT_ENV_BIGCODEBENCH", str(tmp_path / "no-such-python"))
    plain = {"tests": "assert f(1) == 2"}
    items = {"toy_code": [Item("toy_code", str(i), [{"role": "user", "content": f"task {i}"}], "code_tests",
                               {**plain, "environment": "bigcodebench"} if i == 0 else plain, "code")
                          for i in range(4)]}
    right = Scripted(lambda p: "```python\ndef f(x):\n    return x + 1\n```")
    records = evaluate(right, Plan(items, {"toy_code": 2}, SAMPLING), tmp_path / "right")
    broken = records["item_id"] == "0"
    assert set(records.loc[broken, "reason"]) == {"sandbox_error"} and records.loc[~broken, "correct"].all()

    summary = summarize(records).iloc[0]
    assert summary["pass@1"] == 100.0   # 6 graded samples, all right; the 2 ungraded are not wrong
    assert summary["n_samples"] == 6 and summary["harness_errors"] == 2 and summary["harness_error_rate"] == 25.0
    assert accuracy_table(records)["accuracy"].tolist() == [100.0]
    # against a base that is wrong everywhere, the ungraded item drops out of Δ (paired on graded samples)
    wrong = Scripted(lambda p: "```python\ndef f(x):\n    return x\n```")
    base = evaluate(wrong, Plan(items, {"toy_code": 2}, SAMPLING), tmp_path / "wrong")
    both = pd.concat([records.assign(model="rpt"), base.assign(model="base")])
    st = strata(both, [("rpt", "base", ("code",))], n_boot=20)
    assert len(st.table) == 1 and st.table["n_items"].iat[0] == 3 and st.table["delta"].iat[0] == 100.0

    with pytest.raises(HarnessErrors, match=r"toy_code: 2 of 8 samples \(25.0%\).*make bigcodebench-env"):
        check_harness(records, items, max_rate=0.01)
    check_harness(records, items, max_rate=0.25)   # at the threshold: allowed


def test_a_corrected_reference_answer_regrades_that_item_only(tmp_path, monkeypatch):
    """Item-file benchmarks (the tiny world, the quiz) keep their version; a verdict is keyed by the
    item's reference too, so fixing one answer regrades that item's samples and nothing else."""
    import dataclasses

    from rpt_core import evaluate as evaluation
    from rpt_core.items import read_items, write_items

    items = make_items()
    for name in ("toy_math", "toy_qa"):
        write_items(tmp_path / f"{name}.jsonl", items[name])
    suite = {name: read_items(tmp_path / f"{name}.jsonl") for name in ("toy_math", "toy_qa")}
    gen = Scripted(lambda p: "ANSWER: yes" if "even" in p else "ANSWER: 2")
    plan = Plan(suite, {"toy_math": 2, "toy_qa": 1}, SAMPLING)
    first = evaluate(gen, plan, tmp_path / "cache")
    assert not first.set_index(["benchmark", "item_id"]).loc[("toy_math", "0"), "correct"].any()   # 0 + 0 is 0
    graded = []
    real = evaluation.verify_many
    monkeypatch.setattr(evaluation, "verify_many", lambda triples, workers, **kw: graded.extend(triples) or real(triples, workers, **kw))
    fixed = [dataclasses.replace(i, reference={"answer": "2"}) if i.id == "0" else i for i in suite["toy_math"]]
    plan = Plan({**suite, "toy_math": fixed}, {"toy_math": 2, "toy_qa": 1}, SAMPLING)
    second = evaluate(gen, plan, tmp_path / "cache")
    assert len(graded) == 2 and {t[2]["answer"] for t in graded} == {"2"}   # item 0's two samples
    changed = second["correct"] != first["correct"]
    assert set(second.loc[changed, "item_id"]) == {"0"} and second.loc[changed, "correct"].all()
    assert len(gen.prompts) == 2 * 3 + 2   # nothing generated again


def test_a_hub_model_is_identified_by_the_commit_its_revision_resolves_to(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from rpt_core.generate import model_fingerprint

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    refs = tmp_path / "models--org--model" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    assert model_fingerprint("org/model") == f"org/model@{'a' * 40}"
    (refs / "main").write_text("b" * 40)   # main moved: another model, other cache keys
    assert model_fingerprint("org/model") == f"org/model@{'b' * 40}"
    assert model_fingerprint("org/model", "c" * 40) == f"org/model@{'c' * 40}"   # a pinned commit as given
