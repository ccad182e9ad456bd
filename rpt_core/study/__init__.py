"""Studies: an ordered list of notebook steps, executed by papermill into a versioned run folder.

:mod:`.spec` is the study file (schema, templating, step kinds), :mod:`.run` executes one (papermill,
reuse, heartbeat) and :mod:`.plan` checks one before a long run and prints the dry run (estimates,
power). The names most callers need are importable from here.
"""

from .plan import check_study, environment_warnings, estimates, load_study, plan
from .run import Heartbeat, RunResult, StepFailed, new_run_id, run_study, step_parameters
from .spec import NOTEBOOKS_DIR, STEP_KINDS, ConfigError, Step, Study, eval_config, notebook_parameters, read_study

__all__ = ["Study", "Step", "STEP_KINDS", "StepFailed", "RunResult", "Heartbeat", "load_study", "read_study", "run_study",
           "new_run_id", "step_parameters", "eval_config", "plan", "estimates", "check_study", "environment_warnings",
           "notebook_parameters", "NOTEBOOKS_DIR", "ConfigError"]
