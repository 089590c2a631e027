#!/usr/bin/env bash
# Remove every service of a stage, router first, data last: scripts/remove-all.sh <stage> [serverless args]
set -euo pipefail
stage="${1:?usage: scripts/remove-all.sh <stage> [serverless args]}"
shift
exec "$(dirname "$0")/deploy-all.sh" "$stage" --remove "$@"
