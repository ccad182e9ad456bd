"""Test code generators: the Python appended to a solution to decide a ``code_tests`` verdict.

Two shapes: a unittest runner (test modules or ``TestCase`` classes; any failure or error, or no
test at all, raises ``AssertionError``, a "failed" verdict) and a call-based harness (call a
function, or a ``Solution`` method, on each argument list and compare to the expected result).
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
