"""`--shard K/N`: split brands across CI runners, the same way for builds and example checks."""

from __future__ import annotations

import re

__all__ = ["parse_shard", "shard_of"]


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` -> (2, 4); anything else is an error saying what is expected."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard: expected K/N with 1 <= K <= N, such as 1/4; found {text!r}")
    return int(match[1]), int(match[2])


def shard_of(brand_ids: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The brands of shard K of N: every N-th brand in sorted order, starting at the K-th."""
    if shard is None:
        return list(brand_ids)
    k, n = shard
    return [b for i, b in enumerate(sorted(brand_ids)) if i % n == k - 1]
