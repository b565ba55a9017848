"""Reaching the Hugging Face hub: one quick probe, so offline runs fail in seconds instead of hanging."""

from __future__ import annotations

import socket
import urllib.parse


def hub_reachable(timeout: float = 5.0) -> tuple[bool, str]:
    """Whether the hub endpoint answers a TCP connection within ``timeout`` seconds, and if not, why.

    Honours ``HF_HUB_OFFLINE`` and ``HF_ENDPOINT``; makes one attempt, no retries.
    """
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False, "HF_HUB_OFFLINE is set"
    parsed = urllib.parse.urlparse(constants.ENDPOINT)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True, ""
    except OSError as error:
        return False, f"{parsed.hostname}:{port} did not answer ({error.__class__.__name__}: {error})"
