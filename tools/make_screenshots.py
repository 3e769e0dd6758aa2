"""Draw each brand's "Playground > API tab" screenshot (docs/images/<dir>/endpoint.png) in headless Chromium.

Usage: .venv/bin/python tools/make_screenshots.py [BRAND ...]   (needs /usr/bin/chromium)
The PNGs are checked in; rerun this after changing a brand's name, portal, models, base URL or language.
The portal's labels are in the brand's language (English where LABELS has none); Chinese is drawn with
WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, which `make test` installs), never as empty boxes.
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

from branddocs.brand import load_brands
from branddocs.site import Project

CHROMIUM = "/usr/bin/chromium"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_TRADITIONAL = {
    "service": "推論即服務", "playground": "測試區", "models": "模型", "chat": "對話", "api": "API",
    "model": "模型", "endpoint": "端點", "example": "範例",
}  # fmt: skip
LABELS = {
    "en": {
        "service": "Inference As A Service", "playground": "Playground", "models": "Models", "chat": "Chat",
        "api": "API", "model": "Model", "endpoint": "Endpoint", "example": "Example",
    },
    "zh-TW": _TRADITIONAL,
    "zh-Hant": _TRADITIONAL,
    "zh": {
        "service": "推理即服务", "playground": "测试区", "models": "模型", "chat": "对话", "api": "API",
        "model": "模型", "endpoint": "端点", "example": "示例",
    },
}  # fmt: skip
"""The portal's labels per language (the brand's `language`); English for a language not listed."""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

PAGE = """<!doctype html><html lang="{lang}"><meta charset="utf-8"><style>
body {{ margin: 0; font: 14px/1.5 "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif; background: #f4f5f7; }}
body {{ color: #1f2328; }}
header {{ background: {primary}; color: {on_primary}; padding: 12px 20px; font-size: 18px; font-weight: bold; }}
header small {{ font-weight: normal; opacity: .85; margin-left: 12px; }}
nav {{ padding: 8px 20px; color: #57606a; }}
main {{ display: flex; gap: 16px; padding: 0 20px; }}
aside {{ width: 230px; background: #fff; border-radius: 6px; padding: 12px; }}
aside div {{ padding: 6px 8px; border-radius: 4px; }}
aside .on {{ background: {primary}; color: {on_primary}; }}
section {{ flex: 1; background: #fff; border-radius: 6px; padding: 12px 16px; }}
.tabs span {{ display: inline-block; padding: 6px 14px; color: #57606a; }}
.tabs .on {{ color: {primary}; border-bottom: 3px solid {primary}; font-weight: bold; }}
label {{ display: block; color: #57606a; margin-top: 12px; }}
.url {{ font: 15px "DejaVu Sans Mono", monospace; background: #f6f8fa; border: 1px solid #d0d7de; padding: 8px; }}
pre {{ background: #24292f; color: #e6edf3; padding: 12px; border-radius: 6px; font-size: 12px; }}
select {{ float: right; }}
</style>
<header>{name}<small>{portal}</small></header>
<nav>{portal} &rsaquo; {t[service]} &rsaquo; {t[playground]}</nav>
<main><aside><b>{t[models]}</b>{models}</aside>
<section><div class="tabs"><span>{t[chat]}</span><span class="on">{t[api]}</span></div>
<label>{t[model]}</label><div class="url">{model}</div>
<label>{t[endpoint]}</label><div class="url">{endpoint}</div>
<label>{t[example]} <select><option>cURL</option><option>Python</option><option>Node.js</option></select></label>
<pre>curl {endpoint} \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer ${key_env}" \\
  -d '{{"model": "{model}", "messages": [{{"role": "user", "content": "hi"}}]}}'</pre>
</section></main>"""


def render(brand) -> str:
    esc = html.escape
    css = brand.theme.css_variables()
    models = "".join(f'<div class="{"on" if m == brand.default_model else ""}">{esc(m)}</div>' for m in brand.models)
    return PAGE.format(
        lang=esc(brand.language),
        t=LABELS.get(brand.language, LABELS["en"]),
        name=esc(brand.user_name),
        portal=esc(brand.portal_name),
        models=models,
        model=esc(brand.default_model),
        endpoint=esc(brand.base_url + "/chat/completions"),
        key_env=brand.key_env,
        primary=css["--md-primary-fg-color"],
        on_primary=css["--md-primary-bg-color"],
    )


def screenshot(page_html: str, out: Path, size: str = "1000,520") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html, encoding="utf-8")
        subprocess.run(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={tmp}/profile",
                f"--window-size={size}",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )


def main(ids: list[str]) -> None:
    project = Project.find()
    for brand in load_brands(project.brands_dir, ids or None):
        if brand.language.split("-")[0] in ("zh", "ja", "ko") and not CJK_FONT.is_file():
            sys.exit(f"{brand.id}: language {brand.language} needs {CJK_FONT}: sudo apt-get install fonts-wqy-microhei")
        out = brand.image_dir(project.docs_dir) / "endpoint.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(render(brand), out)
        print(f"{brand.id}: wrote {out.relative_to(project.root)}")
        if brand.theme.favicon and brand.theme.favicon.endswith(".png"):
            icon = brand.image_dir(project.docs_dir) / brand.theme.favicon
            primary = brand.theme.primary
            screenshot(f'<body style="margin:0;background:{primary}"></body>', icon, size="32,32")
            print(f"{brand.id}: wrote {icon.relative_to(project.root)}")


if __name__ == "__main__":
    main(sys.argv[1:])
