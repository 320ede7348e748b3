#!/bin/sh
# A pretend "restart": safe to run anywhere, it changes nothing. Used by examples/demo.toml.
# The unit arrives as one argument (the bot never uses a shell to build the command line);
# printf '%s' keeps it literal here too.
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: pretend_restart.sh UNIT" >&2
    exit 2
fi
unit=$1

if [ "$unit" = "broken" ]; then
    printf '%s\n' "cannot restart $unit: unit is in a failed state (pretend)" >&2
    exit 3
fi

printf '%s\n' "restarting $unit…"
sleep 0.2
printf '%s\n' "$unit restarted (pretend: nothing was changed)"
