"""Tenants that look alike: two brand files whose names, ids, key variables or host names a reader cannot tell
apart (`Acme Cloud` written with a Greek capital Alpha, U+0391, beside `Acme Cloud`; `Ac<ZWJ>me Cloud`, full-width
letters, two spaces; a host's `xn--` label compared as it decodes) are refused, naming both files. The comparison
is `text.lookalike_keys`: UTS #39 skeletons of the value as a reader sees it (branddocs/text/skeleton.py); names
are compared by their words as well (`text.name_keys`), once symbols, marks and punctuation are set aside: `Acme
Cloud®`, `Acme Cloud ™`, `Acme Cloudᵀᴹ` and `Acme Cloud's` are `Acme Cloud`.

A brand's free text (`user_name`, `portal_name`, `copyright`) that holds another tenant's name among its words
(`copyright: © ACME CIoud` on another brand) is refused too, naming both files, unless that is where it holds
its own name (`Acme Cloud Plus` may say `Acme Cloud` if that tenant is `Acme Cloud Plus`): `text.lookalike_words`,
the same skeletons cut into words, a name found when its words are a run of the text's in some form."""

from __future__ import annotations

import unicodedata
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

from branddocs.brand.model import Brand
from branddocs.text import GrammarError, decoded_host, lookalike_keys, lookalike_words, name_keys

__all__ = ["lookalike_brands"]


def _shown(host: str) -> str:
    """The host as a browser shows it (`xn--` labels decoded): compared so, not in its ASCII form."""
    try:
        return decoded_host(host)
    except GrammarError:  # refused when its brand file was loaded; compared as written here
        return host


def _hosts(brand: Brand) -> set[str]:
    urls = (brand.base_url, brand.site_url, brand.support_url)
    return {_shown((urlsplit(u).hostname or "").lower()) for u in urls if u}


def _fields(brand: Brand) -> dict[str, set[tuple[str, str]]]:
    """{what is compared: its (value, field) pairs} across brands. A tenant's name is compared with every name
    another brand's site shows as one (its `user_name` and its `portal_name`): a portal named `Acme Cloud` puts
    that tenant's name into another's site as surely as a lookalike `user_name` would. Two portal names may agree
    (`Cloud Portal`, the default, names no tenant)."""
    return {"user_name": {(brand.user_name, "user_name"), (brand.portal_name, "portal_name")},
            "id": {(brand.id, "id")}, "api.key_env": {(brand.key_env, "api.key_env")},
            "host name": {(host, "host name") for host in _hosts(brand)}}  # fmt: skip


def _unusual(value: str) -> str:
    """The non-ASCII characters of `value`, named: what a reader cannot see."""
    named = [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in dict.fromkeys(value) if ord(c) > 127]
    return f" ({', '.join(named)})" if named else ""


def lookalike_brands(brands: dict[Path, Brand]) -> dict[Path, str]:
    """For each brand file with a name, id, key variable or host name that another's looks like (the same UTS #39
    skeleton), a message naming both files. Equal host names are allowed (tenants may share a site); equal names
    and key variables are not. One pass over the brands: each value's skeletons are indexed, not compared in pairs."""
    index: dict[tuple[str, str], list[tuple[Path, str, str]]] = {}
    for path, brand in brands.items():
        for compared, values in _fields(brand).items():
            for value, field in sorted(values):
                keys = lookalike_keys(value)
                if compared == "user_name":  # a name with a mark beside it (`Acme Cloud®`) is the name
                    keys |= {f"words: {key}" for key in name_keys(value)}
                for key in keys:
                    index.setdefault((compared, key), []).append((path, value, field))
    found: dict[Path, list[str]] = {}
    for (compared, _), owners in index.items():
        for (path_a, value_a, field_a), (path_b, value_b, field_b) in combinations(dict.fromkeys(owners), 2):
            if (
                path_a == path_b
                or (compared == "host name" and value_a == value_b)
                or field_a == field_b == "portal_name"
            ):
                continue
            field = field_a if field_a == field_b else f"{field_a} and {field_b}"
            if value_a == value_b:
                seen = f"{value_a!r} in both"
            else:
                seen = (
                    f"{value_a!r}{_unusual(value_a)} and {value_b!r}{_unusual(value_b)}, which look alike (one "
                    "UTS #39 skeleton once blanks, invisible characters, width and case are set aside; for names, "
                    "the same words once symbols, marks and punctuation are)"
                )
            message = f"{path_a} and {path_b}: {field}: expected values a reader can tell apart, found {seen}"
            for path in (path_a, path_b):
                if message not in found.setdefault(path, []):
                    found[path].append(message)
    for path, message in _names_in_text(brands):
        if message not in found.setdefault(path, []):
            found[path].append(message)
    return {path: "\n".join(messages) for path, messages in found.items()}


FREE_TEXT = ("user_name", "portal_name", "copyright")
"""A brand's fields of prose, which its site shows: none may name another tenant."""


def _runs(words: tuple[str, ...], name: tuple[str, ...]) -> list[range]:
    """Where `name`'s words are a run of `words`, as ranges of positions."""
    size = len(name)
    return [range(i, i + size) for i in range(len(words) - size + 1) if size and words[i : i + size] == name]


def _names_in_text(brands: dict[Path, Brand]) -> list[tuple[Path, str]]:
    """(the brand file, a message naming both files) for each free-text field that holds another tenant's name
    outside its own. Each name's words are indexed by form and first word: one pass over each text's words."""
    names = {path: lookalike_words(brand.user_name) for path, brand in brands.items()}
    index: dict[tuple[int, str], list[Path]] = {}
    for path, forms in names.items():
        for form, words in enumerate(forms):
            if words and path not in index.setdefault((form, words[0]), []):
                index[(form, words[0])].append(path)
    found: list[tuple[Path, str]] = []
    for path, brand in brands.items():
        for field in FREE_TEXT:
            value = getattr(brand, field)
            if not value:
                continue
            others: set[Path] = set()
            for form, words in enumerate(lookalike_words(value)):
                own = _runs(words, names[path][form])
                for other in {p for w in words for p in index.get((form, w), ()) if p != path}:
                    if any(not any(set(run) <= set(mine) for mine in own) for run in _runs(words, names[other][form])):
                        others.add(other)
            for other in sorted(others):
                name = brands[other].user_name
                if field != "copyright" and lookalike_keys(value) & lookalike_keys(name):
                    continue  # the whole value looks like the name: said above, with both files
                found.append((path, f"{path} and {other}: {field}: expected no other tenant's name in this brand's "
                                    f"text, found {value!r}{_unusual(value)}, which holds {name!r} ({other}'s "
                                    "user_name; compared by UTS #39 skeleton, word by word)"))  # fmt: skip
    return found
