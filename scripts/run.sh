#!/bin/sh
# `make run`: print a dev token and ready-to-paste commands, then serve on the embedded store.
set -eu
token=$("$BIN/burstream" token --tenant demo --scope "publish subscribe")
url="http://$HOST:$PORT"
cat <<MSG

  burstream dev server: $url  (embedded store unless BURSTREAM_REDIS_URL is set)

  Dev token (tenant "demo", publish + subscribe, 12 h):
    export BURSTREAM_TOKEN=$token

  Follow the stream in a second terminal:
    BURSTREAM_TOKEN=$token $BIN/burstream tail --url $url --tenant demo --stream metrics

  Publish an event:
    curl -sS -X POST $url/api/v1/tenants/demo/streams/metrics/events \\
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \\
      -d '{"events":[{"type":"metric","data":{"cpu":0.42}}]}'

  Raw SSE burst:  curl -N -H "Authorization: Bearer $token" $url/api/v1/tenants/demo/streams/metrics/events
  API docs:       $url/api/v1/schema

MSG
exec "$BIN/burstream" serve --host "$HOST" --port "$PORT"
