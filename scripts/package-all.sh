#!/usr/bin/env bash
# `serverless package` every service for a stage (default dev): builds the bundles and the
# CloudFormation that a deploy would upload, with no AWS call. Used by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:-dev}"
for service in data whatsapp-processor sms-processor email-processor router; do
  echo "== serverless package --stage $stage: services/$service"
  (cd "services/$service" && ../../node_modules/.bin/serverless package --stage "$stage")
done
