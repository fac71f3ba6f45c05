#!/usr/bin/env bash
# Make PostgreSQL server binaries available for the test suite, if this machine allows it.
# Prints one line saying which PostgreSQL is available, or why not. Always exits 0: without
# PostgreSQL the tests simply run on SQLite only (tests/pg.py says so in the summary).
set -u

find_server() {  # the newest /usr/lib/postgresql/<major>/bin with a server, else PATH
    local dir
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            printf '%s' "$dir"
            return
        fi
    done
    if command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 \
        && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v postgres)"
    fi
}

report() {
    local version
    version="$("$1/postgres" --version 2>/dev/null | head -n 1)"
    echo "PostgreSQL: ${version:-server} available in $1"
}

bin="$(find_server)"
if [ -n "$bin" ]; then
    report "$bin"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL: unavailable (no server binaries and not root, cannot apt-get install); tests run on SQLite only"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL: unavailable (no server binaries and no apt-get); tests run on SQLite only"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
if apt-get update -qq >"$log" 2>&1 && apt-get install -y -qq postgresql >>"$log" 2>&1; then
    bin="$(find_server)"
fi
if [ -n "$bin" ]; then
    report "$bin"
else
    echo "PostgreSQL: unavailable (apt-get install postgresql failed: $(tail -n 1 "$log")); tests run on SQLite only"
fi
rm -f "$log"
exit 0
