"""Statement lines say what each move was from its kind and the ids its service sent, in the reader's language;
the services' English reasons never reach a member."""

from __future__ import annotations

import pytest

from buteco_bot.extensions.balance import move_name, statement_line

ITEM = {"amount": 110, "balance_after": 210, "created_at": "2026-11-29T12:00:00+00:00", "counterparty": None}
RENDERED = [
    ("daily", {"claim_number": 3, "streak": 3}, "daily reward #3 (streak 3)", "recompensa diária #3 (sequência 3)"),
    ("bet_stake", {"event_id": 7, "outcome_id": 12}, "stake on bet #7", "valor apostado na aposta #7"),
    ("bet_settle", {"event_id": 7, "outcome_id": 12}, "winnings of bet #7", "prêmio da aposta #7"),
    ("bet_refund", {"event_id": 7}, "refund of bet #7", "devolução da aposta #7"),
]


@pytest.mark.parametrize(("kind", "data", "english", "portuguese"), RENDERED, ids=[r[0] for r in RENDERED])
def test_a_move_is_rendered_from_its_kind_and_data(kind: str, data: dict, english: str, portuguese: str) -> None:
    item = {**ITEM, "kind": kind, "data": data, "reason": "stake on bet event #7 / daily reward #3 (streak 3)"}
    assert statement_line(item, "en-US").startswith(f"`+110` {english} · balance 210 · <t:")
    assert statement_line(item, "pt-BR").startswith(f"`+110` {portuguese} · saldo 210 · <t:")


@pytest.mark.parametrize(
    "data",
    [None, {}, {"streak": 3}, {"claim_number": "3", "streak": 3}, {"key": 3, "streak": 3}],
    ids=["none", "empty", "missing id", "not an integer", "named like t's own argument"],
)
def test_without_the_ids_its_sentence_needs_a_move_shows_its_plain_kind(data: dict | None) -> None:
    """Moves posted before data existed, or by a service that sends other ids: the kind alone, never the reason."""
    item = {**ITEM, "kind": "daily", "data": data, "reason": "daily reward #3 (streak 3)"}
    assert move_name(item, "pt-BR") == "diário"
    assert "reward" not in statement_line(item, "pt-BR")


def test_a_kind_the_catalog_has_no_sentence_for_keeps_its_plain_name() -> None:
    item = {**ITEM, "kind": "ai_usage", "data": {"event_id": 7}, "reason": "AI usage"}
    assert move_name(item, "pt-BR") == "assistente de IA"
    assert move_name({**item, "kind": "plugin_fee"}, "en-US") == "plugin\\_fee"
