#!/usr/bin/env bash
# What deploying a stage would change, shown before anything applies: packages every service
# (scripts/package-all.sh), then prints, per stack, the diff between the CloudFormation template
# deployed now and the one just packaged (a stack not deployed yet: said so). Read-only in AWS
# (cloudformation:GetTemplate). The prod deploy workflow runs it before its approval:
#   scripts/plan-deploy.sh prod [--region eu-west-2]
set -euo pipefail
cd "$(dirname "$0")/.."
stage="${1:?usage: scripts/plan-deploy.sh <stage> [--region <region>]}"
shift
bash scripts/package-all.sh "$stage" > /dev/null
mapfile -t services < <(node -e "console.log(require('./services/deploy-order.json').services.join('\\n'))")
pretty='const fs = require("fs"); const t = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); console.log(JSON.stringify(typeof t === "string" ? JSON.parse(t) : t, null, 2));'
for service in "${services[@]}"; do
  stack="$(sed -n 's/^service: *//p' "services/$service/serverless.yml" | head -1)-$stage"
  packaged="services/$service/.serverless/cloudformation-template-update-stack.json"
  deployed="$(mktemp)"
  if aws cloudformation get-template --stack-name "$stack" --query TemplateBody --output json "$@" > "$deployed" 2> /dev/null; then
    echo "== $stack: what the deploy changes (- deployed, + packaged)"
    diff -u --label deployed --label packaged <(node -e "$pretty" "$deployed") <(node -e "$pretty" "$packaged") || true
  else
    echo "== $stack: not deployed yet; the deploy creates it"
  fi
  rm -f "$deployed"
done
