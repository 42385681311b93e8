"""The model router: an ordered chain of routes (a backend with its rule, timeout and circuit
breaker), the routes one question may take, and what became of each it tried.

With ``llm.routes`` empty the chain is one route, ``llm``: the ``[llm]`` model and its
breaker, as before routes existed. After the last route comes the extractive answer.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragtui.config import ROUTE_RULE, LLMSettings, RouteSettings
from ragtui.core.breaker import Breaker
from ragtui.core.errors import InvalidRequest, RagtuiError
from ragtui.core.generate import Backend, TokenFn, model_key

DEFAULT = "llm"  # the one route when llm.routes is empty
EXTRACTIVE = "extractive"  # what answers when every route failed
_COMPARE = {"<=": operator.le, "≤": operator.le, ">=": operator.ge, "≥": operator.ge}
_NOT_BACKEND = {"timeout_s", "breaker_s", "routes"}  # settings that do not change the model


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the question's words, the retrieved passages' estimated
    tokens and (when a rule needs it) the calibrated relevance of the passages."""

    question_words: int | None = None
    context_tokens: int | None = None
    relevance: float | None = None


@dataclass(frozen=True)
class Rule:
    """When a route answers: always, only when chosen (user), or a fact against a bound."""

    text: str
    fact: str | None = None
    op: str = ">="
    bound: float = 0.0
    user: bool = False

    @classmethod
    def parse(cls, text: str) -> Rule:
        """The rule written as ``llm.routes[].when`` (validated by the settings)."""
        found = ROUTE_RULE.match(text)
        if found is None:
            raise ValueError(f"cannot read the route rule {text!r}")
        if found["word"]:
            return cls(text, user=found["word"] == "user")
        return cls(text, found["fact"], found["op"], float(found["value"]))

    def matches(self, facts: Facts) -> bool:
        """Whether the route may answer a question with these facts (unchosen)."""
        if self.user:
            return False
        if self.fact is None:
            return True
        value = getattr(facts, self.fact)
        return value is not None and bool(_COMPARE[self.op](value, self.bound))


ALWAYS = Rule("always")


@dataclass
class Route:
    """One link of the chain: a name, its model settings, rule, breaker and backend."""

    name: str
    settings: LLMSettings
    rule: Rule
    breaker: Breaker
    backend: Callable[[], Backend]


class Router:
    """The chain of routes and the plan for one question."""

    def __init__(self, routes: Sequence[Route], configured: bool) -> None:
        self.routes = list(routes)
        self.configured = configured  # llm.routes is set (failures then name their route)
        self.needs = {r.rule.fact for r in self.routes if r.rule.fact is not None}

    def get(self, name: str) -> Route:
        """The route called ``name``; an unknown name is the user's error."""
        for route in self.routes:
            if route.name == name:
                return route
        known = ", ".join(r.name for r in self.routes)
        raise InvalidRequest(
            f"There is no route {name!r}: choose one of {known}, or add it to llm.routes "
            "in config.toml."
        )

    def plan(self, facts: Facts, chosen: str | None = None) -> list[Route]:
        """The routes to try, in order: the chosen one first, then every route whose rule
        matches."""
        first = [self.get(chosen)] if chosen is not None else []
        return first + [r for r in self.routes if r not in first and r.rule.matches(facts)]


class Tries:
    """The routes one answer tries: each backend opened once, and why each route failed."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.failures: list[tuple[str, str]] = []
        self._opened: dict[str, Backend | str] = {}

    def open(self, route: Route) -> Backend | None:
        """The route's backend, or None if it cannot be opened (the reason is kept)."""
        if route.name not in self._opened:
            try:
                self._opened[route.name] = route.backend()
            except RagtuiError as exc:
                self._opened[route.name] = str(exc)
        found = self._opened[route.name]
        return None if isinstance(found, str) else found

    def problem(self, route: Route) -> str:
        """Why the route's backend could not be opened."""
        return str(self._opened.get(route.name, ""))

    def primary(self, plan: Sequence[Route]) -> tuple[Route, Backend] | None:
        """The route expected to answer (the first whose breaker is closed and whose backend
        opens; failing that, the first that opens): its model keys the answer cache."""
        for careful in (True, False):
            for route in plan:
                if careful and route.breaker.open_reason() is not None:
                    continue
                backend = self.open(route)
                if backend is not None:
                    return route, backend
        return None

    def failed(self, route: Route, why: str) -> None:
        """Note that ``route`` could not answer."""
        self.failures.append((route.name, why))

    def reasons(self) -> tuple[str, ...]:
        """Each failure as ``name: why``."""
        return tuple(f"{name}: {why}" for name, why in self.failures)

    def reason(self) -> str:
        """Why no route answered (without llm.routes: the one model's reason)."""
        if not self.failures:
            return "no route in llm.routes matches this question"
        if not self.router.configured:
            return "; ".join(why for _, why in self.failures)
        return "; ".join(self.reasons())


class Relay:
    """Passes a route's streamed tokens on, until a route that streamed fails: later routes
    then answer silently and the caller shows their checked answer instead."""

    def __init__(self, on_token: TokenFn) -> None:
        self.on_token = on_token
        self.shown = 0
        self.muted = False

    def __call__(self, piece: str) -> None:
        if not self.muted:
            self.shown += 1
            self.on_token(piece)

    def after_failure(self) -> None:
        """A route failed: if it showed tokens, what follows is not streamed."""
        if self.shown:
            self.muted = True


def route_settings(llm: LLMSettings, spec: RouteSettings) -> LLMSettings:
    """The ``[llm]`` settings with a route's keys laid over them."""
    update = spec.model_dump(exclude={"name", "when"}, exclude_none=True)
    if "model" in update or update.get("backend") == "openai":
        update.setdefault("model_path", None)  # a route's model is not [llm]'s file
    return llm.model_copy(update=update | {"routes": []})


def same_model(a: LLMSettings, b: LLMSettings) -> bool:
    """Whether two settings load the same backend (timeouts and breakers aside)."""
    return a.model_dump(exclude=_NOT_BACKEND) == b.model_dump(exclude=_NOT_BACKEND)


def build(
    llm: LLMSettings,
    cache_dir: Path,
    default_backend: Callable[[], Backend],
    backend_for: Callable[[LLMSettings], Backend],
) -> Router:
    """The chain ``llm`` configures; each route's breaker file lives in ``cache_dir``."""
    if not llm.routes:
        breaker = Breaker(cache_dir / f"llm-breaker-{model_key(llm)}.json", llm.breaker_s)
        return Router([Route(DEFAULT, llm, ALWAYS, breaker, default_backend)], configured=False)
    routes = []
    for spec in llm.routes:
        cfg = route_settings(llm, spec)
        breaker = Breaker(
            cache_dir / f"llm-breaker-{spec.name}-{model_key(cfg)}.json", cfg.breaker_s
        )
        opener = default_backend if same_model(cfg, llm) else _opener(backend_for, cfg)
        routes.append(Route(spec.name, cfg, Rule.parse(spec.when), breaker, opener))
    return Router(routes, configured=True)


def _opener(
    backend_for: Callable[[LLMSettings], Backend], cfg: LLMSettings
) -> Callable[[], Backend]:
    return lambda: backend_for(cfg)
