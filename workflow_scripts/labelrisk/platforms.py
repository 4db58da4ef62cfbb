"""Which software environment (envs/*.yaml) a rule runs in, by `compute.platform`.

The CPU environments are what the tests and the default run use; GPU jobs need CUDA builds,
and which CUDA build runs depends on the NVIDIA driver: torch 2.13.0 and vllm 0.32.0 from PyPI
are CUDA 13.0 builds (driver 580 or newer); `cuda12` pins the early-2025 releases whose PyPI
wheels are CUDA 12.4 builds, vllm 0.8.5.post1 with torch 2.6.0 (driver 525.60.13 or newer).
Every environment installs from the package index alone. Chosen by a config key (on the command
line or in a profile), never by editing an environment file.
"""

from __future__ import annotations

from labelrisk.devices import DRIVER_FLOOR, _version

PLATFORMS = ("auto", "cpu", "cuda13", "cuda12")

# The CUDA version each GPU platform's torch is built for (torch's nvidia-*-cu13/cu12 pins);
# the oldest driver each runs on is labelrisk.devices.DRIVER_FLOOR.
BUILD_CUDA = {"cuda13": "13.0", "cuda12": "12.4"}

# The image the GPU rules run in with `--sdm conda apptainer`: Ubuntu 22.04 (glibc 2.35), CUDA
# 12.4 and conda; Snakemake builds the rule's environment file inside it, so a host's own glibc
# (RHEL 8: 2.28) and CUDA toolkit do not matter. By tag: no digest could be verified here.
GPU_IMAGE = "docker://pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"

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


def gpu_platform(driver: str | None) -> str:
    """The CUDA builds for a machine's NVIDIA driver: cuda13 from driver 580 on, cuda12 below.
    No driver visible (a login node) gives cuda13; preflight on a GPU node then names the fix."""
    if driver and _version(driver) < _version(DRIVER_FLOOR[13]):
        return "cuda12"
    return "cuda13"


def platform(setting: str, gpus: int, driver: str | None = None) -> str:
    """`auto`: for a rule that asks for GPUs, the CUDA builds `driver` runs (`gpu_platform`);
    the CPU builds otherwise."""
    if setting not in PLATFORMS:
        raise ValueError(f"compute.platform: {setting!r} is not one of {', '.join(PLATFORMS)}")
    if setting == "auto":
        return gpu_platform(driver) if gpus > 0 else "cpu"
    return setting


def env_file(env: str, setting: str = "auto", gpus: int = 0, driver: str | None = None) -> str:
    """The file name under envs/ of environment `env` for a rule asking for `gpus` GPUs."""
    return ENVS[platform(setting, gpus, driver)].get(env, f"{env}.yaml")
