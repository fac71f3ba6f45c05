"""``hub dlq``: dead letters from the store (list, show, re-drive, resolve), broker optional.

The store is their source of truth, so ``list``, ``show`` and ``resolve`` work with the broker
down; only re-driving an in-hub letter needs it. Acts are audited with the OS user as actor
(``cli:<user>``) and a mandatory reason; output masks personal data like the console. An
admin on the hub's host may ``show --unseal`` an edge letter's payload, with a reason (audited).
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from hub.errors import ConfigurationError

out = Console(width=200)
err = Console(stderr=True)
dlq_app = typer.Typer(help="Dead letters (from the store): list, show, re-drive, resolve.",
                      no_args_is_help=True)
_AGE = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")


def parse_age(text: str | None) -> timedelta | None:
    """``30m``, ``6h``, ``2d`` -> timedelta; ``ConfigurationError`` for anything else."""
    if not text:
        return None
    found = _AGE.match(text.strip())
    if not found:
        raise ConfigurationError(f"age {text!r}: use a number with m, h or d (e.g. 2d)")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[found.group(2)]
    return timedelta(**{unit: float(found.group(1))})


def _runtime() -> Any:
    from hub.runtime import Runtime
    from hub.settings import from_env

    return Runtime(from_env())


@dlq_app.command("list")
def dlq_list(topic: str = typer.Option(None, help="Only this source topic."),
             error_type: str = typer.Option(None, help="Only this error type."),
             status: str = typer.Option(None, help="pending, redriven, resolved, failed-again, "
                                                   "discarded."),
             kind: str = typer.Option(None, help="hub (in-hub) or edge (connector edge)."),
             older_than: str = typer.Option(None, help="Failed longer ago than (2d, 6h)."),
             limit: int = typer.Option(500, help="At most this many, newest first."),
             as_json: bool = typer.Option(False, "--json", help="One JSON document.")) -> None:
    """Dead letters with their error, source, attempts and status (works with the broker down)."""
    from hub.store.dead_letters import LetterFilter, count_letters, list_letters

    store = _runtime().store
    flt = LetterFilter(status=status, source_topic=topic, error_type=error_type, kind=kind,
                       older_than=parse_age(older_than))
    rows = [x.as_json() for x in list_letters(store.engine, flt, limit=limit)]
    total = count_letters(store.engine, flt)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table("error", "attempts", "failed at", "kind", "status")
    table.add_column("source", no_wrap=True)
    table.add_column("id", no_wrap=True)  # whole: it is what `dlq show|redrive` take
    for r in rows:
        table.add_row(f"{r['error_type']}: {r['error_message']}"[:60], str(r["attempts"]),
                      (r["failed_at"] or "")[:19], r["kind"], r["status"],
                      f"{r['source_topic']}/{r['source_partition']}/{r['source_offset']}",
                      r["letter_id"])
    out.print(table)
    out.print(f"{len(rows)} of {total} dead letter(s)")


@dlq_app.command("show")
def dlq_show(letter_id: str,
             unseal: bool = typer.Option(False, help="Show an edge letter's payload as it came "
                                                     "(audited; needs --reason)."),
             reason: str = typer.Option(None, help="Why you unseal it.")) -> None:
    """One dead letter: error, source, attempts, history, its original decoded and masked."""
    from hub.console.originals import masked_original, unsealed
    from hub.console.redrive import check_reason
    from hub.store.dead_letters import UNSEAL_ACTION, get_letter, letter_history

    runtime = _runtime()
    letter = get_letter(runtime.store.engine, letter_id)
    if letter is None:
        err.print(f"error: no dead letter {letter_id} (see `hub dlq list`)")
        raise typer.Exit(1)
    row: dict[str, Any] = {**letter.as_json(), "history": [
        vars(h) for h in letter_history(runtime.store.engine, letter_id)]}
    if unseal:
        why = check_reason(reason)
        runtime.store.audit_dead_letter(letter_id, actor=f"cli:{getpass.getuser()}",
                                        action=UNSEAL_ACTION, reason=why)
        row["original"] = unsealed(letter, runtime.cipher) if letter.sealed else \
            masked_original(letter, runtime.codec, runtime.cipher)
    else:
        row["original"] = masked_original(letter, runtime.codec, runtime.cipher)
    print(json.dumps(row, indent=2, default=str))


def _selection(ids: list[str] | None, topic: str | None, error_type: str | None,
               older_than: str | None, every: bool, include_redriven: bool) -> Any:
    from hub.console.redrive import Selection, check_selection

    selection = Selection(ids=tuple(ids or ()), topic=topic, error_type=error_type,
                          older_than=parse_age(older_than), every=every,
                          include_redriven=include_redriven)
    check_selection(selection)
    return selection


IDS = typer.Argument(None, help="Dead-letter ids (see dlq list).")
REASON = typer.Option(..., help="Why (mandatory; goes to the audit log).")
EVERY = typer.Option(False, "--all", help="Every open dead letter.")
TOPIC = typer.Option(None, help="Every open dead letter of this source topic.")
ERROR = typer.Option(None, help="Every open dead letter with this error type.")
OLDER = typer.Option(None, help="Every open dead letter older than this (2d, 6h).")
DRY = typer.Option(False, help="Only list what would be done.")


@dlq_app.command("redrive")
def dlq_redrive(ids: list[str] = IDS, reason: str = REASON, every: bool = EVERY,
                topic: str = TOPIC, error_type: str = ERROR, older_than: str = OLDER,
                include_redriven: bool = typer.Option(False, help="Also those re-driven "
                                                                  "before."),
                dry_run: bool = DRY) -> None:
    """Re-drive dead letters per kind: in-hub ones to their source topic, edge ones back
    through their connector's translation; each audited. Criteria combine (AND)."""
    from hub.console.redrive import how_redriven, redrive

    runtime, chosen = _chosen(reason, _selection(ids, topic, error_type, older_than, every,
                                                 include_redriven))
    if dry_run:
        _preview(f"re-drive {x.letter_id} -> {how_redriven(x)}" for x in chosen)
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("re-driving", total=len(chosen))
        done = redrive(chosen, reason=reason, actor=f"cli:{getpass.getuser()}",
                       bootstrap=runtime.settings.kafka_bootstrap,
                       suffix=runtime.settings.topic_suffix, store=runtime.store,
                       on_sent=lambda _: progress.advance(task))
    for sent in done:
        where = f"connector {sent.connector}" if sent.connector else \
            f"{sent.topic}/{sent.partition}/{sent.offset}"
        out.print(f"re-driven {sent.dead_letter} -> {where}")
    out.print(f"{len(done)} dead letter(s) re-driven, each audited")


def _chosen(reason: str, selection: Any) -> tuple[Any, list[Any]]:
    """The reason checked, then the runtime and the letters the selection names."""
    from hub.console.redrive import check_reason, select_letters

    check_reason(reason)
    runtime = _runtime()
    return runtime, list(select_letters(runtime.store, selection))


def _preview(lines: Iterable[str]) -> None:
    """A dry run: what would be done to each letter, and how many (nothing is changed)."""
    shown = list(lines)
    for line in shown:
        out.print(f"would {line}")
    out.print(f"{len(shown)} dead letter(s) chosen (dry run: nothing changed)")


@dlq_app.command("resolve")
def dlq_resolve(ids: list[str] = IDS, reason: str = REASON, every: bool = EVERY,
                topic: str = TOPIC, error_type: str = ERROR, older_than: str = OLDER,
                dry_run: bool = DRY) -> None:
    """Resolve dead letters without re-drive (discarded: they must not come back); audited."""
    from hub.console.redrive import resolve

    runtime, chosen = _chosen(reason, _selection(ids, topic, error_type, older_than, every,
                                                 include_redriven=True))
    if dry_run:
        _preview(f"resolve {x.letter_id} ({x.status})" for x in chosen)
        return
    done = resolve(chosen, reason=reason, actor=f"cli:{getpass.getuser()}",
                   store=runtime.store)
    for letter_id in done:
        out.print(f"resolved {letter_id} (discarded)")
    out.print(f"{len(done)} dead letter(s) resolved without re-drive, each audited")
