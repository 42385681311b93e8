"""Stop an answer that starts repeating itself, before the repeat reaches the reader.

Small models fall into loops ("The falls are in Marble Falls, Texas. The falls are in
Marble Falls, Texas. …") and then decode until ``llm.max_tokens``: seconds of wasted
time and a wall of text. The streamed text is split into clauses at ``. ! ? ; ,`` and new
lines; the answer ends before a clause of :data:`MIN_CLAUSE_CHARS` or more that repeats
any earlier clause, or before a short clause that repeats the one just before it. Inside a
fenced code block nothing counts as a repeat.
"""

from __future__ import annotations

MIN_CLAUSE_CHARS = 12
_BOUNDARIES = frozenset(".!?;,\n")


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .!?;,")


class RepetitionGuard:
    """Feed it the streamed pieces; it returns what may be shown and notes a repeat.

    While the clause being written begins like one it could repeat, its text is held back,
    so a stopped repeat is never shown: :attr:`text` is always what was released.
    """

    def __init__(self) -> None:
        self.text = ""
        self.stopped = False
        self._clause = ""  # the clause being written
        self._held = ""  # written, not yet shown
        self._long: set[str] = set()
        self._previous = ""

    def feed(self, piece: str) -> str:
        """Text that may be shown now; after a repeat, nothing more."""
        if self.stopped:
            return ""
        released: list[str] = []
        for char in piece:
            self._clause += char
            self._held += char
            if char not in _BOUNDARIES:
                continue
            clause = _normal(self._clause)
            self._clause = ""
            if (self.text + self._held).count("```") % 2:
                released.append(self._release())  # code repeats lines for good reasons
                continue
            if self._repeats(clause):
                self.stopped = True
                self._held = ""
                break
            if clause:
                if len(clause) >= MIN_CLAUSE_CHARS:
                    self._long.add(clause)
                self._previous = clause
            released.append(self._release())
        if not self.stopped and not self._may_repeat():
            released.append(self._release())
        return "".join(released)

    def finish(self) -> str:
        """The held-back rest, unless it was the start of a repeat."""
        if self.stopped or (self._may_repeat() and len(_normal(self._clause)) >= MIN_CLAUSE_CHARS):
            self._held = ""
            return ""
        return self._release()

    def _repeats(self, clause: str) -> bool:
        if len(clause) >= MIN_CLAUSE_CHARS:
            return clause in self._long
        return len(clause) >= 3 and clause == self._previous

    def _may_repeat(self) -> bool:
        start = " ".join(self._clause.lower().split())
        if not start:
            return bool(self._clause)
        return self._previous.startswith(start) or any(c.startswith(start) for c in self._long)

    def _release(self) -> str:
        out, self._held = self._held, ""
        self.text += out
        return out
