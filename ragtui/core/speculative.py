"""Prompt-lookup decoding: greedy generation that drafts its next tokens by copying what
followed the latest earlier occurrence of its last few tokens in the prompt (or in what it
wrote), and checks a whole draft in one batch.

Answers copy their passages, so drafts are often right, and checking k tokens at once
reads the weights once instead of k times. Only greedy decoding (temperature 0) is
drafted: the kept tokens are the model's own argmax at every position, so the text is
the one plain decoding writes, up to rounding (below). llama-cpp-python's draft-model
hook needs ``logits_all`` for the whole context (n_ctx × vocabulary floats, 2 GB for
Gemma's 262k vocabulary, and logits for every prompt token); this asks llama.cpp for
logits only where a draft is checked.

Measured with the default model (Gemma 3 270M, 2 cores, 20 CLAP NQ answers): it does not
pay, so ``llm.draft`` ships off. Each checked draft token needs its own row of logits, and
Gemma's 262k-token output layer is most of a decoded token's cost, so a batch of k + 1
costs about k + 1 single steps: drafts of 1 decode at 0.85x plain speed, drafts of 2 at
0.62x, with 66 % and 55 % of drafted tokens kept. llama.cpp also rounds a batch slightly
differently from single steps (its kernels change with the number of rows), and a small
model's greedy choice can hinge on that: 14 of 20 long answers came out the same, the
rest diverged after a few dozen tokens (short demo answers were all the same). A bigger
imported model, whose body outweighs its output layer, is where drafting can pay.

Draft-model decoding (``llm.draft = "model"``) drafts with a second, smaller model of the
same vocabulary instead (by default the bundled 270M model, for a bigger imported Gemma):
it reads the text so far into its own context and writes its greedy guess of the next
tokens, which the answering model checks in one batch as above.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class DraftCounts:
    """Draft tokens proposed and accepted in one generation."""

    proposed: int = 0
    accepted: int = 0
    steps: int = 0  # batches decoded after the prompt


def lookup_draft(ids: Sequence[int], ngram_max: int, length: int) -> list[int]:
    """Tokens that followed the latest earlier occurrence of the last n-gram of ``ids``
    (longest n first), at most ``length`` of them; [] when nothing matches."""
    n_ids = len(ids)
    for n in range(min(ngram_max, n_ids - 1), 0, -1):
        tail = list(ids[n_ids - n :])
        first = tail[0]
        for start in range(n_ids - n - 1, -1, -1):
            if ids[start] == first and list(ids[start : start + n]) == tail:
                follow = list(ids[start + n : start + n + length])
                if follow:
                    return follow
    return []


#: Draft tokens for the text so far (its token ids), at most the drafter's length.
Drafter = Callable[[Sequence[int]], list[int]]


def prompt_lookup(ngram_max: int, length: int) -> Drafter:
    """Drafts copied from earlier in the prompt or the answer (see :func:`lookup_draft`)."""
    return lambda ids: lookup_draft(ids, ngram_max, length)


def _logits(llm: Any, index: int) -> Any:
    row = llm._ctx.get_logits_ith(index)
    return np.ctypeslib.as_array(row, shape=(llm.n_vocab(),))


def _decode(llm: Any, batch: Sequence[int], all_logits: bool) -> None:
    """Append ``batch`` to ``llm``'s context (after its first ``n_tokens``)."""
    llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
    for offset in range(0, len(batch), llm.n_batch):
        part = list(batch[offset : offset + llm.n_batch])
        llm._batch.set_batch(batch=part, n_past=llm.n_tokens, logits_all=all_logits)
        llm._ctx.decode(llm._batch)
        llm.input_ids[llm.n_tokens : llm.n_tokens + len(part)] = part
        llm.n_tokens += len(part)


class ModelDrafter:
    """Drafts written greedily by a smaller model of the same vocabulary, ``llm``, which
    keeps the text so far in its own context between calls."""

    def __init__(self, llm: Any, length: int) -> None:
        self.llm = llm
        self.length = length

    def __call__(self, ids: Sequence[int]) -> list[int]:
        from llama_cpp import llama_vocab_is_eog

        llm = self.llm
        held = min(llm.n_tokens, len(ids) - 1)  # the last token is read again for logits
        same = 0
        while same < held and llm.input_ids[same] == ids[same]:
            same += 1
        llm.n_tokens = same
        room = llm.n_ctx() - len(ids) - 1
        if room <= 0:
            return []
        _decode(llm, ids[same:], all_logits=False)
        draft: list[int] = []
        for _ in range(min(self.length, room)):
            token = int(np.argmax(_logits(llm, -1)))
            draft.append(token)
            if llama_vocab_is_eog(llm._model.vocab, token) or len(draft) == self.length:
                break
            _decode(llm, [token], all_logits=False)
        llm.n_tokens = len(ids)  # its guesses are not the text: forget them
        llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
        return draft


def same_vocabulary(target: Any, draft: Any, sample: int = 2000) -> bool:
    """Whether ``draft`` can draft for ``target``: the same number of tokens, and the same
    text for the first ``sample`` of them."""
    if target.n_vocab() != draft.n_vocab():
        return False
    ids = range(min(sample, target.n_vocab()))
    return all(target._model.token_get_text(i) == draft._model.token_get_text(i) for i in ids)


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many characters at the end of ``text`` could begin a stop string."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class DraftedStream:
    """Greedy text pieces (one per token) for ``tokens`` of which the first ``reused``
    are already in ``llm``'s context, ``drafter`` guessing ahead; :attr:`counts` says how
    drafting went."""

    def __init__(
        self,
        llm: Any,
        tokens: Sequence[int],
        reused: int,
        *,
        max_tokens: int,
        stop: Sequence[str],
        drafter: Drafter,
    ) -> None:
        self.llm = llm
        self.tokens = list(tokens)
        self.reused = reused
        self.max_tokens = max_tokens
        self.stop = [s for s in stop if s]
        self.drafter = drafter
        self.counts = DraftCounts()

    def _tokens(self) -> Generator[int, None, None]:
        """The greedy tokens, drafted ahead and checked a batch at a time."""
        llm = self.llm
        llm.n_tokens = self.reused
        _decode(llm, self.tokens[self.reused :], all_logits=False)
        following = int(np.argmax(_logits(llm, -1)))
        history = list(self.tokens)
        room = llm.n_ctx() - 1
        while True:
            yield following
            history.append(following)
            draft = self.drafter(history)
            draft = draft[: max(0, room - llm.n_tokens - 1)]
            base = llm.n_tokens
            _decode(llm, [following, *draft], all_logits=bool(draft))
            self.counts.steps += 1
            self.counts.proposed += len(draft)
            kept = 0
            for i, guess in enumerate(draft):
                if int(np.argmax(_logits(llm, i))) != guess:
                    break
                kept += 1
                yield guess
                history.append(guess)
            self.counts.accepted += kept
            following = int(np.argmax(_logits(llm, kept if draft else -1)))
            if kept < len(draft):  # forget what the rejected draft tokens wrote
                llm.n_tokens = base + 1 + kept
                llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)

    def __iter__(self) -> Iterator[str]:
        """Text pieces, ending at an end-of-generation token, a stop string or
        ``max_tokens``."""
        vocab = self.llm._model.vocab
        from llama_cpp import llama_vocab_is_eog

        utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = ""
        shown = 0
        generated = 0
        tokens = self._tokens()
        try:
            for token in tokens:
                if llama_vocab_is_eog(vocab, token) or generated >= self.max_tokens:
                    break
                generated += 1
                text += utf8.decode(self.llm._model.detokenize([token]))
                ends = [i for i in (text.find(s) for s in self.stop) if i >= 0]
                if ends:
                    yield text[shown : min(ends)]
                    return
                ready = len(text) - _held_back(text, self.stop)
                yield text[shown:ready]
                shown = ready
            yield text[shown:] + utf8.decode(b"", final=True)
        finally:
            tokens.close()
            self.llm._requires_eval = True  # the logits are no longer the last token's
