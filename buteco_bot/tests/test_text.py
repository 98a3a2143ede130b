"""Escaping members' and services' text: shown exactly as typed, never as markdown, links or mentions."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from buteco_bot.core.declarative import MAX_MESSAGE, render_template
from buteco_bot.core.embeds import MAX_DESCRIPTION, split_text, within_limits
from buteco_bot.core.text import ZWSP, clean_line, clean_text, clip, escape, neutralize
from buteco_bot.extensions.balance import STATEMENT_PAGE, statement_line
from buteco_bot.extensions.bet_embeds import closed_embed, event_pages, list_embed, mine_embed

MARKUP = "\\*_`~|[]<>#-:/@.1 \n"
UNESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")  # Discord's rule: a backslash shows the punctuation after it as is
ESCAPED_PAIR = re.compile(r"\\[^0-9A-Za-z\s]")


def shown(text: str) -> str:
    """What a reader sees once Discord has applied its escapes (and the zero-width space is invisible)."""
    return UNESCAPE.sub(r"\1", text).replace(f"@{ZWSP}", "@")


def active_markup(text: str) -> list[str]:
    """Markdown characters Discord would still act on: anything outside an escaped pair."""
    return [c for c in ESCAPED_PAIR.sub("", text) if c in "\\*_`~|[]<>"]


def test_the_issues_reason_loses_its_link_spoiler_and_ping() -> None:
    reason = "[claim your prize](https://evil.example) @everyone ||spoiler||"
    assert escape(reason) == f"\\[claim your prize\\](https\\://evil.example) @{ZWSP}everyone \\|\\|spoiler\\|\\|"


def test_block_markdown_mentions_and_links_are_escaped() -> None:
    assert (
        escape("# Big\n  - item\n-# small\n12. twelve\n> quote")
        == "\\# Big\n  \\- item\n\\-# small\n12\\. twelve\n\\> quote"
    )
    assert (
        escape("<@&1> <@!123> <#9> </pay:1> <t:1:R> <https://x.example>")
        == "\\<@&1\\> \\<@!123\\> \\<#9\\> \\</pay:1\\> \\<t:1:R\\> \\<https\\://x.example\\>"
    )
    assert escape("a\\*b c_d") == "a\\\\\\*b c\\_d", "a typed backslash is shown, not used as an escape"
    assert escape("Zoë 🎲 مرحبا") == "Zoë 🎲 مرحبا" and escape(42) == "42"


def pieces(*words: str, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text made of markup characters and the words that turn them into mentions and links."""
    return st.lists(st.sampled_from(list(MARKUP) + list(words)), max_size=max_size).map("".join)


@given(pieces("a", "é", "everyone", "here", "https", "**"))
@example(":\\//")  # an escaped backslash between : and // once read as an active ://
def test_escaped_text_reads_exactly_as_typed_and_acts_on_nothing(text: str) -> None:
    escaped = escape(text)
    assert shown(escaped) == text
    assert not active_markup(escaped)
    assert "@everyone" not in escaped and "@here" not in escaped
    unescaped = ESCAPED_PAIR.sub("\x00", escaped)  # a placeholder, so an escaped pair's neighbours never join
    assert "://" not in unescaped, "every :// is shown as \\:// (no link), as the issue's reason is"


@given(pieces("ab", "é", max_size=80), st.integers(2, 60))
def test_clip_keeps_within_the_limit_and_never_halves_an_escape(text: str, limit: int) -> None:
    clipped = clip(escape(text), limit)
    assert len(clipped) <= limit
    body = clipped.removesuffix("…")
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0
    assert not active_markup(body)


def test_a_hard_split_never_separates_a_backslash_from_its_character() -> None:
    text = escape("[" * 300)
    chunks = split_text(text, 100)
    assert "".join(chunks) == text and all(not active_markup(chunk) for chunk in chunks)


def test_ai_answers_keep_markdown_but_not_mentions_or_masked_links() -> None:
    answer = "**Yes** @everyone, see [docs](https://evil.example) <@&1>\n`<@2> [a](b)`\n```\n@here <#3>\n```"
    assert neutralize(answer) == (
        f"**Yes** @{ZWSP}everyone, see \\[docs](https://evil.example) \\<@&1>\n`<@2> [a](b)`\n```\n@here <#3>\n```"
    )


def test_names_lose_what_the_services_refuse() -> None:
    assert clean_line("evil\u202egnp.exe") == "evilgnp.exe"
    assert clean_line("a\u2066b\u2069\ufeff\x00\tc\u2028") == "abc"
    assert clean_line("Zoë \u200f🎲") == "Zoë \u200f🎲", "marks and emoji stay; only overrides and controls go"


def test_prompts_keep_their_lines_and_lose_what_the_services_refuse() -> None:
    assert clean_text("first\u202e line\n\tsecond\x00\r\nthird") == "first line\n second\nthird"


def test_templates_escape_values_but_keep_their_own_markdown() -> None:
    context = {"options": {"msg": "@everyone <@&1> **hi**"}, "user": "_bob_", "data": {"said": "[x](https://e.x)"}}
    rendered = render_template("**{user}**: {options.msg} · {data.said} {{literal}} {missing}", context)
    assert rendered == (
        f"**\\_bob\\_**: @{ZWSP}everyone \\<@&1\\> \\*\\*hi\\*\\* · \\[x\\](https\\://e.x) {{literal}} "
    )
    long = render_template("{v}", {"v": "*" * 3000})
    assert len(long) <= MAX_MESSAGE and long.endswith("…") and not active_markup(long.removesuffix("…"))


def test_worst_case_escaped_text_still_fits_discords_limits() -> None:
    item = {
        "amount": -(10**12),
        "kind": "bet_refund",
        "reason": "*" * 200,
        "balance_after": 10**12,
        "created_at": "2030-01-01T00:00:00+00:00",
    }
    page = "\n".join([statement_line(item, "pt-BR")] * STATEMENT_PAGE)
    assert len(page) <= MAX_DESCRIPTION and "*" not in ESCAPED_PAIR.sub("", page)
    outcomes = [
        {"id": n, "position": n, "label": f"{n}" + "_" * 98, "pool": 10**10, "bettors": 9, "odds": 25.0}
        for n in range(1, 26)
    ]
    event = {
        "id": 7,
        "title": "*" * 200,
        "description": "#" + "~" * 999,
        "status": "settled",
        "closes_at": None,
        "winning_outcome_id": 1,
        "total_pool": 10**12,
        "bettors": 19_000,
        "outcomes": outcomes,
    }
    embeds = [
        *event_pages(event, "en-US"),
        list_embed([event] * 10, "pt-BR"),
        closed_embed(
            {"event": event, "outcome": "paid", "paid_out": 10**12, "recipients": 3, "top_payouts": []}, "en-US"
        ),
        mine_embed(
            [
                {
                    "event_id": 7,
                    "event_title": "|" * 200,
                    "event_status": "settled",
                    "outcome_label": "`" * 100,
                    "amount": 10**12,
                    "pending_amount": 10**12,
                    "result": "won",
                    "payout": 10**12,
                }
            ]
            * 10,
            "pt-BR",
        ),
    ]
    assert all(within_limits(embed) and len(embed.title or "") <= 256 for embed in embeds)
    assert len(embeds[-3].fields) == 10, "a page of the bet list still fits one embed"
