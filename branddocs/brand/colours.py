"""Colour maths for brand palettes: WCAG contrast, mixing, readable text colours."""

from __future__ import annotations

__all__ = ["contrast_ratio", "mix", "readable_on"]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(colour: str, other: str, amount: float) -> str:
    mixed = (round(a + (b - a) * amount) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _luminance(colour: str) -> float:
    """WCAG relative luminance."""
    lin = [(c / 255 / 12.92) if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours, 1 to 21."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable_on(background: str) -> str:
    """White or black, whichever reads better on `background`."""
    return max(("#ffffff", "#000000"), key=lambda text: contrast_ratio(background, text))
