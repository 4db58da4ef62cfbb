"""A teacher folder must hold a tokenizer that can write the prompt and read the answer:
checked when the teacher is fetched, not after an annotation job has loaded the weights."""

from __future__ import annotations

from pathlib import Path

# Files a transformers tokenizer is built from: a `tokenizers` file, a SentencePiece or
# tiktoken model, or the vocabulary files of byte-level BPE or WordPiece.
TOKENIZER_FILES = [
    ("tokenizer.json",),
    ("tokenizer.model",),
    ("vocab.json", "merges.txt"),
    ("vocab.txt",),
    ("tokenizer.tiktoken",),
]


class TokenizerError(ValueError):
    pass


def check_tokenizer(folder: str | Path, name: str) -> None:
    """Raise a TokenizerError naming the teacher, the folder and what is missing when its
    tokenizer cannot be loaded or cannot encode the class ids `0` and `1` as one token each
    (every dataset has at least two labels; the teacher answers with the class id)."""
    folder = Path(folder)
    where = f"teacher {name!r} ({folder})"
    if not any(all((folder / f).is_file() for f in group) for group in TOKENIZER_FILES):
        wanted = ", ".join(" + ".join(group) for group in TOKENIZER_FILES)
        raise TokenizerError(f"{where} has no tokenizer: none of {wanted} is in the folder")
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(folder)
    except Exception as e:  # transformers raises many types for a broken tokenizer
        raise TokenizerError(f"{where}: the tokenizer cannot be loaded: {e}") from e
    if len(tok) == 0:
        raise TokenizerError(f"{where}: the tokenizer has an empty vocabulary")
    ids = [tok.encode(str(k), add_special_tokens=False) for k in (0, 1)]
    if any(len(t) != 1 for t in ids) or ids[0] == ids[1]:
        raise TokenizerError(
            f"{where}: the class ids '0' and '1' must be one token each, they are {ids}"
        )
