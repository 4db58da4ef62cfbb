"""A failed vLLM worker is named by what its log shows, with the setting that fixes it."""

import pytest

from labelrisk.annotation.vllm_worker import diagnose

pytestmark = pytest.mark.unit

OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
    "capacity of 79.10 GiB of which 1.2 GiB is free."
)
KV = "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization`"
PTX = "RuntimeError: CUDA error: the provided PTX was compiled with an unsupported toolchain."


@pytest.mark.parametrize("log", [OOM, KV])
def test_gpu_out_of_memory_names_the_knobs(log):
    text = diagnose("INFO loading\n" + log, "/env/bin/python")
    assert text.startswith("the GPU ran out of memory")
    assert "vllm.max_model_len" in text and "vllm.gpu_memory_utilization" in text
    assert "installed" not in text


def test_ptx_toolchain_points_at_the_compat_package():
    text = diagnose(PTX, "/env/bin/python")
    assert "forward-compatibility package" in text and "cuda-compat" in text


def test_missing_vllm_and_unknown_failures_name_the_interpreter():
    missing = diagnose("ModuleNotFoundError: No module named 'vllm'", "/env/bin/python")
    assert missing.startswith("vLLM is not installed for /env/bin/python")
    assert "/env/bin/python" in diagnose("Segmentation fault", "/env/bin/python")
