"""Lookalike tenants: names, ids, key variables and host names a reader cannot tell apart are refused.

Mechanism, two parts: at load, a name is in one script (UTS #39 Highly Restrictive; Latin may join Han and kana,
Bopomofo or Hangul), holds no character shown as nothing or as a blank (Default_Ignorable_Code_Point; ZWJ and
ZWNJ only where IDNA's ContextJ allows), and a host's `xn--` labels decode to one script that does not pass for
ASCII (branddocs/text/grammar.py, scripts.py); across brands, each value is compared by `text.lookalike_keys`:
UTS #39 skeletons (Unicode's confusables.txt, vendored) of NFKC(_Casefold) with blanks collapsed and default
ignorables removed, as a reader sees it. Two brand files sharing a key are refused by `check-brands` and wherever
all brands are loaded (`load_brands`: the reference endpoint), naming both files. Negatives: comparing the values
as strings, or the raw skeletons as before, lets each pair through; the ASCII-only host grammar took each label.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from branddocs import text
from branddocs.brand import BrandError, load_brand, load_brands
from branddocs.site import Project
from branddocs.text import lookalike_keys, skeleton

from ..support.project import run_branddocs

ACME = {"user_name": "Acme Cloud", "resource_dir_name": "acme", "api": {"base_url": "https://api.acme.example/v1"},
        "models": ["m1"], "site_url": "https://docs.acme.example/"}  # fmt: skip
SMALL_CAPITALS = "\u1d00\u1d04\u1d0d\u1d07 \u1d04\u029f\u1d0f\u1d1c\u1d05"
"""`ᴀᴄᴍᴇ ᴄʟᴏᴜᴅ`: Latin small capitals, most of them mapped to nothing by confusables.txt."""
OWN_KEY = {"base_url": "https://api.other.example/v1", "key_env": "ACME2_API_KEY"}
"""A key variable of the lookalike's own: its name, not the variable derived from it, is what is refused."""
PAIRS = {
    # what the lookalike brand changes: (field named in the error, its values); each passes its own load
    "a capital I for an l": ("user_name", {"user_name": "Acme CIoud"}),
    "the same name in capitals": ("user_name", {"user_name": "ACME CLOUD"}),
    "full-width letters": ("user_name", {"user_name": "\uff21\uff43\uff4d\uff45 \uff23\uff4c\uff4f\uff55\uff44"}),
    "two spaces": ("user_name", {"user_name": "Acme  Cloud"}),
    "a no-break space": ("user_name", {"user_name": "Acme\u00a0Cloud"}),
    "an ideographic space": ("user_name", {"user_name": "Acme\u3000Cloud"}),
    "mathematical bold letters": ("user_name", {"user_name": "\U0001d400cme Cloud"}),
    "rn for m in the host": ("host name", {"api": {"base_url": "https://api.acrne.example/v1"}}),
    "a digit 0 for an o in the host": ("host name", {"site_url": "https://d0cs.acme.example/"}),
    "small capitals": ("user_name", {"user_name": SMALL_CAPITALS, "api": OWN_KEY}),
    "a small capital A": ("user_name", {"user_name": "\u1d00cme Cloud", "api": OWN_KEY}),
    "a dot below with no precomposed form": ("user_name", {"user_name": "Ac\u0323me Cloud", "api": OWN_KEY}),
    "a comma below": ("user_name", {"user_name": "Acme C\u0326loud", "api": OWN_KEY}),
    "the same key variable, chosen": ("api.key_env", {"api": {"base_url": "https://api.other.example/v1",
                                                               "key_env": "ACME_CLOUD_API_KEY"}}),
}  # fmt: skip
OTHER_ID = {"the same key variable, chosen": "acme-cloud"}
"""The lookalike's brand id where its own namespace needs one: `ACME_CLOUD_API_KEY` is in `acme-cloud`'s."""
INVISIBLE = {
    # shown as nothing or as a blank: refused in a name at load, and set aside when names are compared
    "ZWJ": "Ac\u200dme Cloud",
    "ZWNJ": "Ac\u200cme Cloud",
    "CGJ": "Acme\u034f Cloud",
    "variation selector 16": "Acme\ufe0f Cloud",
    "variation selector 256": "Acme\U000e01ef Cloud",
    "Mongolian FVS1": "Acme\u180b Cloud",
    "Khmer inherent AQ": "Acme\u17b4 Cloud",
    "Hangul filler": "Acme\u3164Cloud",
    "Hangul choseong filler": "Acme\u115fCloud",
    "half-width Hangul filler": "Acme\uffa0Cloud",
    "braille blank": "Acme\u2800Cloud",
    "soft hyphen": "Ac\u00adme Cloud",
    "word joiner": "Acme\u2060 Cloud",
    "a tag character": "Acme\U000e0041 Cloud",
}
MIXED = {
    "a Greek capital Alpha": ("\u0391cme Cloud", "GREEK and LATIN"),
    "a Cyrillic o and e": ("Acm\u0435 Cl\u043eud", "CYRILLIC and LATIN"),
    "an Arabic tatweel": ("Ac\u0640me Cloud", "ARABIC and LATIN"),
    "an Armenian letter": ("Acme Clo\u057dd", "ARMENIAN and LATIN"),
}


def _write(folder: Path, brand_id: str, values: dict) -> Path:
    path = folder / f"{brand_id}.yml"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def _other(change: dict) -> dict:
    api, site = {"base_url": "https://api.other.example/v1"}, "https://docs.other.example/"
    other = {**ACME, "user_name": "Other Co", "resource_dir_name": "other", "api": api, "site_url": site}
    return {**other, **change}


@pytest.mark.parametrize("case", PAIRS)
def test_a_lookalike_tenant_is_refused_naming_both_files(tmp_path: Path, case: str) -> None:
    field, change = PAIRS[case]
    acme, other = _write(tmp_path, "acme", ACME), _write(tmp_path, OTHER_ID.get(case, "acme2"), _other(change))
    first, second = sorted([acme, other])  # in the order the brand files are found
    with pytest.raises(BrandError, match=rf"^{re.escape(str(first))} and {re.escape(str(second))}: {field}: expected"):
        load_brands(tmp_path)


@pytest.mark.parametrize("case", [c for c in PAIRS if PAIRS[c][0] != "api.key_env"])
def test_a_string_comparison_lets_each_through(case: str) -> None:
    # The negative: the values differ as strings; only what a reader sees agrees.
    field, change = PAIRS[case]
    value = change.get("user_name") or change.get("site_url") or change["api"]["base_url"]
    original = ACME["user_name"] if field == "user_name" else ACME["site_url"] + ACME["api"]["base_url"]
    assert value not in original


def _old_keys(value: str) -> set[str]:
    """What the comparison was before: skeletons as written, case-folded, case-folded after the mapping."""
    return {skeleton(value), skeleton(value.casefold()), skeleton(skeleton(value).casefold())}


@pytest.mark.parametrize("value", [*(c[1]["user_name"] for c in PAIRS.values() if "user_name" in c[1]),
                                   *INVISIBLE.values()])  # fmt: skip
def test_the_comparison_sees_what_a_reader_sees(value: str) -> None:
    # The mechanism on its own, without the load-time refusal: each value shares a key with `Acme Cloud`.
    assert value != "Acme Cloud"
    assert lookalike_keys(value) & lookalike_keys("Acme Cloud")
    assert not lookalike_keys(value) & lookalike_keys("Acme Clout")  # and a different name stays different


@pytest.mark.parametrize("case", ["full-width letters", "two spaces", "an ideographic space"])
def test_the_old_skeletons_missed_blanks_width_and_invisibles(case: str) -> None:
    # The negative: UTS #39 skeletons of the raw value (the comparison before) share nothing with `Acme Cloud`.
    assert not _old_keys(PAIRS[case][1]["user_name"]) & _old_keys("Acme Cloud")
    assert not _old_keys(INVISIBLE["ZWJ"]) & _old_keys("Acme Cloud")
    assert not _old_keys(INVISIBLE["Hangul filler"]) & _old_keys("Acme Cloud")


@pytest.mark.parametrize("case", INVISIBLE)
def test_a_name_holding_an_invisible_or_blank_character_is_refused_at_load(tmp_path: Path, case: str) -> None:
    path = _write(tmp_path, "acme2", _other({"user_name": INVISIBLE[case]}))
    with pytest.raises(BrandError, match=rf"^{re.escape(str(path))}:\d+: user_name: expected text on one line"):
        load_brand(path)


def test_a_joiner_where_a_script_needs_one_is_allowed(tmp_path: Path) -> None:
    # IDNA's ContextJ: a ZWJ after a virama (Devanagari's half form), a ZWNJ between joining Persian letters.
    for name in ("\u0915\u094d\u200d\u0937", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"):
        assert load_brand(_write(tmp_path, "acme2", _other({"user_name": name}))).user_name == name


@pytest.mark.parametrize("case", MIXED)
def test_a_name_mixing_scripts_is_refused_at_load(tmp_path: Path, case: str) -> None:
    value, scripts = MIXED[case]
    path = _write(tmp_path, "acme2", _other({"user_name": value}))
    with pytest.raises(BrandError, match=rf":\d+: user_name: expected a name in one script .* mixing {scripts}"):
        load_brand(path)
    # The negative: as values compared across tenants, the skeleton alone (without the load check) would only
    # catch them beside a brand they imitate; the script rule refuses them with no such brand.
    assert text.mixed_scripts("Acme Cloud") == []


@pytest.mark.parametrize("name", ["\u30a2\u30af\u30e1 Cloud", "\uc544\ud06c\uba54 Cloud", "\u03b1\u03ba\u03bc\u03ae",
                                  "N\u00e9bula AI", "\u5c71 Cloud \u3084\u307e"])  # fmt: skip
def test_names_in_one_script_or_latin_with_cjk_load(tmp_path: Path, name: str) -> None:
    assert load_brand(_write(tmp_path, "acme2", _other({"user_name": name}))).user_name == name


HOSTS = {
    "a Cyrillic a in a Latin label (F10)": ("xn--cme-5cd", "mixing CYRILLIC and LATIN"),
    "an all-Cyrillic label that reads as ASCII": ("xn--80ak6aa92e", "whole-script confusable"),
    "a label that decodes to control characters": ("xn--acme", "decodes"),
    "a label that does not decode": ("xn--zz9999zzz", "decodes"),
    "a label that decodes to an emoji": ("xn--ls8h", "decodes"),
}


@pytest.mark.parametrize("case", HOSTS)
def test_an_xn_label_is_decoded_and_checked_at_load(tmp_path: Path, case: str) -> None:
    label, problem = HOSTS[case]
    path = _write(tmp_path, "acme2", _other({"api": {"base_url": f"https://api.{label}.example/v1"}}))
    with pytest.raises(BrandError, match=rf"^{re.escape(str(path))}:\d+: api.base_url: expected .*{problem}"):
        load_brand(path)
    # The negative: the grammar before looked at the ASCII form only, and took each label.
    assert text.token(f"api.{label}.example", r"[A-Za-z0-9.-]+", "a host", r"[A-Za-z0-9.-]")


def test_an_idn_in_one_script_loads_and_is_compared_decoded(tmp_path: Path) -> None:
    brand = load_brand(_write(tmp_path, "acme2", _other({"site_url": "https://xn--bcher-kva.example/"})))
    assert text.decoded_host("xn--bcher-kva.example") == "b\u00fccher.example"
    assert brand.site_url == "https://xn--bcher-kva.example/"


def test_tenants_may_share_a_host_but_not_a_lookalike(tmp_path: Path) -> None:
    _write(tmp_path, "acme", ACME)
    _write(tmp_path, "two", _other({"api": {"base_url": "https://api.acme.example/tenant-two/v1"}}))
    assert [b.id for b in load_brands(tmp_path)] == ["acme", "two"]


def test_check_brands_names_both_files_and_the_hidden_letter(scratch: Project) -> None:
    _write(scratch.brands_dir, "acme2", _other(PAIRS["full-width letters"][1]))
    shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / "other")
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 1
    assert f"{scratch.brands_dir / 'acme.yml'} and {scratch.brands_dir / 'acme2.yml'}: user_name:" in done.stderr
    assert "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A" in done.stderr


def test_the_endpoint_refuses_to_serve_lookalikes_naming_both_files(scratch: Project) -> None:
    _write(scratch.brands_dir, "acme2", _other(PAIRS["full-width letters"][1]))
    shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / "other")
    done = run_branddocs("endpoint", "--port", "0", cwd=scratch.root)
    assert done.returncode == 2
    assert f"{scratch.brands_dir / 'acme.yml'} and {scratch.brands_dir / 'acme2.yml'}: user_name:" in done.stderr
    assert "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A" in done.stderr


# Another tenant's name shown as a name: a portal called `Acme Cloud` on another brand's site.

PORTALS = {"another tenant's name": "Acme Cloud", "another tenant's name in capitals": "ACME CLOUD",
           "with a capital I for the l": "Acme CIoud"}  # fmt: skip


@pytest.mark.parametrize("case", PORTALS)
def test_a_portal_named_like_another_tenant_is_refused_naming_both_files(tmp_path: Path, case: str) -> None:
    acme, other = _write(tmp_path, "acme", ACME), _write(tmp_path, "acme2", _other({"portal_name": PORTALS[case]}))
    expected = rf"^{re.escape(str(acme))} and {re.escape(str(other))}: user_name and portal_name: expected"
    with pytest.raises(BrandError, match=expected):
        load_brands(tmp_path)


def test_the_negative_field_by_field_the_portal_is_never_compared_with_a_name() -> None:
    # Before: each field compared with the same field of the others; the other tenant's user_name differs.
    other = _other({"portal_name": PORTALS["another tenant's name"]})
    assert not lookalike_keys(ACME["user_name"]) & lookalike_keys(other["user_name"])
    assert lookalike_keys(ACME["user_name"]) & lookalike_keys(other["portal_name"])


def test_two_portals_may_share_a_name_that_names_no_tenant(tmp_path: Path) -> None:
    _write(tmp_path, "acme", {**ACME, "portal_name": "Cloud Portal"})
    _write(tmp_path, "acme2", _other({"portal_name": "Cloud Portal"}))
    assert len(load_brands(tmp_path)) == 2


# Another tenant's name inside a brand's free text: `copyright: © Acme Cloud` on another brand's site.

HELD = {
    "copyright": ("copyright", "© Acme Cloud"),
    "copyright in capitals, a year and a suffix": ("copyright", "© 2026 ACME CLOUD Ltd."),
    "copyright with a capital I for the l": ("copyright", "Copyright Acme CIoud, all rights reserved"),
    "copyright in full-width letters": ("copyright", "© \uff21\uff43\uff4d\uff45 \uff23\uff4c\uff4f\uff55\uff44"),
    "copyright with a dot below": ("copyright", "\u00a9 2026 Ac\u0323me Cloud Ltd."),
    "copyright in small capitals": (
        "copyright",
        f"\u00a9 2026 {SMALL_CAPITALS} Ltd.",
    ),
    "portal": ("portal_name", "Acme Cloud Console"),
    "portal with a no-break space": ("portal_name", "Console for Acme\u00a0Cloud"),
}
FREE = {
    "a word of the name": "© Acme Industries",
    "a longer word": "© Acme Cloudy Ltd",
    "its own name": "© 2026 Other Co",
}


@pytest.mark.parametrize("case", HELD)
def test_free_text_holding_another_tenants_name_is_refused_naming_both_files(tmp_path: Path, case: str) -> None:
    field, value = HELD[case]
    acme, other = _write(tmp_path, "acme", ACME), _write(tmp_path, "acme2", _other({field: value}))
    both = rf"{re.escape(str(other))} and {re.escape(str(acme))}"
    expected = (rf"{both}: {field}: expected no other tenant's name in this brand's text, found .*which holds "
                rf"'Acme Cloud' \({re.escape(str(acme))}'s user_name")  # fmt: skip
    with pytest.raises(BrandError, match=expected):
        load_brands(tmp_path)


@pytest.mark.parametrize("case", HELD)
def test_the_negative_compared_as_whole_values_each_passes(case: str) -> None:
    # Before: a portal (and a name) compared whole with the tenant's name, the copyright not at all.
    _, value = HELD[case]
    assert not lookalike_keys(value) & lookalike_keys(ACME["user_name"])


@pytest.mark.parametrize("case", FREE)
def test_a_word_of_another_name_or_its_own_name_passes(tmp_path: Path, case: str) -> None:
    _write(tmp_path, "acme", {**ACME, "copyright": "© 2026 Acme Cloud"})
    _write(tmp_path, "acme2", _other({"copyright": FREE[case]}))
    assert len(load_brands(tmp_path)) == 2


def test_a_tenants_own_name_may_hold_another_tenants(tmp_path: Path) -> None:
    """`Acme Cloud Plus` holds `Acme Cloud` where it says its own name: both tenants load (their names differ)."""
    _write(tmp_path, "acme", ACME)
    _write(tmp_path, "acme2", _other({"user_name": "Acme Cloud Plus", "copyright": "© Acme Cloud Plus"}))
    assert len(load_brands(tmp_path)) == 2
    _write(tmp_path, "acme2", _other({"user_name": "Acme Cloud Plus", "copyright": "© Acme Cloud and Plus"}))
    with pytest.raises(BrandError, match="copyright: expected no other tenant's name"):
        load_brands(tmp_path)


def test_no_brand_of_the_project_holds_another_tenants_name(project: Project) -> None:
    assert len(load_brands(project.brands_dir)) >= 4


# A name with a mark beside it, or its words run together, is the name (attack6: each loaded beside `Acme Cloud`).

MARKED = {
    "a registered sign": "Acme Cloud\u00ae",
    "a trademark sign after a space": "Acme Cloud \u2122",
    "a service mark": "Acme Cloud\u2120",
    "superscript TM letters": "Acme Cloud\u1d40\u1d39",
    "a degree sign": "Acme Cloud\u00b0",
    "a check mark": "Acme Cloud\u2713",
    "a superscript two": "Acme Cloud\u00b2",
    "a modifier small s": "Acme Cloud\u02e2",
    "superscript INC": "Acme Cloud \u1d35\u1d3a\u1d9c",
    "a possessive": "Acme Cloud's",
    "the words run together": "AcmeCloud",
    "a hyphen between the words": "Acme-Cloud",
    "a squared cm inside a word, a mark after": "A\u339de Cloud\u00ae",
}


@pytest.mark.parametrize("case", MARKED)
def test_a_name_with_a_mark_beside_it_is_refused_naming_both_files(tmp_path: Path, case: str) -> None:
    acme, other = _write(tmp_path, "acme", ACME), _write(tmp_path, "acme2", _other({"user_name": MARKED[case]}))
    load_brand(other)  # each loads on its own
    with pytest.raises(BrandError, match=rf"^{re.escape(str(acme))} and {re.escape(str(other))}: user_name: expected"):
        load_brands(tmp_path)


@pytest.mark.parametrize("case", [c for c in MARKED if c != "a hyphen between the words"])  # its key variable is
def test_the_negative_skeletons_alone_tell_each_apart(case: str) -> None:  # acme's: refused before too
    # Before: the whole value's skeletons, which keep the mark (or lack the blank): no key shared with `Acme Cloud`.
    assert not lookalike_keys(MARKED[case]) & lookalike_keys(ACME["user_name"])
    assert text.name_keys(MARKED[case]) & text.name_keys(ACME["user_name"])


@pytest.mark.parametrize("name", ["Acme Cloud Plus", "Acme Clouds", "Acme Cloud 2", "Acme", "Cloud Acme"])
def test_a_name_with_another_word_stays_another_name(name: str) -> None:
    assert not text.name_keys(name) & text.name_keys(ACME["user_name"]), name
