#!/usr/bin/env bash
# Install as a new user would: build the wheel, install it (not editable) in a second
# venv with the locked dependencies, and ask one question from another folder with a
# fresh home, so that nothing can come from the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work" build' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/pip wheel -q --no-deps --no-build-isolation . -w "$work/dist"
python3 -m venv "$work/venv"
# The base install (no extras: the instant answer needs no generator); torch==2.13.0
# resolves to the CPU wheel on disk, checked below.
"$work/venv/bin/pip" install -q "$work"/dist/*.whl
"$work/venv/bin/python" -c "import torch; assert '+cpu' in torch.__version__, torch.__version__"
mkdir "$work/home" "$work/elsewhere"
cd "$work/elsewhere"
HOME="$work/home" HF_HUB_OFFLINE=1 "$work/venv/bin/rag" ask \
  "Combien de grands modèles linguistiques la Chine compte-t-elle ?" --mode extractive \
  | tee "$work/answer.txt"
grep -q "130" "$work/answer.txt"
test -f "$work/home/.local/share/rag-news/index/default/manifest.json"
# the question set ships too
HOME="$work/home" "$work/venv/bin/rag" eval --retrieval-only --limit 5 --out "$work/out" >/dev/null
echo "wheel: installed without -e, answered from another folder, index in the user's data folder"
