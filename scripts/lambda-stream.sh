#!/bin/sh
# The streaming function's start command (serverless.yml, function "stream"). The Lambda Web
# Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs it at init, waits until
# AWS_LWA_READINESS_CHECK_PATH answers, then forwards every invocation to this server and
# streams the answer back (AWS_LWA_INVOKE_MODE=response_stream).
set -eu
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m handlers.cli serve --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}"
