"""Brand files written for a test."""

from __future__ import annotations

from pathlib import Path

MINIMAL = """\
user_name: Example Co
resource_dir_name: example-co
api:
  base_url: https://api.example-co.example/api/v1/ai
models: [meta-llama-3-8b-instruct]
"""


def write(tmp_path: Path, text: str, name: str = "example-co.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
