#!/usr/bin/env bash
# Make headless Chromium and its driver (Debian packages chromium, chromium-driver) available for
# the browser tests. Prints one line saying what is available or why not. Exits 0 either way:
# the browser tests then fail with that reason (they never skip).
set -u
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium: unavailable (not root or no apt-get); install chromium and chromium-driver"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
if apt-get update -qq >"$log" 2>&1 \
    && apt-get install -y -qq --no-install-recommends chromium chromium-driver >>"$log" 2>&1; then
    echo "Chromium: installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
    echo "Chromium: apt-get install chromium chromium-driver failed: $(tail -n 1 "$log")"
fi
rm -f "$log"
exit 0
