"""The brand loader: defaults, and an error for people for every kind of bad brand file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from branddocs.brand import BrandError, contrast_ratio, derive_key_env, load_brand, load_brands
from branddocs.site import Project

from .support.brands import MINIMAL, write
from .support.project import run_branddocs


@pytest.mark.parametrize(
    ("user_name", "expected"),
    [
        ("Nébula AI", "NEBULA_AI_API_KEY"),
        ("Example Co", "EXAMPLE_CO_API_KEY"),
        ("Brightline & Co.", "BRIGHTLINE_CO_API_KEY"),
        ("  --Ünïcode   ŠTÜFF!! ", "UNICODE_STUFF_API_KEY"),
        ("Straße 42", "STRASSE_42_API_KEY"),
    ],
)
def test_key_env_is_derived_from_the_name(user_name: str, expected: str) -> None:
    assert derive_key_env(user_name) == expected


def test_minimal_brand_gets_its_defaults(tmp_path: Path) -> None:
    brand = load_brand(write(tmp_path, MINIMAL))
    assert brand.id == "example-co"
    assert brand.key_env == "EXAMPLE_CO_API_KEY"
    assert brand.default_model == "meta-llama-3-8b-instruct"
    assert brand.portal_name == "Cloud Portal"
    assert brand.base_path == "/api/v1/ai"
    assert brand.theme.logo is None


def test_explicit_values_win(tmp_path: Path) -> None:
    text = MINIMAL.replace("models: [meta-llama-3-8b-instruct]", "models: [a-1, b-2]\ndefault_model: b-2")
    text = text.replace("api:\n", "api:\n  key_env: EXAMPLE_CO_KEY\n")
    brand = load_brand(write(tmp_path, text))
    assert (brand.key_env, brand.default_model) == ("EXAMPLE_CO_KEY", "b-2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "defualt_model: x\n", ":6: defualt_model: unknown key"),
        (MINIMAL.replace("api:\n", "api:\n  keyenv: X\n"), ":4: api.keyenv: unknown key"),
        (MINIMAL.replace("https://api", "ftp://api"), ":4: api.base_url: expected an http:// or https:// URL"),
        (MINIMAL.replace("/ai\n", "/ai/chat/completions\n"), "api.base_url: expected the base URL, without"),
        (MINIMAL.replace("user_name: Example Co\n", ""), ":1: user_name: required, but missing"),
        (MINIMAL.replace("[meta-llama-3-8b-instruct]", "[]"), ":5: models: List should have at least 1 item"),
        (MINIMAL.replace("[meta-llama-3-8b-instruct]", "[a, a]"), "models: expected each model once, found a"),
        (MINIMAL + "default_model: gpt-4\n", ":6: default_model: expected one of models"),
        (MINIMAL + "theme:\n  primary: blue\n", ":7: theme.primary: String should match pattern"),
        (MINIMAL + "theme:\n  logo: ../../etc/passwd\n", "theme.logo: expected a file name inside"),
        (MINIMAL.replace("example-co\n", "Example Co\n"), ":2: resource_dir_name: expected an id (characters"),
        (MINIMAL + "user_name: Again\n", "found key 'user_name' a second time"),
        (MINIMAL.replace("api:\n", "api:\n  key_env: lower-case\n"), "api.key_env: String should match"),
        ("user_name: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping of brand fields, found list"),
        (MINIMAL + "id: other\n", ":6: id: the id is the file name"),
        (
            "user_name: '!!!'\nresource_dir_name: x\napi: {base_url: 'http://a.example'}\nmodels: [m]\n",
            ":3: api.key_env: expected a variable name derived from user_name",
        ),
        # Brand values are untrusted text: template syntax is refused at its field, not found later in a page.
        (MINIMAL.replace("Example Co", "Example {{ 7*7 }}"), ":1: user_name: expected plain text, found template"),
        (MINIMAL + "portal_name: '{% include \"x\" %}'\n", ":6: portal_name: expected plain text, found template"),
        (MINIMAL + "copyright: 'Example {# Co'\n", ":6: copyright: expected plain text, found template syntax '{#'"),
        (MINIMAL.replace("/api/v1/ai", "/{{ x }}/v1"), ":4: api.base_url: expected an http:// or https:// URL"),
        # YAML's comment pitfall: an unquoted colour is no value at all.
        (
            MINIMAL + "theme:\n  primary: #b45309\n",
            ":7: theme.primary: expected a value, found none: `#` starts a YAML comment, so quote the value: "
            'primary: "#b45309"',
        ),
        (
            MINIMAL + "theme:\n  accent: '#b45309'\n  primary_dark: #3f1b60\n",
            ":8: theme.primary_dark: expected a value",
        ),
    ],
)
def test_bad_brand_files_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BrandError) as info:
        load_brand(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_bad_file_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BrandError, match=r"the file name must be the brand id.*'Example_Co.yml'"):
        load_brand(write(tmp_path, MINIMAL, "Example_Co.yml"))


def test_missing_screenshot_names_brand_and_path(tmp_path: Path) -> None:
    brand = load_brand(write(tmp_path, MINIMAL))
    with pytest.raises(BrandError, match=r"brand 'example-co': missing image file: .*images/example-co/endpoint\.png"):
        brand.check_assets(tmp_path / "docs")


def test_quoted_colours_and_comments_are_fine(tmp_path: Path) -> None:
    text = "# a comment\n" + MINIMAL + 'theme:  # the palette\n  primary: "#b45309"  # amber\n  logo:  # none yet\n'
    assert load_brand(write(tmp_path, text)).theme.primary == "#b45309"


def test_two_brands_in_one_image_folder_are_an_error(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "one.yml")
    write(tmp_path, MINIMAL.replace("Example Co", "Other Co"), "two.yml")
    with pytest.raises(BrandError) as info:
        load_brands(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'one.yml'} and {tmp_path / 'two.yml'}: resource_dir_name: expected one image folder per brand, "
        "found 'example-co' in each"
    )
    # Another tenant has a name of its own too (tests/security/test_lookalikes.py).
    write(tmp_path, MINIMAL.replace("example-co\n", "other-co\n").replace("Example Co", "Other Co"), "two.yml")
    assert [b.id for b in load_brands(tmp_path)] == ["one", "two"]


def test_unknown_brand_lists_the_known_ones(scratch: Project) -> None:
    with pytest.raises(BrandError, match=r"unknown brand 'nope'.*brands: acme, brightline, nebula$"):
        scratch.brand("nope")


def test_brand_discovery_ignores_the_schema_file(scratch: Project) -> None:
    assert (scratch.brands_dir / "brand.schema.json").is_file()
    assert scratch.brand_ids() == ["acme", "brightline", "nebula"]


def test_check_brands_command(scratch: Project) -> None:
    ok = run_branddocs("check-brands", cwd=scratch.root)
    assert ok.returncode == 0, ok.stderr
    assert "3 ok, 0 with errors" in ok.stdout
    (scratch.brands_dir / "acme.yml").write_text(MINIMAL.replace("models:", "modles:"), encoding="utf-8")
    bad = run_branddocs("check-brands", cwd=scratch.root)
    assert bad.returncode == 1
    assert "acme.yml:5: modles: unknown key" in bad.stderr
    assert "acme.yml:1: models: required, but missing" in bad.stderr
    assert "2 ok, 1 with errors" in bad.stdout


def test_check_brands_names_both_files_sharing_an_image_folder(scratch: Project) -> None:
    path = scratch.brands_dir / "brightline.yml"
    text = path.read_text(encoding="utf-8").replace("resource_dir_name: brightline", "resource_dir_name: acme")
    path.write_text(text, encoding="utf-8")
    for args in ((), ("brands/brightline.yml",)):  # alone, a file is still compared with the other brands
        bad = run_branddocs("check-brands", *args, cwd=scratch.root)
        assert bad.returncode == 1
        line = next(line for line in bad.stderr.splitlines() if "resource_dir_name" in line)
        files, message = line.split(": ", 1)
        assert sorted(Path(f).name for f in files.split(" and ")) == ["acme.yml", "brightline.yml"]
        assert message == "resource_dir_name: expected one image folder per brand, found 'acme' in each"


# The project's own brands, whatever brands/ holds: each is checked on its own.


def test_brand_file_is_valid(project: Project, brand_id: str) -> None:
    project.brand(brand_id)  # validated, with its images


def test_brand_uses_example_hosts(project: Project, brand_id: str) -> None:
    brand = project.brand(brand_id)
    for url in (brand.base_url, brand.site_url, brand.support_url):
        if url:
            assert urlsplit(url).hostname.endswith(".example"), f"{brand_id}: {url} is not on an .example host"


def test_brand_colours_are_readable(project: Project, brand_id: str) -> None:
    css = project.brand(brand_id).theme.css_variables()
    assert contrast_ratio(css["--md-primary-fg-color"], css["--md-primary-bg-color"]) >= 4.5, brand_id
