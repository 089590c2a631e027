#!/usr/bin/env bash
# Deploy (or remove) every service of a stage, in dependency order: each stack imports what the
# ones before it export (services/deploy-order.json: data → compose → reply → router → channel senders).
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

# services/deploy-order.json is the one list of deployables; removal runs it backwards.
mapfile -t services < <(node -e "const {services}=require('./services/deploy-order.json'); console.log((process.argv[1]==='remove'?services.slice().reverse():services).join('\\n'))" "$action")

# Alarms go to the alerts topic; without alertEmail nobody is told (subscribe something else to the topic, or pass it).
if [ "$action" = deploy ] && [[ " $* " != *"alertEmail="* ]]; then
  echo "warning: no --param=\"alertEmail=…\" given: alarms of stage $stage reach the ai-multi-comms-critical-alerts-$stage topic, but no e-mail is subscribed to it." >&2
fi

for service in "${services[@]}"; do
  echo "== serverless $action --stage $stage: services/$service"
  (cd "services/$service" && ../../node_modules/.bin/serverless "$action" --stage "$stage" "$@")
done
echo "== $action of stage $stage done"
