import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `make test` runs two test processes (pytest-xdist) on the 2-core machine, and tests start kernels,
# trainers and sandboxes of their own: more busy threads than cores. OpenMP threads that wait for work
# sleep instead of spinning on a core another process needs, and each test process computes on one
# thread unless a test sets its own.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from rpt_core.items import Item


def pytest_collection_modifyitems(items):
    """The end-to-end tests (marked slow) first: with two test processes they start at once and the
    short tests fill the gaps, instead of one long test ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def make_items() -> dict[str, list[Item]]:
    """A few hand-written items, one benchmark per domain, in the shared item schema."""
    def item(bench, domain, i, text, kind, ref):
        return Item(bench, str(i), [{"role": "user", "content": text}], kind, ref, domain)
    return {
        "toy_math": [item("toy_math", "math", i, f"What is {i} + {i}? End with ANSWER: <n>", "math", {"answer": str(2 * i)}) for i in range(3)],
        "toy_code": [item("toy_code", "code", 0, "Write f(x) returning x + 1 in a ```python block.", "code_tests", {"tests": "assert f(1) == 2"})],
        "toy_qa": [item("toy_qa", "knowledge", i, f"Is {i} even? Answer yes or no.", "label", {"answer": "yes" if i % 2 == 0 else "no", "labels": ["yes", "no"]}) for i in range(2)],
    }


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from rpt_core.tinyworld.model import build_model, build_tokenizer

    texts = [t.prompt for items in make_items().values() for t in items] + ["ANSWER: 0 1 2 3 4 yes no def f(x): return x + 1"]
    tokenizer = build_tokenizer(texts * 20, vocab_size=320)
    return str(build_model(tmp_path_factory.mktemp("tiny") / "model", tokenizer))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """One model cache (``RPT_MODEL_CACHE``) for every test of a real GGUF model, shared by the test
    processes of one run: the first use converts the file into it (under a lock), later tests and the
    study kernels they start (which inherit the variable) reuse it."""
    base = tmp_path_factory.getbasetemp()
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "models"
    cache.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RPT_MODEL_CACHE", str(cache))
        yield cache


def fixture_items() -> dict[str, list[Item]]:
    """Real-schema fixture items of one benchmark per domain, through the real loaders."""
    from pathlib import Path

    from rpt_core.tasks.loading import load

    data = Path(__file__).parent / "fixtures" / "benchmarks"
    return {name: load(name, data_dir=data, limit=2) for name in ("gsm8k", "mbpp", "pubmedqa")}


WORDS = ["yes", "no"]


def build_yes_world(root, n_items: int = 64, p_yes: float = 0.3, seed: int = 0):
    """An easy verifiable task for RL tests: every prompt's answer is "yes" (``root/yes.jsonl``), and a
    base model (``root/base``) that says "yes" with probability ~``p_yes``: a tiny Qwen2 briefly
    fine-tuned on random answers, so the binary reward starts low and GRPO has a clear signal."""
    import random

    import torch
    from transformers import AutoModelForCausalLM

    from rpt_core.items import write_items
    from rpt_core.tinyworld.model import build_model, build_tokenizer

    items = [Item("yes_task", str(i), [{"role": "user", "content": f"Question {i}: say {WORDS[i % 2]}."}],
                  "label", {"answer": "yes", "labels": WORDS}, "knowledge") for i in range(n_items)]
    write_items(root / "yes.jsonl", items)
    tokenizer = build_tokenizer([f"Question {i}: say yes. no" for i in range(n_items)], vocab_size=300)
    model_dir = build_model(root / "base", tokenizer)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng = random.Random(seed)
    for _ in range(60):
        texts = [tokenizer.apply_chat_template(
            [{"role": "user", "content": f"Question {rng.randrange(n_items)}: say {rng.choice(WORDS)}."},
             {"role": "assistant", "content": "yes" if rng.random() < p_yes else "no"}], tokenize=False)
            for _ in range(16)]
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        loss = model(**batch, labels=batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(model_dir)
    return items
