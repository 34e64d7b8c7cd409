"""Problems found in a site's files, and the one error type that carries them to the CLI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    path: str
    """File path relative to the site folder, with forward slashes."""
    line: int | None
    """1-based line in that file, or None when the problem is the file as a whole."""
    message: str
    """What is wrong and, where it helps, what to do about it."""
    column: int | None = None
    """1-based column in that line, when known (YAML slips); shown as `path:line:column`."""
    more: tuple[Problem, ...] = ()
    """Further problems found in the same file at once (YAML slips after the first); reported with it."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.line and self.column:
            where += f":{self.column}"
        return f"{where}: {self.message}"


class RoundupError(Exception):
    """A failure the user can fix; the CLI prints the problems and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", None, problems)]
        self.problems = sorted(_each(problems), key=_order)
        super().__init__("\n".join(self.lines()))

    def __reduce__(self):  # a worker process's error reaches the CLI with its problems intact
        return type(self), (self.problems,)

    def lines(self) -> list[str]:
        """One printable line per problem."""
        return [str(p) if p.path else p.message for p in self.problems]


class UsageError(RoundupError):
    """The command line itself is wrong."""

    exit_code = 2


def _each(problems: Iterable[Problem]) -> Iterator[Problem]:
    """Every problem, those carried in `more` as problems of their own."""
    for p in problems:
        if p.more:
            yield replace(p, more=())
            yield from p.more
        else:
            yield p


def _order(p: Problem) -> tuple[str, int, int, str]:
    return (p.path, p.line or 0, p.column or 0, p.message)


class Problems:
    """Collects every problem in a run so they can be reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, line: int | None, message: str) -> None:
        self.items.append(Problem(path, line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise RoundupError(self.items)
