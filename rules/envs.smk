# Software environments: which envs/*.yaml a rule runs in under `--sdm conda`, chosen by
# `compute.platform` (labelrisk.platforms), never by editing an environment file.

from labelrisk import platforms as lr_platforms  # noqa: E402


def conda_env(env, gpus=0):
    """A rule's environment file for `compute.platform` (CPU or CUDA builds)."""
    return os.path.join("..", "envs", lr_platforms.env_file(env, COMPUTE["platform"], gpus))
