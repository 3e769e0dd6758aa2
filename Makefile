# branddocs: `make site` builds every brand; `make test` runs every check. See README.md and the manual (make manual).
# Any CPython from 3.11.2 up (README, Supported Pythons): `make site PYTHON=python3.13`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The interpreter, as the venv's stamp records it: a venv another Python made is rebuilt, not reused.
PYTHON_ID := $(shell $(PYTHON) -c 'import os, sys; print(sys.implementation.name, "%d.%d.%d" % sys.version_info[:3], os.path.realpath(sys.base_prefix))' 2>/dev/null)
ifneq ($(PYTHON_ID),$(shell cat $(BIN)/.installed 2>/dev/null))
.PHONY: $(BIN)/.installed
endif
BRAND ?=
# Recipes read the brand from the shell, quoted ("$$BRAND"), never as $(BRAND) in their text: make would paste
# the value into the recipe, where a quote or `;` in it becomes shell code.
export BRAND
ENGINE ?= mkdocs
export NO_MKDOCS_2_WARNING := 1

BRANDS = $(sort $(basename $(notdir $(wildcard brands/*.yml))))
# Files that `make test` needs from the system (Debian packages chromium, curl, fonts-dejavu-core, bubblewrap:
# the sandbox examples run in, and fonts-wqy-microhei: Chinese, Simplified and Traditional, for the browser checks
# and `make screenshots`; 5 MB installed, where fonts-noto-cjk is 90 MB; nginx and caddy: the hosting tests start
# them on free loopback ports, with the configs `branddocs host nginx` writes. Debian starts each package's own
# service on port 80 when it is installed: `systemctl disable --now nginx caddy` stops them; branddocs never uses
# those).
CHROMIUM ?= /usr/bin/chromium
export BRANDDOCS_CHROMIUM := $(CHROMIUM)
DEJAVU ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: site serve manual test lint format lock lock-latest test-latest screenshots endpoint compat clean known-brand system-packages bench test-pythons

# The lock pins the runtime dependencies and the extras screenshots and test (pyproject.toml): make site and
# make test install all of them. It pins setuptools too: the project installs with it, without build isolation or a
# fallback that hides errors. --no-deps, then pip check: a dependency this Python needs that the lock lacks fails
# here, by name, and is never fetched unpinned.
$(BIN)/.installed: pyproject.toml $(LOCK) tools/check_python.py
	@PYTHON="$(PYTHON)" $(PYTHON) tools/check_python.py
	if [ -f $(VENV)/pyvenv.cfg ] && [ "$$(cat $@ 2>/dev/null)" != "$(PYTHON_ID)" ]; then rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-virtualenv --no-deps -r $(LOCK)
	$(BIN)/python -m pip check --disable-pip-version-check
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	# Bytecode for every installed package, whatever PYTHONDONTWRITEBYTECODE says: without it each process compiles
	# them from source, and jieba 0.42.1's invalid escapes then warn inside the tests (filterwarnings = error).
	$(BIN)/python -W ignore -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null
	# branddocs' own too (installed editable, so not under purelib): `branddocs check`'s harness runs as a user that
	# cannot write its __pycache__, and compiled the modules only pytest imports (the judge, the plugin) on every
	# check; a file edited since is compiled in memory, as without bytecode.
	$(BIN)/python -W ignore -m compileall -q -j 0 branddocs >/dev/null
	echo "$(PYTHON_ID)" > $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

site: $(BIN)/.installed
	$(BIN)/branddocs build --engine $(ENGINE) $${BRAND:+--brand "$$BRAND"}

serve: known-brand $(BIN)/.installed
	@test -n "$$BRAND" || { echo "usage: make serve BRAND=<id>  (brands: $(BRANDS))" >&2; exit 2; }
	$(BIN)/branddocs serve --brand "$$BRAND"

# BRAND=<id> must name brands/<id>.yml: stop before anything else runs, listing the brands.
known-brand:
	@test -z "$$BRAND" || echo "$(BRANDS)" | tr ' ' '\n' | grep -qxF -e "$$BRAND" \
	  || { printf "unknown brand '%s': no brands/%s.yml; brands: %s\n" "$$BRAND" "$$BRAND" "$(BRANDS)" >&2; exit 2; }

# Installs the missing ones with apt-get when run as root; otherwise names the one command to run.
system-packages:
	@missing=""; \
	test -x "$(CHROMIUM)" || missing="$$missing chromium"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	test -f "$(DEJAVU)" || missing="$$missing fonts-dejavu-core"; \
	test -f "$(CJK_FONT)" || missing="$$missing fonts-wqy-microhei"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v caddy >/dev/null || missing="$$missing caddy"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "missing system packages:$$missing; install them with: sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	  exit 1; \
	fi; \
	echo "installing$$missing with apt-get"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null

endpoint: $(BIN)/.installed
	$(BIN)/branddocs endpoint $${BRAND:+--brand "$$BRAND"}

# The manual (manual/), built with the engine it documents, strict: a warning fails it. Its references (commands,
# options, brand fields, variables, exit codes) and figures (BENCHMARKS.md) are generated as it builds.
manual: $(BIN)/.installed
	$(BIN)/mkdocs build --strict --config-file manual/mkdocs.yml

# ruff, then the import contracts in pyproject.toml ([tool.importlinter]: the floors, no circles).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# --durations=10: the slowest ten tests, printed at the end of every run (where the suite's time goes).
# --dist worksteal: each worker starts on its own contiguous half of the tests, so a module's fixtures (a built site,
# an endpoint, a browser) are set up once rather than on both workers, and a worker that runs dry takes over the
# other's last tests instead of waiting on them.
test: known-brand system-packages $(BIN)/.installed node_modules/.installed lint manual
	$(BIN)/pytest -n auto --dist worksteal --durations=10 $${BRAND:+--brand "$$BRAND"} $(PYTEST_ARGS)

# Every benchmark in bench/, then BENCHMARKS.md from the figures they printed (bench/report.py); a benchmark
# that misses its goal fails the target, after the file is written. BENCHES=endpoint reruns one of them (the
# others keep their last figures, each dated).
BENCHES ?= endpoint build scale examples diff hosting
bench: $(BIN)/.installed node_modules/.installed
	rm -f $(BENCHES:%=.cache/bench/%.md)
	@status=0; for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || status=1; done; \
	$(BIN)/python bench/report.py; exit $$status

# Re-pin every dependency from pyproject.toml, the extras screenshots, test and zensical included, into requirements.lock
# (and package-lock.json): make site and make test install the whole lock, test tools too. One lock serves every
# supported Python: pin with the oldest (make lock PYTHON=/usr/bin/python3), then prove it with make test-pythons.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade setuptools
	.lock-venv/bin/python -m pip install --quiet -e ".[screenshots,test,zensical]"
	{ echo "# Generated by \`make lock\` from pyproject.toml: every Python package, pinned. Do not edit by hand."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -vi -e '^branddocs' -e '^pip=='; } > requirements.lock
	rm -rf .lock-venv
	npm install --package-lock-only --no-audit --no-fund

# Move the openai pins (pyproject.toml, package.json) to the newest releases within the majors the guide pins
# (tools/latest.py --lock, asking pip and npm), then re-pin everything; `make test` then says if the guide holds.
lock-latest: $(BIN)/.installed
	$(BIN)/python tools/latest.py --lock
	$(MAKE) lock

# Every brand's examples with the newest openai releases the guide's install commands give today (PyPI, npm),
# in scratch environments under .cache/latest/, beside the locked ones; a table of example by SDK version.
# Then the test that shows an example only the newest SDK breaks fails the run. LATEST_ARGS="--npm openai@latest"
# tries the next major.
test-latest: known-brand $(BIN)/.installed node_modules/.installed
	$(BIN)/python tools/latest.py $${BRAND:+--brand "$$BRAND"} $(LATEST_ARGS)
	$(BIN)/pytest tests/test_sdk_versions.py -k newest_sdk_breaks

screenshots: $(BIN)/.installed
	$(BIN)/python tools/make_screenshots.py $${BRAND:+"$$BRAND"}

# Real vLLM and a LiteLLM gateway on loopback (about 4 GB in .compat/), the guide's examples against each.
compat: $(BIN)/.installed node_modules/.installed
	$(BIN)/python tools/compat.py $${BRAND:+--brand "$$BRAND"}

# The build, example, endpoint and interpreter tests with every supported CPython found here (python3.11 to
# python3.14 on PATH, /usr/bin/python3, pyenv's versions, $$PYTHONS), one at a time, each in its own
# .venv-<version>; then a table of Python by result. TEST_PYTHONS_ARGS="--all" runs the whole suite with each.
test-pythons: system-packages node_modules/.installed
	@$(PYTHON) tools/test_pythons.py $(TEST_PYTHONS_ARGS)

clean:
	rm -rf site .pytest_cache reports
