"""Small helpers every notebook's first cell uses: the profile in force and the key package versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform

DEFAULT_PROFILE = "laptop"
KEY_PACKAGES = ("torch", "transformers", "trl", "peft", "datasets", "numpy", "matplotlib", "ipywidgets")


def profile_name(environ: dict[str, str] | None = None) -> str:
    """The profile chosen by ``WORDLE_PROFILE`` (default ``laptop``)."""
    return (environ if environ is not None else os.environ).get("WORDLE_PROFILE", DEFAULT_PROFILE) or DEFAULT_PROFILE


def environment_report() -> str:
    """One line per fact: profile, Python, and the versions of the packages the course relies on."""
    lines = [f"profile: {profile_name()}", f"python: {platform.python_version()}"]
    for package in KEY_PACKAGES:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"{package}: {version}")
    return "\n".join(lines)
