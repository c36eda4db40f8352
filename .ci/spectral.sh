#!/usr/bin/env bash
# Spectral and the OWASP ruleset, exactly as locked in .ci/spectral/package-lock.json (npm registry).
set -euo pipefail
cd "$(dirname "$0")/spectral"
if [ -x node_modules/.bin/spectral ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/spectral --version
