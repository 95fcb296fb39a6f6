#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11:
#   ./dev.sh report   set up .venv, generate the demonstration data, run the notebooks,
#                     and write the HTML report (reports/index.html)
#   ./dev.sh test     set up .venv with the test tools; run ruff, mypy and the whole test suite
#   ./dev.sh docs     build the documentation site offline into docs/_build/html (fails on warnings)
# Anything after the first word is passed on (e.g. ./dev.sh test -k territories).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
      PYTHON_BIN="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON_BIN" ] || { echo "dev.sh: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

VENV="${IMPACT_VENV:-.venv}"
# Re-install only when pyproject.toml changed since the last install.
hash="$("$PYTHON_BIN" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest()[:16])')"
stamp="$VENV/.impact-installed-$hash"
docs_stamp="$VENV/.impact-docs-installed-$hash"
# The main environment: impact with the test tools, and with the docs extra when asked
# (`./dev.sh docs`, or `./dev.sh setup --docs` in CI, so that nothing installs while tests run).
main_env() {
  local with_docs="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> Creating the virtual environment $VENV with $PYTHON_BIN"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local extras=""
  [ -f "$stamp" ] || extras="test"
  [ "$with_docs" = 0 ] || [ -f "$docs_stamp" ] || extras="${extras:+$extras,}docs"
  [ -n "$extras" ] || return 0
  echo "==> Installing impact and its dependencies ($extras) into $VENV (first run takes about a minute)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e ".[$extras]"
  if [[ "$extras" == *test* ]]; then rm -f "$VENV"/.impact-installed-*; touch "$stamp"; fi
  if [[ "$extras" == *docs* ]]; then rm -f "$VENV"/.impact-docs-installed-*; touch "$docs_stamp"; fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  compat) ;;  # its own environment (below)
  docs) main_env 1 ;;
  setup) main_env "$([ "${1:-}" = "--docs" ] && echo 1 || echo 0)" ;;
  *) main_env 0 ;;
esac
case "$cmd" in
  report)
    exec "$VENV/bin/impact" report "$@" ;;
  setup)
    # The environment only (CI installs it first, then runs the suites side by side).
    echo "==> $VENV is ready" ;;
  test)
    # Lint and types first (seconds), then the tests, the docstring examples and the notebooks.
    echo "==> ruff check src tests"
    "$VENV/bin/ruff" check src tests
    echo "==> mypy (src/impact)"
    "$VENV/bin/mypy"
    # Two workers (this project's CI machines have two cores; IMPACT_TEST_WORKERS=0 runs in
    # one process). --dist loadfile keeps each file, hence each notebook's cells, on one worker.
    exec "$VENV/bin/python" -m pytest -n "${IMPACT_TEST_WORKERS:-2}" --dist loadfile "$@" ;;
  compat)
    # CI only: the library tests again with the oldest supported pandas and geopandas. The
    # reference peers (test extra) are left out: their comparisons ran in the main suite, and
    # the tests that use them (tests/estimate, ignored below) would fail here under CI=true;
    # what is checked is the library on old pandas/geopandas.
    CVENV="${IMPACT_COMPAT_VENV:-.venv-compat}"
    if [ ! -f "$CVENV/.impact-deps-$hash" ]; then
      echo "==> Creating $CVENV with pandas 2.2 and geopandas 1.0"
      [ -x "$CVENV/bin/python" ] || "$PYTHON_BIN" -m venv "$CVENV"
      # The dependencies listed in pyproject.toml, read without building the package.
      mapfile -t deps < <("$CVENV/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
      "$CVENV/bin/python" -m pip install --quiet "${deps[@]}" "pytest>=8" "pandas==2.2.*" "geopandas==1.0.*"
      rm -f "$CVENV"/.impact-deps-*
      touch "$CVENV/.impact-deps-$hash"
    fi
    # `compat --deps` stops here: CI installs these beside the main environment, and builds
    # impact itself into $CVENV (next line) only afterwards, as both builds write src/*.egg-info.
    if [ "${1:-}" = "--deps" ]; then echo "==> $CVENV has its dependencies"; exit 0; fi
    if [ ! -f "$CVENV/.impact-installed-$hash" ]; then
      "$CVENV/bin/python" -m pip install --quiet --no-deps -e .
      rm -f "$CVENV"/.impact-installed-*
      touch "$CVENV/.impact-installed-$hash"
    fi
    # Estimators' tests (numpy/scipy on small frames) are left to the main suite: CI stays under
    # 15 min. Every docstring example runs here too: their printed frames must not depend on
    # the pandas version.
    exec "$CVENV/bin/python" -m pytest -o addopts="-ra --doctest-modules" -p no:cacheprovider \
      src/impact tests --ignore=tests/notebooks --ignore=tests/reports --ignore=tests/estimate "$@" ;;
  docs)
    # Offline (no intersphinx, notebooks not executed), from scratch (-E: every warning is
    # seen again, not only those of changed pages), and any warning fails the build.
    MPLBACKEND=Agg "$VENV/bin/python" -m sphinx -M html docs docs/_build -E -W --keep-going -q "$@"
    echo "==> Documentation built: open docs/_build/html/index.html" ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac
