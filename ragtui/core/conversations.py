"""Conversations: the questions asked and the answers given, kept in ``conversations.sqlite``.

A conversation is a titled list of turns; each turn stores the whole
:class:`~ragtui.core.models.Answer` (as JSON) so a reopened conversation shows
its citations and labels exactly as they were. Conversations can be renamed,
deleted and exported as Markdown.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pydantic import ValidationError

from ragtui.core.errors import PathProblem
from ragtui.core.models import Answer, ConversationInfo, Turn
from ragtui.core.sqlite_threads import ThreadConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations(
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns(
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, id);
"""

_TITLE_CHARS = 60


def default_title(question: str) -> str:
    """A conversation's first title: its first question, on one line, shortened."""
    text = " ".join(question.split())
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1] + "…"


def _setup(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(_SCHEMA)


class ConversationStore:
    """SQLite store of conversations (one connection per thread, WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = ThreadConnections(path, _setup, timeout=30)

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connections.get()

    def create(self, title: str = "New conversation") -> int:
        """A new, empty conversation; returns its id."""
        now = time.time()
        cur = self._db.execute(
            "INSERT INTO conversations(title, created_at, updated_at) VALUES (?, ?, ?)",
            (title, now, now),
        )
        return int(cur.lastrowid or 0)

    def all(self) -> list[ConversationInfo]:
        """Every conversation, most recently used first."""
        rows = self._db.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(t.id) FROM conversations c "
            "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.id "
            "ORDER BY c.updated_at DESC, c.id DESC"
        )
        return [
            ConversationInfo(id=r[0], title=r[1], created_at=r[2], updated_at=r[3], turns=r[4])
            for r in rows
        ]

    def get(self, conversation_id: int) -> ConversationInfo:
        """One conversation's summary, or :class:`PathProblem` if there is none."""
        for info in self.all():
            if info.id == conversation_id:
                return info
        raise PathProblem(f"There is no conversation {conversation_id}: the list shows them.")

    def turns(self, conversation_id: int) -> list[Turn]:
        """A conversation's turns, oldest first (an unreadable stored answer is skipped)."""
        turns = []
        for question, answer, created in self._db.execute(
            "SELECT question, answer, created_at FROM turns WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ):
            try:
                turns.append(
                    Turn(
                        question=question,
                        answer=Answer.model_validate_json(answer),
                        created_at=created,
                    )
                )
            except ValidationError:
                continue
        return turns

    def add_turn(self, conversation_id: int, answer: Answer) -> None:
        """Append an answer; the first one also names an untitled conversation."""
        now = time.time()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            first = (
                db.execute(
                    "SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()[0]
                == 0
            )
            db.execute(
                "INSERT INTO turns(conversation_id, question, answer, created_at) "
                "VALUES (?, ?, ?, ?)",
                (conversation_id, answer.question, answer.model_dump_json(), now),
            )
            if first:
                db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                    (default_title(answer.question), conversation_id, "New conversation"),
                )
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def rename(self, conversation_id: int, title: str) -> None:
        """Give a conversation a new title."""
        title = " ".join(title.split())
        if not title:
            raise PathProblem("The title is empty: type a name for the conversation.")
        if not self._db.execute(
            "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
        ).rowcount:
            raise PathProblem(f"There is no conversation {conversation_id}: the list shows them.")

    def delete(self, conversation_id: int) -> None:
        """Delete a conversation and its turns."""
        self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def questions(self, limit: int = 200) -> list[str]:
        """Recent distinct questions across conversations, oldest first (input history)."""
        rows = self._db.execute(
            "SELECT question FROM turns GROUP BY question ORDER BY MAX(id) DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [r[0] for r in reversed(rows)]

    def to_markdown(self, conversation_id: int) -> str:
        """The conversation as a Markdown document: questions, answers, labels, sources."""
        info = self.get(conversation_id)
        lines = [f"# {info.title}", ""]
        for turn in self.turns(conversation_id):
            answer = turn.answer
            lines += [f"## {turn.question}", "", answer.answer.strip(), ""]
            labels = answer_labels(answer)
            if labels:
                lines += ["*" + " · ".join(labels) + "*", ""]
            if answer.citations:
                lines.append("Sources:")
                lines.append("")
                for c in answer.citations:
                    where = f" · {c.location.label()}" if c.location.label() else ""
                    kind = " (inferred)" if c.inferred else ""
                    lines.append(f"- [{c.n}]{kind} `{c.path}`{where}")
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def export(self, conversation_id: int, destination: Path) -> Path:
        """Write the conversation as Markdown to ``destination``; returns the path."""
        target = destination.expanduser()
        if target.is_dir():
            raise PathProblem(f"{target} is a folder: give a file name ending in .md.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.to_markdown(conversation_id), encoding="utf-8")
        except OSError as exc:
            raise PathProblem(
                f"Cannot write {target} ({exc.strerror or exc}): choose another path."
            ) from None
        return target

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close()


def answer_labels(answer: Answer) -> list[str]:
    """How an answer was made, in words (cached, extractive fallback, abstained, …)."""
    labels = []
    if answer.cached:
        labels.append(f"cached ({answer.cached})")
    if answer.fallback:
        labels.append("extractive fallback")
    elif answer.routes_failed and answer.route:
        tried = ", ".join(f.split(":")[0] for f in answer.routes_failed)
        labels.append(f"answered by route {answer.route} ({tried} failed)")
    if answer.abstained:
        labels.append("not found in your documents")
    if answer.refocused:
        labels.append("re-checked against the passage that matches the question")
    if answer.quoted:
        labels.append(f"quoted from the passages: {answer.error or 'the answer failed its checks'}")
    if answer.unsupported:
        n = len(answer.unsupported)
        labels.append(f"{n} sentence{'s' if n > 1 else ''} not supported by the passages")
    return labels
