"""Which software environment (envs/*.yaml) a rule runs in, by `compute.platform`.

The CPU environments are what the tests and the default run use; GPU jobs need CUDA builds,
and which CUDA build runs depends on the NVIDIA driver: torch 2.13.0 and vllm 0.32.0 from PyPI
are CUDA 13.0 builds (driver 580 or newer), `cuda12` takes CUDA 12.9 builds from PyTorch's and
vLLM's own wheel hosts (driver 525.60.13 or newer). Chosen by a config key (on the command line
or in a profile), never by editing an environment file.
"""

from __future__ import annotations

PLATFORMS = ("auto", "cpu", "cuda13", "cuda12")

# Environment files per platform, where they differ. `tables` and `models` (downloads, and the
# transformers backend, which scores on the CPU) are the same everywhere.
ENVS = {
    "cpu": {
        "annotation-vllm": "annotation-vllm.yaml",
        "students": "students.yaml",
    },
    "cuda13": {
        "annotation-vllm": "annotation-vllm-cuda13.yaml",
        "students": "students.yaml",  # torch from PyPI is the CUDA 13 build
    },
    "cuda12": {
        "annotation-vllm": "annotation-vllm-cuda12.yaml",
        "students": "students-cuda12.yaml",
    },
}


def platform(setting: str, gpus: int) -> str:
    """`auto`: the CUDA 13 builds for a rule that asks for GPUs, the CPU builds otherwise."""
    if setting not in PLATFORMS:
        raise ValueError(f"compute.platform: {setting!r} is not one of {', '.join(PLATFORMS)}")
    if setting == "auto":
        return "cuda13" if gpus > 0 else "cpu"
    return setting


def env_file(env: str, setting: str = "auto", gpus: int = 0) -> str:
    """The file name under envs/ of environment `env` for a rule asking for `gpus` GPUs."""
    return ENVS[platform(setting, gpus)].get(env, f"{env}.yaml")
