"""Execution environments: the Python interpreter a benchmark's code runs with in the sandbox.

Most benchmarks need only the standard library, so their code runs with this interpreter. A
benchmark whose tests import third-party libraries names an environment in its references
(``reference["environment"]``); the environment is an isolated virtual environment with the
benchmark's pinned requirements, built once by a make target and never imported by this process.

==============  ====================================  ==================================================
name            built by                              found at
==============  ====================================  ==================================================
bigcodebench    ``make bigcodebench-env``             ``$RPT_ENV_BIGCODEBENCH`` (an interpreter), else
                (requirements/bigcodebench-eval.txt)  ``<repo>/.venv-bigcodebench/bin/python``
==============  ====================================  ==================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnknownName

_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Environment:
    name: str
    make_target: str
    requirements: str  # relative to the repository root
    default_python: Path

    @property
    def variable(self) -> str:
        return f"RPT_ENV_{self.name.upper()}"

    def python(self) -> str:
        """The interpreter path; raises :class:`EnvironmentMissing` when it is not built (the default
        environment also needs the ``.installed`` stamp its make target writes last, so a build that
        was interrupted half-way is not taken for a complete one)."""
        override = os.environ.get(self.variable)
        path = Path(override or self.default_python)
        problem = None
        if not (path.is_file() and os.access(path, os.X_OK)):
            problem = f"no interpreter at {path}"
        elif not override and not (self.default_python.parent.parent / ".installed").is_file():
            problem = f"{self.default_python.parent.parent} is incomplete (its build did not finish)"
        if problem:
            raise EnvironmentMissing(
                f"execution environment {self.name!r} is missing: {problem}. Build it with "
                f"`make {self.make_target}` (installs {self.requirements} into .venv-{self.name}/), or set "
                f"{self.variable}=<python of an environment with those packages>.")
        return str(path)


class EnvironmentMissing(RuntimeError):
    """A benchmark needs an execution environment that is not built; the message says how to build it."""


ENVIRONMENTS: dict[str, Environment] = {
    "bigcodebench": Environment("bigcodebench", "bigcodebench-env", "requirements/bigcodebench-eval.txt",
                                _REPO / ".venv-bigcodebench" / "bin" / "python"),
}


def python_for(name: str | None) -> str | None:
    """The interpreter for environment ``name`` (``None``: the sandbox's default interpreter).
    Raises ``KeyError`` for an unknown name and :class:`EnvironmentMissing` when it is not built."""
    if name is None:
        return None
    if name not in ENVIRONMENTS:
        raise UnknownName(f"unknown execution environment {name!r}; known: {', '.join(ENVIRONMENTS)}")
    return ENVIRONMENTS[name].python()
