#!/usr/bin/env bash
# Deploy (or remove) every service of a stage, in dependency order: each stack imports what the
# ones before it export (services/deploy-order.json: data → compose → reply → router → the three
# channel senders in parallel).
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

# services/deploy-order.json's waves: a service imports only from earlier waves (template-tested),
# so the services of one wave deploy in parallel; removal runs the waves backwards.
mapfile -t waves < <(node -e "const {waves}=require('./services/deploy-order.json'); console.log((process.argv[1]==='remove'?waves.slice().reverse():waves).map((w)=>w.join(' ')).join('\\n'))" "$action")

# Alarms go to the alerts topic; without alertEmail nobody is told (subscribe something else to the topic, or pass it).
if [ "$action" = deploy ] && [[ " $* " != *"alertEmail="* ]]; then
  echo "warning: no --param=\"alertEmail=…\" given: alarms of stage $stage reach the ai-multi-comms-critical-alerts-$stage topic, but no e-mail is subscribed to it." >&2
fi

# SERVERLESS: another CLI in its place (the deploy script's test uses a recording fake).
serverless="${SERVERLESS:-$PWD/node_modules/.bin/serverless}"
for wave in "${waves[@]}"; do
  echo "== serverless $action --stage $stage: $wave"
  pids=()
  for service in $wave; do
    # Each service's output prefixed with its name, so parallel deploys stay readable.
    (cd "services/$service" && "$serverless" "$action" --stage "$stage" "$@" 2>&1 | sed -u "s/^/[$service] /"; exit "${PIPESTATUS[0]}") &
    pids+=("$!")
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  # A failed wave stops here: nothing later deploys (or is removed) out of order.
  if [ "$failed" -ne 0 ]; then echo "== $action of stage $stage stopped: a service of wave [$wave] failed (see its lines above)" >&2; exit 1; fi
done
echo "== $action of stage $stage done"
