"""Errors that name what is wrong and what is allowed (the CLI shows them as one line)."""


class UnknownName(KeyError):
    """A name (benchmark, training set, registry model, environment, reference run) that is not
    among the known ones; the message lists them. A ``KeyError`` so lookups keep their contract;
    shown as its message (a plain ``KeyError`` shows its repr)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
