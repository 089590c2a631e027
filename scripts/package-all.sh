#!/usr/bin/env bash
# `serverless package` every service for a stage (default dev): builds the bundles and the
# CloudFormation that a deploy would upload, with no AWS call. Used by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-dev}"
mapfile -t services < <(node -e "console.log(require('./services/deploy-order.json').services.join('\\n'))")
for service in "${services[@]}"; do
  echo "== serverless package --stage $stage: services/$service"
  (cd "services/$service" && ../../node_modules/.bin/serverless package --stage "$stage")
done
