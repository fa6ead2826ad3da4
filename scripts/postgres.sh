#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the step-04
# and later grading tests, when this machine has one. Starting it is best
# effort: without PostgreSQL those tests say so and grade SQLite only.
set -uo pipefail

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "PostgreSQL answers on 127.0.0.1:5432"
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1 || true
  done
  for _ in $(seq 1 20); do
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && { echo "PostgreSQL answers on 127.0.0.1:5432"; exit 0; }
    sleep 0.5
  done
fi
echo "no PostgreSQL on 127.0.0.1:5432: the PostgreSQL grading tests will be skipped"
exit 0
