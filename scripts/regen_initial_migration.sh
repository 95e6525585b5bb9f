#!/usr/bin/env bash
# Regenerate migrations/versions/0001_initial.py from the models. Only valid before the first
# release (nothing deployed yet); after that, add a new revision with `alembic revision --autogenerate`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from bot.migrate import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/empty.db")
command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
PY
for f in migrations/versions/0001_*.py; do [ "$f" = migrations/versions/0001_initial.py ] || mv "$f" migrations/versions/0001_initial.py; done
.venv/bin/ruff format -q migrations/versions/0001_initial.py
.venv/bin/ruff check -q --fix migrations/versions/0001_initial.py || true
rm -rf "$tmp"
echo "regenerated migrations/versions/0001_initial.py"
