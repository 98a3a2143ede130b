"""The one rule for user text at every API edge: no controls, no bidi overrides or isolates, no BOM."""

import pytest
from pydantic import TypeAdapter, ValidationError

from service_kit.types import CleanLine, CleanText, Reason

LINE, TEXT, REASON = TypeAdapter(CleanLine), TypeAdapter(CleanText), TypeAdapter(Reason)
C0 = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)]
KEPT = [
    "José",
    "Ñandú",
    "🎲",
    "👨\u200d👩\u200d👧",
    "مرحبا",
    "עברית",
    "a\u200fb\u200e",
    "zero\u200bwidth",
    "李",
    "**md** @x",
]


@pytest.mark.parametrize("char", C0 + C1 + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_controls_bidi_overrides_and_the_bom_are_refused_on_one_line_or_many(char):
    for adapter in (LINE, TEXT):
        with pytest.raises(ValidationError, match=f"U\\+{ord(char):04X} at position 1"):
            adapter.validate_python(f"a{char}b")


@pytest.mark.parametrize("char", ["\n", "\t", "\u2028", "\u2029"], ids=["LF", "TAB", "LS", "PS"])
def test_a_line_refuses_breaks_and_tabs_that_multi_line_text_keeps(char):
    with pytest.raises(ValidationError):
        LINE.validate_python(f"a{char}b")
    assert TEXT.validate_python(f"a{char}b") == f"a{char}b"


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_unicode_passes_unchanged(text):
    assert LINE.validate_python(text) == TEXT.validate_python(text) == text


def test_a_reason_is_optional_one_line_and_at_most_200_characters():
    assert REASON.validate_python(None) is None and REASON.validate_python("pão 🍞") == "pão 🍞"
    for bad in ("x" * 201, "a\u202eb", "a\nb"):
        with pytest.raises(ValidationError):
            REASON.validate_python(bad)
