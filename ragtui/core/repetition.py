"""Stop an answer that starts repeating itself, before the repeat reaches the reader.

Small models fall into loops ("The falls are in Marble Falls, Texas. The falls are in
Marble Falls, Texas. …", or without any punctuation: "a good choice for a fish that is a
good choice for a fish that is …") and then decode until ``llm.max_tokens``: seconds of
wasted time and a wall of text. Two rules end the answer before the repeat:

- clauses (split at ``. ! ? ; ,`` and new lines): a clause of :data:`MIN_CLAUSE_CHARS` or
  more that repeats any earlier clause, or a short clause that repeats the one before it;
- words: a run of :data:`NGRAM_WORDS` words that already occurred earlier in the answer.

Inside a fenced code block nothing counts as a repeat. Text that may be the start of a
repeat is held back, so a stopped repeat is never shown.
"""

from __future__ import annotations

MIN_CLAUSE_CHARS = 12
NGRAM_WORDS = 6
_BOUNDARIES = frozenset(".!?;,\n")
_FENCE = "```"


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .!?;,")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class RepetitionGuard:
    """Feed it the streamed pieces; it returns what may be shown and notes a repeat.

    :attr:`text` is always exactly what was released.
    """

    def __init__(self) -> None:
        self.stopped = False
        self._raw = ""  # everything fed
        self._shown = 0  # characters of _raw released
        self._in_code = False
        self._clause_start = 0
        self._long: set[str] = set()
        self._previous = ""
        self._word_start: int | None = None  # the word being written
        self._words: list[str] = []
        self._starts: list[int] = []  # where each word starts in _raw
        self._seen: list[set[tuple[str, ...]]] = [set() for _ in range(NGRAM_WORDS + 1)]
        self._run = 0  # trailing words that occurred, in this order, earlier

    @property
    def text(self) -> str:
        """What has been released."""
        return self._raw[: self._shown]

    def feed(self, piece: str) -> str:
        """Text that may be shown now; after a repeat, nothing more."""
        if self.stopped:
            return ""
        before = self._shown
        start = len(self._raw)
        self._raw += piece
        for at in range(start, len(self._raw)):
            if self._step(at):
                return self._raw[before : self._shown]
        self._shown = max(self._shown, self._hold_from())
        return self._raw[before : self._shown]

    def finish(self) -> str:
        """The held-back rest, unless it was the start of a repeat."""
        if self.stopped:
            return ""
        before = self._shown
        if self._word_start is not None and not self._in_code:
            self._close_word(len(self._raw))
            if self.stopped:
                return self._raw[before : self._shown]
        clause = _normal(self._raw[self._clause_start :])
        if self._may_repeat() and len(clause) >= MIN_CLAUSE_CHARS:
            return ""
        self._shown = len(self._raw)
        return self._raw[before:]

    def _step(self, at: int) -> bool:
        """Take the character at ``at``; True when it completed a repeat."""
        char = self._raw[at]
        if (
            at >= 2
            and self._raw[at - 2 : at + 1] == _FENCE
            and (at < 3 or self._raw[at - 3] != "`")
        ):
            self._in_code = not self._in_code
            self._word_start, self._run = None, 0
        if self._in_code:
            if char in _BOUNDARIES:
                self._clause_start = at + 1
            return False
        if _is_word_char(char):
            if self._word_start is None:
                self._word_start = at
        elif self._word_start is not None and self._close_word(at):
            return True
        if char in _BOUNDARIES:
            clause = _normal(self._raw[self._clause_start : at + 1])
            began = self._clause_start
            self._clause_start = at + 1
            if self._repeats(clause):
                self._stop(began)
                return True
            if clause:
                if len(clause) >= MIN_CLAUSE_CHARS:
                    self._long.add(clause)
                self._previous = clause
        return False

    def _close_word(self, end: int) -> bool:
        """Record the word ending at ``end``; True when it completed a repeated run."""
        assert self._word_start is not None
        self._words.append(self._raw[self._word_start : end].lower())
        self._starts.append(self._word_start)
        self._word_start = None
        count = len(self._words)
        for size in range(1, min(NGRAM_WORDS, count - 1) + 1):  # runs ending one word back
            self._seen[size].add(tuple(self._words[count - 1 - size : count - 1]))
        run = 0
        for size in range(min(NGRAM_WORDS, count - 1), 0, -1):
            if tuple(self._words[count - size :]) in self._seen[size]:
                run = size
                break
        self._run = run
        if run >= NGRAM_WORDS:
            self._stop(self._starts[count - run])
            return True
        return False

    def _stop(self, cut: int) -> None:
        """End the answer at ``cut`` (releasing what came before it)."""
        while cut > self._shown and self._raw[cut - 1].isspace():
            cut -= 1
        self._shown = max(self._shown, cut)
        self.stopped = True

    def _hold_from(self) -> int:
        """Where the text that may still turn into a repeat begins."""
        hold = len(self._raw)
        if self._in_code:
            return hold
        if self._word_start is not None:
            hold = self._word_start
        if self._run:
            hold = min(hold, self._starts[len(self._words) - self._run])
        if self._may_repeat():
            hold = min(hold, self._clause_start)
        return hold

    def _repeats(self, clause: str) -> bool:
        if len(clause) >= MIN_CLAUSE_CHARS:
            return clause in self._long
        return len(clause) >= 3 and clause == self._previous

    def _may_repeat(self) -> bool:
        written = self._raw[self._clause_start :]
        start = " ".join(written.lower().split())
        if not start:
            return bool(written)
        return self._previous.startswith(start) or any(c.startswith(start) for c in self._long)
