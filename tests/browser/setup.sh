#!/usr/bin/env bash
# setup.sh: installs playwright-core (the browser driver for tests/browser/e2e.mjs) into
# build/node, never into the repository. Run it where npm can reach its registry (the
# build root may not: then run it on the host; build/ is shared). The browser itself is
# Debian's /usr/bin/chromium: playwright's own browser downloads are not used.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="${PARLEY_NODE_DIR:-$top/build/node}"
mkdir -p "$dir"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save --prefix "$dir" playwright-core@1.65.1
echo "playwright-core installed in $dir"
