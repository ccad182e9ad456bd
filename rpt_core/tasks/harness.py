"""Test code generators: the Python appended to a solution to decide a ``code_tests`` verdict.

Two shapes: a unittest runner (test modules or ``TestCase`` classes; any failure or error, or no
test at all, raises ``AssertionError``, a "failed" verdict) and a call-based harness (call a
function, or a ``Solution`` method, on each argument list and compare to the expected result), in
two flavours whose equality rules differ: :func:`call_based_tests` (JSON argument lists; a result
may also equal the expected output's single element) and :func:`json_lines_call_tests` (inputs as
one JSON value per line, a per-case alarm, exact equality).
"""

from __future__ import annotations

import json

# {collect} fills the suite; zero tests run also fails.
_UNITTEST_RUN = '''
import sys as _sys
import unittest as _unittest
_suite = _unittest.TestSuite()
{collect}
_result = _unittest.TextTestRunner(stream=_sys.stderr, verbosity=0).run(_suite)
if _result.testsRun == 0:
    raise AssertionError("no tests ran")
if not _result.wasSuccessful():
    _bad = _result.failures + _result.errors
    raise AssertionError(f"{{len(_bad)}} of {{_result.testsRun}} tests failed: "
                         + "; ".join(f"{{_t.id()}}: {{_tb.strip().splitlines()[-1]}}" for _t, _tb in _bad[:3]))
'''

# Only the class {cls} runs (a missing one fails), and the code passes when no test failed or raised.
_TESTCASE_RUN = """
import sys as _sys
import unittest as _unittest
_result = _unittest.TextTestRunner(stream=_sys.stderr, verbosity=0).run(
    _unittest.defaultTestLoader.loadTestsFromTestCase({cls}))
_bad = _result.failures + _result.errors
if _bad:
    raise AssertionError(f"{{len(_bad)}} of {{_result.testsRun}} tests failed: "
                         + "; ".join(f"{{_t.id()}}: {{_tb.strip().splitlines()[-1]}}" for _t, _tb in _bad[:3]))
"""


def unittest_runner(modules: list[str]) -> str:
    """Test code that imports the test ``modules`` (files next to the solution) and runs all their
    unittest cases, as a test runner collecting those files would."""
    return _UNITTEST_RUN.format(collect=f"""import importlib as _importlib
for _name in {modules!r}:
    _suite.addTests(_unittest.defaultTestLoader.loadTestsFromModule(_importlib.import_module(_name)))""")


def testcase_runner(cls: str) -> str:
    """Test code that runs the unittest ``TestCase`` class named ``cls`` only."""
    return _TESTCASE_RUN.format(cls=cls)


_CALL_HARNESS = '''
import json as _json
_CASES = _json.loads({cases!r})
_NAME = {name!r}
_fn = globals().get(_NAME)
if _fn is None and "Solution" in globals():
    _fn = getattr(globals()["Solution"](), _NAME, None)
assert callable(_fn), f"no function {{_NAME}} defined"
for _i, (_args, _want) in enumerate(_CASES):
    _got = _fn(*_args)
    _got = list(_got) if isinstance(_got, tuple) else _got
    _ok = _got == _want or (isinstance(_want, list) and len(_want) == 1 and _got == _want[0])
    assert _ok, f"case {{_i}}: got {{_got!r:.80}}"
'''


def call_based_tests(fn_name: str, cases: list[tuple[list, object]]) -> str:
    """``code_tests`` source calling ``fn_name`` (a function, or a ``Solution`` method) on each
    argument list; a result equals the expected output, or its single element (APPS convention)."""
    return _CALL_HARNESS.format(cases=json.dumps([[list(a), w] for a, w in cases]), name=fn_name)


def json_lines_call_tests(func: str, pairs: list[tuple[str, str]], alarm_s: int, skip_blank_lines: bool = False) -> str:
    """``code_tests`` source calling ``Solution().<func>`` (or the bare function ``func``) on each
    case: the input holds one JSON argument per line (``skip_blank_lines``: blank lines are not
    arguments; else every newline splits), a ``signal.alarm`` of ``alarm_s`` seconds bounds each
    call, and the result (a tuple counts as a list) must equal the JSON-decoded output exactly."""
    lines = "_in.split('\\n') if _l.strip()" if skip_blank_lines else "_in.split('\\n')"
    return (f"import json as _json\nimport signal as _signal\n_CASES = {pairs!r}\n"
            f"_call = Solution().{func} if 'Solution' in globals() else {func}\n"
            f"for _i, (_in, _out) in enumerate(_CASES):\n"
            f"    _args = [_json.loads(_l) for _l in {lines}]\n"
            f"    _signal.alarm({alarm_s})\n"
            f"    _got = _call(*_args)\n"
            f"    _signal.alarm(0)\n"
            f"    _got = list(_got) if isinstance(_got, tuple) else _got\n"
            f"    assert _got == _json.loads(_out), f'case {{_i}}: got {{_got!r}}'\n")
