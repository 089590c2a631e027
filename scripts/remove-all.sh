#!/usr/bin/env bash
# Remove every service of a stage, the deploy waves backwards (senders first, data last): scripts/remove-all.sh <stage> [serverless args]
set -euo pipefail
# `pnpm run deploy -- dev` passes the "--" through; ignore it.
if [ "${1:-}" = "--" ]; then shift; fi
stage="${1:?usage: scripts/remove-all.sh <stage> [serverless args]}"
shift
exec "$(dirname "$0")/deploy-all.sh" "$stage" --remove "$@"
