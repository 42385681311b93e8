"""``ragtui search``: ranked passages without the model."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtui.cli.common import JsonOpt, _engine, _fail, _print_json, echo


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int | None, typer.Option("-k", help="Number of hits.")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="hybrid, dense or bm25.")] = None,
    path: Annotated[
        str | None, typer.Option("--path", help="Only paths matching this glob.")
    ] = None,
    file_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only these file types (md, pdf, image, …).")
    ] = None,
    mmr: Annotated[bool, typer.Option("--mmr", help="Diversify hits (MMR).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Search the index."""
    if mode not in (None, "hybrid", "dense", "bm25"):
        _fail(f"Unknown mode {mode!r}: use hybrid, dense or bm25.")
    with _engine() as engine:
        result = engine.search(
            query,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            path_glob=path,
            file_types=file_type or (),
            diversify=mmr or None,
        )
        if as_json:
            _print_json(
                {
                    "hits": [
                        {
                            "chunk_id": h.chunk_id,
                            "path": h.path,
                            "location": h.location.label(),
                            "hidden": h.location.hidden,
                            "score": round(h.score, 6),
                            "snippet": h.snippet,
                            "scores": h.scores,
                            "also_at": list(h.also_at),
                        }
                        for h in result.hits
                    ],
                    "embedded_fraction": round(result.embedded_fraction, 4),
                    "mode": result.mode,
                    "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
                }
            )
            return
        if not result.hits:
            empty = not engine.stats.counts().chunks
            echo(
                "Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` first."
                if empty
                else "No matches."
            )
        for n, hit in enumerate(result.hits, 1):
            where = f" · {hit.location.label()}" if hit.location.label() else ""
            echo(f"{n:>2}. {hit.path}{where}", bold=True)
            echo(f"    score {hit.score:.4f}  {hit.snippet}")
            if hit.also_at:
                echo(f"    also in {', '.join(hit.also_at)}", dim=True)
        if result.embedded_fraction < 1.0:
            echo(
                f"note: {result.embedded_fraction:.0%} of the index has vectors so far; "
                "`ragtui index` finishes embedding.",
                fg=typer.colors.YELLOW,
                err=True,
            )
