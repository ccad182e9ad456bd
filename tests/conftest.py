import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest

from rpt_core.items import Item


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
    from rpt_core.tinymodel import build_model, build_tokenizer

    texts = [t.prompt for items in make_items().values() for t in items] + ["ANSWER: 0 1 2 3 4 yes no def f(x): return x + 1"]
    tokenizer = build_tokenizer(texts * 20, vocab_size=320)
    return str(build_model(tmp_path_factory.mktemp("tiny") / "model", tokenizer))


def fixture_items() -> dict[str, list[Item]]:
    """Real-schema fixture items of one benchmark per domain, through the real loaders."""
    from pathlib import Path

    from rpt_core.benchmarks import load

    data = Path(__file__).parent / "fixtures" / "benchmarks"
    return {name: load(name, data_dir=data, limit=2) for name in ("gsm8k", "mbpp", "pubmedqa")}
