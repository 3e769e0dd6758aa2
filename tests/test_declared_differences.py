"""A brand that declares its platform answers a mistake otherwise than OpenAI's gets guide text that says so, and
`check-brands` warns where the declaration documents a defect of the platform (no key check, a server error)."""

from __future__ import annotations

import pytest

from branddocs.brand.model import PlatformErrors
from branddocs.examples.collection.collect import render_pages
from branddocs.site import Project

from .conftest import run_branddocs

GUIDE = "serverless-endpoints.md"
# transformers serve 5.25: no key check, a pinned model's 400, a 422 for an unknown field, temperature 5 taken.
TRANSFORMERS = "errors:\n  wrong_key: 200\n  unknown_model: 400\n  unknown_field: 422\n  out_of_range: 200\n"
DEFECTS = "errors:\n  wrong_key: 500\n  unknown_model: 503\n  unknown_field: 500\n  out_of_range: 500\n"


def declare(project: Project, brand_id: str, errors: str) -> None:
    path = project.brands_dir / f"{brand_id}.yml"
    path.write_text(path.read_text(encoding="utf-8") + errors, encoding="utf-8")


def error_rows(project: Project, brand_id: str) -> list[str]:
    page = render_pages(project, brand_id, [GUIDE])[GUIDE]
    table = page.split("<!-- branddocs: error-table -->", 1)[1].split("\n\n", 2)[1]
    return table.splitlines()[2:]


def test_the_default_rows_say_what_openais_errors_mean(scratch: Project) -> None:
    wrong_key, unknown_model, _, out_of_range = error_rows(scratch, "acme")
    assert "Ensure the API key is correct and active" in wrong_key
    assert "No error" not in wrong_key
    assert "Keep `temperature` between 0 and 2; the error names the field." in out_of_range
    assert "server error" not in unknown_model


def test_a_platform_without_key_checks_gets_rows_that_say_so(scratch: Project) -> None:
    declare(scratch, "acme", TRANSFORMERS)
    wrong_key, unknown_model, unknown_field, out_of_range = error_rows(scratch, "acme")
    assert "| `200` | `ChatCompletion` | `ChatCompletion` |" in wrong_key
    assert "No error: Acme Cloud does not check API keys, so a wrong or missing key is served too." in wrong_key
    assert "Ensure the API key is correct" not in wrong_key
    assert "| `400` | `openai.BadRequestError` | `OpenAI.BadRequestError` |" in unknown_model
    assert "| `422` | `TypeError` | `OpenAI.UnprocessableEntityError` |" in unknown_field
    assert "No error: Acme Cloud takes the value as it is" in out_of_range
    assert "the error names the field" not in out_of_range


def test_server_errors_are_named_as_such_with_the_sdks_exceptions(scratch: Project) -> None:
    declare(scratch, "acme", DEFECTS)
    wrong_key, unknown_model, unknown_field, out_of_range = error_rows(scratch, "acme")
    assert "| `500` | `openai.InternalServerError` | `OpenAI.InternalServerError` |" in wrong_key
    assert "Acme Cloud answers a wrong key with a server error. Ensure the API key is correct" in wrong_key
    assert "| `503` | `openai.InternalServerError` | `OpenAI.InternalServerError` |" in unknown_model  # any 5xx
    assert "Acme Cloud answers it with a server error, not a 4xx. Use a model" in unknown_model
    assert "; Acme Cloud answers it with a server error." in unknown_field
    assert "Acme Cloud answers it with a server error; keep `temperature` between 0 and 2." in out_of_range


@pytest.mark.parametrize(
    ("errors", "warned"),
    [
        ({}, []),
        ({"wrong_key": 400, "unknown_model": 400, "unknown_field": 422, "out_of_range": 200}, []),
        ({"wrong_key": 200}, ["errors.wrong_key: 200: the platform serves a wrong API key"]),
        ({"unknown_model": 500, "out_of_range": 503}, ["errors.unknown_model: 500: a server error for a reader's",
                                                      "errors.out_of_range: 503: a server error for a reader's"]),
    ],
)  # fmt: skip
def test_declarations_of_defects_are_named(errors: dict, warned: list[str]) -> None:
    found = PlatformErrors(**errors).defects()
    assert len(found) == len(warned), found
    for line, start in zip(found, warned, strict=True):
        assert line.startswith(start)


def test_check_brands_warns_on_a_documented_defect_and_still_passes(scratch: Project) -> None:
    declare(scratch, "acme", TRANSFORMERS)
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "brands/acme.yml: warning: errors.wrong_key: 200: the platform serves a wrong API key" in done.stderr
    assert "brightline.yml: warning" not in done.stderr  # the negative: a brand declaring nothing odd
