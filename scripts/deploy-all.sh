#!/usr/bin/env bash
# Deploy (or remove) every service of a stage, in dependency order: each stack imports what the
# ones before it export (data → channel queues/processors → router).
#   scripts/deploy-all.sh <stage> [--remove] [extra serverless arguments, e.g. --region eu-west-2]
#   pnpm run deploy -- dev                pnpm run remove -- dev
# Removing keeps the data stack's tables outside dev (DeletionPolicy: Retain) and stops at the
# first failure, so nothing is removed out of order.
set -euo pipefail
# `pnpm run deploy -- dev` passes the "--" through; ignore it.
if [ "${1:-}" = "--" ]; then shift; fi
cd "$(dirname "$0")/.."

stage="${1:?usage: scripts/deploy-all.sh <stage> [--remove] [serverless args]}"
shift
action=deploy
if [ "${1:-}" = "--remove" ]; then action=remove; shift; fi

services=(data whatsapp-processor sms-processor email-processor router)
if [ "$action" = remove ]; then
  services=(router email-processor sms-processor whatsapp-processor data)
fi

for service in "${services[@]}"; do
  echo "== serverless $action --stage $stage: services/$service"
  (cd "services/$service" && ../../node_modules/.bin/serverless "$action" --stage "$stage" "$@")
done
echo "== $action of stage $stage done"
