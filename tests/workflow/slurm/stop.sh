#!/usr/bin/env bash
# Stop the daemons tests/workflow/slurm/start.sh started (PIDs in STATE_DIR/pids), only
# those, and remove the /etc/slurm links it made (STATE_DIR/links).
set -uo pipefail
state=${1:?usage: stop.sh STATE_DIR}
pids=$(tac "$state/pids" 2>/dev/null)   # slurmd, slurmctld, then munged
for pid in $pids; do kill "$pid" 2>/dev/null; done
for pid in $pids; do
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
done
rm -f "$state/pids"
if [ -f "$state/links" ]; then
  while read -r link; do
    [ -L "$link" ] && [ "$(readlink "$link")" = "$state/$(basename "$link")" ] && rm -f "$link"
  done < "$state/links"
  rm -f "$state/links"
fi
exit 0
