"""Errors the user can cause; each message is one sentence naming the thing and the fix."""


class RagtuiError(Exception):
    """Base of every user-facing error; ``str(err)`` is the sentence to show."""


class ModelMissing(RagtuiError):
    """A configured or default model is not available on this machine."""


class ModelInvalid(RagtuiError):
    """A model's files exist but fail verification or loading."""


class IndexModelMismatch(RagtuiError):
    """The index was built with another embedding model."""


class PathProblem(RagtuiError):
    """A path given by the user does not exist or cannot be used."""


class InvalidRequest(RagtuiError):
    """A query, question or option the request cannot run with (empty, or out of range)."""


class NotFound(RagtuiError):
    """Nothing stored matches what was asked for (a trace, an eval run)."""


class IndexLocked(RagtuiError):
    """Another process is writing the index."""


class EmptyIndex(RagtuiError):
    """There is nothing indexed to search or answer from."""


class Cancelled(Exception):
    """The caller asked the work to stop (not a failure: no fallback, no circuit breaker)."""
