#!/bin/sh
# A command agent: reads the task (JSON) on stdin, prints its output (one JSON object) on stdout.
# A non-zero exit fails the attempt; what it printed on stderr is the reason. Baton retries it.
set -eu
cat > /dev/null   # this agent needs nothing from its input

# Quotes a value as a JSON string.
json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# df -P: POSIX output; the 4th column is the free space in 1K blocks, the 2nd the size.
set -- $(df -Pk . | tail -n 1)
disk_total_kb=$2
disk_free_kb=$4

printf '{"machine-facts":{"system":%s,"release":%s,"architecture":%s,"processors":%s,"diskTotalMB":%s,"diskFreeMB":%s,"checkedAt":%s}}\n' \
  "$(json "$(uname -s)")" "$(json "$(uname -r)")" "$(json "$(uname -m)")" \
  "$cpus" "$((disk_total_kb / 1024))" "$((disk_free_kb / 1024))" \
  "$(json "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
