"""Hypothesis: the many ways a person (or an attacker) can write one phone number."""

from __future__ import annotations

from hypothesis import strategies as st

# Zero of several decimal-digit scripts: ASCII, Arabic-Indic, Extended Arabic-Indic,
# Devanagari, Bengali, Thai, Fullwidth, Mathematical bold.
DIGIT_ZEROS = (0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE)


@st.composite
def spellings(draw: st.DrawFn, e164: str) -> str:
    """The number with each digit in any script and separators anywhere a person puts them."""
    out = ["+"]
    for digit in e164[1:]:
        out.append(chr(draw(st.sampled_from(DIGIT_ZEROS)) + int(digit)))
        out.append(draw(st.sampled_from(["", "", "", " ", "-", ".", "(", ")"])))
    pad = st.sampled_from(["", " ", "  "])
    return draw(pad) + "".join(out) + draw(pad)
