"""Text from members and services made inert before Discord renders it, and clipped without breaking an escape."""

from __future__ import annotations

import re
import unicodedata

# `escape` is for plain text (names, reasons, bet titles and labels, declarative values): shown exactly as typed, with
# no markdown, no masked or bare links, no mentions. `neutralize` is for text whose Markdown is wanted (AI answers):
# only mentions and masked links are defused, outside code. discord.utils.escape_markdown alone is not enough: it
# escapes a whole `[label](url)` by its first bracket, so `**bold**` or a spoiler inside survives, and it leaves bare
# links and short `<@&id>` role mentions alone.

ELLIPSIS = "…"
ZWSP = "\u200b"
# Escaped anywhere: a backslash before any punctuation renders that character literally in Discord.
# \ * _ ` ~ | cover emphasis, code, strike-through and spoilers; [ ] masked links; < > mentions, custom emoji,
# timestamps and <url> links (an escaped "<@&1>" shows as text and pings nobody).
INLINE = re.compile(r"[\\*_`~|\[\]<>]")
LINE_START = re.compile(r"^([ \t]*)([#-])", re.MULTILINE)  # headings, subtext (-#) and lists
NUMBERED = re.compile(r"^([ \t]*\d+)\.(?=\s)", re.MULTILINE)  # "1. x" is an ordered list
EVERYONE = re.compile(r"@(everyone|here)")
CODE = re.compile(r"```[\s\S]*?```|`[^`\n]+`")
MASKED_LINK = re.compile(r"\[(?=[^\[\]\n]*\]\()")
MENTION = re.compile(r"<(?=@|#\d|/[^\s<>]+:\d)")  # <@user> <@!user> <@&role> <#channel> </command:id>
# What the services refuse as text (service_kit.types.CleanLine): controls, lone surrogates, line separators,
# bidirectional overrides and isolates, and the BOM. Kept here too: the bot does not import the services' kit.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def escape(text: object) -> str:
    """Member or service text shown exactly as written: no markdown, links or mentions."""
    value = INLINE.sub(lambda m: "\\" + m[0], str(text))
    value = LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}", value)
    value = NUMBERED.sub(lambda m: f"{m[1]}\\.", value)
    value = value.replace("://", "\\://")  # https://x autolinks; https\://x reads the same and does not
    return EVERYONE.sub(lambda m: f"@{ZWSP}{m[1]}", value)


def neutralize(text: str) -> str:
    """Markdown the author meant (AI answers) kept; mentions and masked links defused outside code."""

    def defuse(part: str) -> str:
        part = MASKED_LINK.sub(r"\\[", MENTION.sub(r"\\<", part))
        return EVERYONE.sub(lambda m: f"@{ZWSP}{m[1]}", part)

    pieces, last = [], 0
    for code in CODE.finditer(text):
        pieces += [defuse(text[last : code.start()]), code[0]]
        last = code.end()
    return "".join(pieces + [defuse(text[last:])])


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in … when cut; never keeps half of a backslash escape."""
    if len(text) <= limit:
        return text
    kept = text[: limit - 1]
    if (len(kept) - len(kept.rstrip("\\"))) % 2:
        kept = kept[:-1]
    return kept + ELLIPSIS


def clean_line(text: str) -> str:
    """A Discord name or line as the services accept it: what they would refuse is dropped."""
    return "".join(char for char in text if char not in _BIDI and unicodedata.category(char) not in _REFUSED_CATEGORIES)


def clean_text(text: str) -> str:
    """Multi-line member text (an /ask prompt) as the services accept it: lines and tabs kept, the rest dropped."""
    return "\n".join(clean_line(line.replace("\t", " ")) for line in text.splitlines())
