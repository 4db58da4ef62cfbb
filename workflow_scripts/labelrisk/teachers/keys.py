"""Keeping the API key out of every config error, log line, exception and file.

The key is read from the environment variable `openai.api_key_env` names and sent as a header
only. A config whose `api_key_env` looks like a key itself, or whose `base_url` carries a user
or password, is refused without showing the value (Snakemake keeps its messages in
`.snakemake/log/`). Every text a server sends back is passed through `redact` before it is
logged or raised: a server may echo the Authorization header in its error.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# An environment variable's name as people write them: upper case, digits, underscores.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
# Prefixes of well-known key formats, for the refusal's wording only.
_KEY_PREFIXES = ("sk-", "sk_", "gsk_", "xai-", "hf_", "pk-", "AIza", "AKIA", "ghp_", "key-")
_BEARER = re.compile(r"(Bearer\s+)[^\s\"',;]+", re.IGNORECASE)


def key_env_error(name, where: str = "openai.api_key_env") -> str | None:
    """Why `name` is no plausible environment-variable name, without quoting it; or None."""
    if name is None:
        return None
    ok = isinstance(name, str) and _ENV_NAME.match(name) is not None
    # A long run of capitals and digits without an underscore is a key, not a name.
    ok = ok and not name.startswith(_KEY_PREFIXES) and ("_" in name or len(name) < 20)
    if not ok:
        looks = isinstance(name, str) and (
            name.startswith(_KEY_PREFIXES) or len(name) >= 20 or not _ENV_NAME.match(name)
        )
        kind = "looks like a key itself" if looks else "is no environment-variable name"
        return (
            f"{where} {kind} (the value is not shown). It must be the NAME of the environment "
            f"variable that holds the key, in capitals, e.g. OPENAI_API_KEY: `export "
            f"OPENAI_API_KEY=...` in your shell, never the key in a config file"
        )
    return None


def base_url_error(url, where: str = "openai.base_url") -> str | None:
    """Why `url` may not be used (a user or password in it), without quoting it; or None."""
    if not isinstance(url, str):
        return f"{where} must be a URL string"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{where} is not a URL (the value is not shown)"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        host = parts.hostname or "?"
        return (
            f"{where} holds a user name or password before `@{host}` (the value is not shown): "
            f"credentials in a URL are written to logs, records and caches. Put the key in an "
            f"environment variable and name it in openai.api_key_env"
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{where} must start with http:// or https:// and name a host"
    return None


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """`text` with every secret and every `Bearer <token>` replaced by `***`."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _BEARER.sub(r"\1***", text)
