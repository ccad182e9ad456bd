"""Execution environments: the Python interpreter a task's code runs with in the sandbox.

Most tasks need only the standard library, so their code runs with this interpreter. A task whose
tests import third-party libraries declares an :class:`Environment` (``Task.environment``) and names
it in its references (``reference["environment"]``); the environment is an isolated virtual
environment with the task's pinned requirements, built once by a make target and never imported by
this process. Found at ``$RPT_ENV_<NAME>`` (an interpreter), else ``<repo>/.venv-<name>/bin/python``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class EnvironmentMissing(RuntimeError):
    """A task needs an execution environment that is not built; the message says how to build it."""


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
