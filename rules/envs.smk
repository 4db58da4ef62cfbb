# Software environments: which envs/*.yaml a rule runs in under `--sdm conda`, chosen by
# `compute.platform` (labelrisk.platforms), never by editing an environment file. `auto` reads
# the NVIDIA driver of the machine Snakemake plans on (none on most login nodes: CUDA 13).

from labelrisk import devices as lr_devices  # noqa: E402
from labelrisk import platforms as lr_platforms  # noqa: E402

DRIVER = lr_devices.driver_version()


def conda_env(env, gpus=0):
    """A rule's environment file for `compute.platform` (CPU or CUDA builds)."""
    return os.path.join("..", "envs", lr_platforms.env_file(env, COMPUTE["platform"], gpus, DRIVER))


def backend_image(backend):
    """The container of a backend's rules with `--sdm apptainer` (None: the host)."""
    return lr_backends.get(backend).image
