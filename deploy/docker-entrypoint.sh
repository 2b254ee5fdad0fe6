#!/bin/sh
# MODE=api | worker | migrate, as Dify's api image; extra arguments go to the command.
set -e
case "${MODE:-api}" in
  api | worker) exec node /app/bin/difyctl.js serve --mode "${MODE:-api}" "$@" ;;
  migrate)
    # MODE is also a server setting (api | worker | beat): the job is not one of those.
    unset MODE
    exec node /app/bin/difyctl.js migrate "$@"
    ;;
  *)
    echo "MODE=${MODE} is not one of api, worker, migrate" >&2
    exit 2
    ;;
esac
