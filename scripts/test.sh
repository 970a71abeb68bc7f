#!/usr/bin/env bash
# Runs every test of the workspace, installing what is missing first:
#   cargo-nextest, chromium and playwright-core (for the browser tests), a running PostgreSQL at 127.0.0.1:5432.
# Extra arguments go to `cargo nextest run` (e.g. `scripts/test.sh -p redress-cli`).
# With CI=true anything that cannot be set up is an error; otherwise it is a warning and the
# tests that need it fail on their own.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=127.0.0.1
PG_PORT=5432
# The database the PostgreSQL tests connect to in order to create their throw-away databases.
export REDRESS_TEST_PG_URL="${REDRESS_TEST_PG_URL:-postgres://postgres@${PG_HOST}:${PG_PORT}/test}"

step() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
# A problem that CI must not ignore.
problem() {
    if [ "${CI:-}" = "true" ]; then
        printf 'error: %s\n' "$*" >&2
        exit 1
    fi
    warn "$*"
}

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
fi

apt_updated=false
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    if [ "$apt_updated" = false ]; then
        "${SUDO[@]}" apt-get update -q || return 1
        apt_updated=true
    fi
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@"
}

# ---------------------------------------------------------------- tools

if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

if [ ! -x /usr/bin/chromium ]; then
    step "installing chromium (for the browser tests)"
    apt_install chromium || problem "could not install chromium; the browser tests need /usr/bin/chromium"
fi
# CJK fonts, so that the browser tests' screenshots show the Chinese pages as people see them.
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    step "installing fonts-wqy-microhei (Chinese text in the browser tests' screenshots)"
    apt_install fonts-wqy-microhei || warn "no CJK font; the screenshots in target/browser-artifacts will show boxes"
fi

# ---------------------------------------------------------------- browser tests (node)

# crates/cli/tests/browser.rs runs tests/browser/stories.test.mjs with node (>= 20) and the
# playwright-core pinned in tests/browser/package-lock.json. `npm ci` runs only when the lock
# differs from the one last installed (the copy in node_modules/.redress-installed-lock).
BROWSER_DIR=tests/browser
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' >/dev/null 2>&1; then
    problem "node 20 or later is needed for the browser tests (found: $(node --version 2>/dev/null || echo none))"
elif ! cmp -s "$BROWSER_DIR/package-lock.json" "$BROWSER_DIR/node_modules/.redress-installed-lock"; then
    step "npm ci in $BROWSER_DIR (playwright-core for the browser tests)"
    if npm ci --prefix "$BROWSER_DIR" --no-audit --no-fund; then
        cp "$BROWSER_DIR/package-lock.json" "$BROWSER_DIR/node_modules/.redress-installed-lock"
    else
        problem "npm ci in $BROWSER_DIR failed; the browser tests will fail"
    fi
fi

# ---------------------------------------------------------------- PostgreSQL

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    elif command -v psql >/dev/null 2>&1; then
        psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1
    else
        (exec 3<>"/dev/tcp/${PG_HOST}/${PG_PORT}") 2>/dev/null
    fi
}

if ! pg_ready; then
    step "PostgreSQL is not answering at ${PG_HOST}:${PG_PORT}; trying to start it"
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        for version in $(ls /etc/postgresql); do
            "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 30); do
            pg_ready && break
            sleep 1
        done
    fi
fi

if pg_ready; then
    # The default URL names a database `test`; create it if this server lacks it.
    admin_db="${REDRESS_TEST_PG_URL##*/}"
    admin_db="${admin_db%%\?*}"
    if command -v psql >/dev/null 2>&1 && [[ "$admin_db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
        server_url="${REDRESS_TEST_PG_URL%/*}/postgres"
        if ! psql "$REDRESS_TEST_PG_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
            psql "$server_url" -Atqc "CREATE DATABASE \"$admin_db\"" >/dev/null 2>&1 ||
                problem "cannot connect to ${REDRESS_TEST_PG_URL} nor create that database"
        fi
    fi
else
    problem "PostgreSQL at ${PG_HOST}:${PG_PORT} is unreachable; the PostgreSQL tests will fail"
fi

# ---------------------------------------------------------------- Python (Open311 client test)

# crates/cli/tests/open311_client.rs runs tests/open311/georeport_client.py with this interpreter
# (the PyPI package georeport, an independent GeoReport v2 client, and what it needs).
PYENV=target/pyenv
make_pyenv() {
    rm -rf "$PYENV"
    python3 -m venv "$PYENV" && "$PYENV/bin/pip" install -q georeport==0.3.1
}
if ! "$PYENV/bin/python" -c 'import georeport' >/dev/null 2>&1; then
    step "creating $PYENV with georeport==0.3.1 (for the Open311 client test)"
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv || true
    make_pyenv || { apt_install python3-venv && make_pyenv; } ||
        problem "could not create $PYENV with georeport; the Open311 client test will fail"
fi

# ---------------------------------------------------------------- tests

step "cargo nextest run --workspace --profile ci $*"
status=0
cargo nextest run --workspace --profile ci "$@" || status=$?

# The browser tests are part of that run: crates/cli/tests/browser.rs (screenshots in
# target/browser-artifacts/).

if [ "$status" -eq 0 ]; then
    step "all tests passed"
else
    step "tests FAILED (exit $status); see the nextest summary above"
fi
exit "$status"
