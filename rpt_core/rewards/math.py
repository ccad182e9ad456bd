"""The ``math`` verifier: symbolic/numeric equivalence with Math-Verify, under a hard timeout.

Math-Verify's own timeout uses SIGALRM, which only works on the main thread. Here every
comparison runs in a small pool of long-lived worker processes instead; a call that exceeds
``timeout_s`` kills its worker (a fresh one replaces it), so pathological inputs (huge or deeply
nested expressions) end within the timeout from any thread.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import queue
import re
import threading

from .extract import math_answer
from .verdict import VERSION, Verdict

NAME = f"math@{VERSION}"
MAX_ANSWER_CHARS = 2000  # longer "answers" are not parsed at all: wrong, never a hang


def _compare(gold: str, answer: str) -> bool:
    from math_verify import parse, verify

    def parsed(text: str):
        return parse(text if "$" in text or "\\boxed" in text else f"${text}$", parsing_timeout=None)

    gold_expr = parsed(gold)
    if not gold_expr:
        raise ValueError(f"reference answer {gold!r} cannot be parsed")
    return bool(verify(gold_expr, parsed(f"\\boxed{{{answer}}}"), timeout_seconds=None))


def _worker(conn) -> None:
    import logging
    import signal

    # Ctrl-C (or a Jupyter kernel shutting down) signals the whole process group; the parent owns
    # this worker's life (it kills it on timeout and at exit), so the worker ignores SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.disable(logging.WARNING)  # math_verify warns on every call about its disabled timeout
    while True:
        try:
            gold, answer = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", _compare(gold, answer)))
        except ValueError as exc:
            conn.send(("invalid_reference", str(exc)))
        except BaseException as exc:  # RecursionError, sympy internals: a wrong answer, not a crash
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:300]))


class _Worker:
    def __init__(self):
        ctx = mp.get_context("spawn")  # fork is unsafe in a multi-threaded caller
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.conn.close()


class _Pool:
    """Thread-safe pool of comparison workers; at most ``size`` run at once."""

    def __init__(self, size: int):
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def compare(self, gold: str, answer: str, timeout_s: float):
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker()
                with self._lock:
                    self._all.append(worker)
            try:
                worker.conn.send((gold, answer))
                if worker.conn.poll(timeout_s):
                    result = worker.conn.recv()
                    self._idle.put(worker)
                    return result
            except (EOFError, OSError):
                pass
            worker.kill()
            with self._lock:
                self._all.remove(worker)
            return ("timeout", f"no result within {timeout_s}s")

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.kill()
            self._all.clear()


_pool = _Pool(size=max(2, os.cpu_count() or 2))
atexit.register(_pool.close)


def _normalize(text: str) -> str:
    return re.sub(r"\s+|\\[,!;: ]|\\left|\\right", "", text).rstrip(".").lower()


def _plain_number(text: str):
    """The exact value of a plain decimal ("-12", "3.50", "1,000"), else ``None``."""
    from decimal import Decimal

    text = text.replace(",", "")
    return Decimal(text) if re.fullmatch(r"-?\d+(?:\.\d+)?", text) else None


def verify_math(completion: str, reference: dict, timeout_s: float = 5.0) -> Verdict:
    """reference: ``{"answer": str}`` (LaTeX or plain). Correct iff the extracted final answer is
    mathematically equivalent to the reference (Math-Verify; e.g. ``0.5`` == ``\\frac{1}{2}``)."""
    gold = str(reference["answer"])
    answer = math_answer(completion)
    if answer is None:
        return Verdict(False, None, "no_answer", NAME, "no \\boxed{}, ANSWER: or #### answer found")
    if _normalize(answer) == _normalize(gold):
        return Verdict(True, answer, "ok", NAME)
    plain = [_plain_number(_normalize(x)) for x in (answer, gold)]
    if None not in plain:  # two plain decimals: Math-Verify would compare their values, so do it here
        return Verdict(plain[0] == plain[1], answer, "ok" if plain[0] == plain[1] else "wrong", NAME)
    if len(answer) > MAX_ANSWER_CHARS:
        return Verdict(False, answer[:200], "wrong", NAME, f"answer longer than {MAX_ANSWER_CHARS} chars")
    status, value = _pool.compare(gold, answer, timeout_s)
    if status == "ok":
        return Verdict(bool(value), answer, "ok" if value else "wrong", NAME)
    if status == "timeout":
        return Verdict(False, answer, "timeout", NAME, value)
    if status == "invalid_reference":
        return Verdict(False, answer, "invalid_reference", NAME, value)
    return Verdict(False, answer, "wrong", NAME, value)
