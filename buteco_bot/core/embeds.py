"""Discord's embed limits, field pagination within them, and a Prev/Next pager only its owner can use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from .errors import ErrorReportingView
from .text import clip

MAX_FIELDS = 25
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_TOTAL = 6000
FOOTER_RESERVE = 100
MAX_EMBEDS = 10
FENCE = "```"
BREAKS = ("\n\n", "\n", " ")
COLOR = discord.Colour.from_rgb(201, 138, 43)

MorePages = Callable[[], Awaitable["tuple[discord.Embed | None, bool]"]]


def chunk_lines(lines: list[str], limit: int = MAX_FIELD_VALUE) -> list[str]:
    """Join lines into chunks of at most `limit` characters (a too-long line is clipped)."""
    chunks: list[str] = []
    current = ""
    for line in (clip(line, limit) for line in lines):
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return chunks + ([current] if current else [])


def split_text(text: str, limit: int = MAX_DESCRIPTION) -> list[str]:
    """Chunks of ≤ `limit` (≥ 64) characters cut at a paragraph, line or space; a cut code block is closed, reopened."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        room = limit - len(FENCE) - 1
        window = rest[:room]
        cut, skip = room, 0
        for separator in BREAKS:
            found = window.rfind(separator)
            if found >= room // 2:
                cut, skip = found, len(separator)
                break
        if not skip and (cut - len(rest[:cut].rstrip("\\"))) % 2:
            cut -= 1  # a hard cut never separates a backslash from the character it escapes
        chunk, rest = rest[:cut].rstrip(), rest[cut + skip :].lstrip("\n")
        if chunk.count(FENCE) % 2:
            opener = chunk[chunk.rfind(FENCE) :].split("\n", 1)[0][:20]
            chunk, rest = f"{chunk}\n{FENCE}", f"{opener}\n{rest}"
        chunks.append(chunk)
    return chunks + ([rest] if rest.strip() else [])


def group_embeds(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds in order, packed into messages within Discord's limits (10 embeds, 6000 characters in all)."""
    groups: list[list[discord.Embed]] = []
    for embed in embeds:
        if not groups or len(groups[-1]) >= MAX_EMBEDS or sum(map(len, groups[-1])) + len(embed) > MAX_TOTAL:
            groups.append([])
        groups[-1].append(embed)
    return groups


def paginate(
    title: str, fields: list[tuple[str, str]], *, description: str = "", colour: discord.Colour = COLOR
) -> list[discord.Embed]:
    """Fields spread over as many embeds as needed so none breaks the 25-field / 6000-character limits."""
    title, description = clip(title, MAX_TITLE), clip(description, MAX_DESCRIPTION)

    def new_page() -> discord.Embed:
        return discord.Embed(title=title, description=description or None, colour=colour)

    pages = [new_page()]
    for name, value in fields:
        name, value = clip(name, MAX_FIELD_NAME), clip(value or "—", MAX_FIELD_VALUE)
        page = pages[-1]
        if len(page.fields) >= MAX_FIELDS or len(page) + len(name) + len(value) > MAX_TOTAL - FOOTER_RESERVE:
            page = new_page()
            pages.append(page)
        page.add_field(name=name, value=value, inline=False)
    if len(pages) > 1:
        for number, page in enumerate(pages, 1):
            page.set_footer(text=f"{number}/{len(pages)}")
    return pages


def within_limits(embed: discord.Embed) -> bool:
    """True when Discord would accept the embed."""
    return (
        len(embed.fields) <= MAX_FIELDS
        and len(embed) <= MAX_TOTAL
        and len(embed.description or "") <= MAX_DESCRIPTION
        and all(len(f.name or "") <= MAX_FIELD_NAME and len(f.value or "") <= MAX_FIELD_VALUE for f in embed.fields)
    )


class Pager(ErrorReportingView):
    """Prev/Next over embeds; `more` lazily fetches the next page and says whether another follows."""

    def __init__(
        self,
        owner_id: int,
        pages: list[discord.Embed],
        *,
        more: MorePages | None = None,
        refusal: str = "This is not yours.",
        timeout: float = 300,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id, self.pages, self.more, self.refusal = owner_id, pages, more, refusal
        self.index = 0
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1 and self.more is None

    @property
    def needed(self) -> bool:
        return len(self.pages) > 1 or self.more is not None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(self.refusal, ephemeral=True)
            return False
        return True

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.index = max(0, self.index - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        if self.index >= len(self.pages) - 1 and self.more is not None:
            await interaction.response.defer()
            page, has_more = await self.more()
            if page is not None:
                self.pages.append(page)
            if not has_more:
                self.more = None
            self.index = min(self.index + 1, len(self.pages) - 1)
            self._sync_buttons()
            await interaction.edit_original_response(embed=self.pages[self.index], view=self)
            return
        self.index = min(self.index + 1, len(self.pages) - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)
