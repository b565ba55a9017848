"""Writing benchmark figures into benchmarks/RESULTS.md, one section per benchmark script.

Each script replaces only its own section (between ``<!-- section: NAME -->`` markers), so figures from
different benchmarks and runs live side by side, each labelled with its date and machine.
"""

from __future__ import annotations

from datetime import date
import os
from pathlib import Path
import platform
import re

# WORDLE_RESULTS writes elsewhere (the tests run benchmark scripts without touching the committed file).
RESULTS = Path(os.environ.get("WORDLE_RESULTS") or Path(__file__).resolve().parent / "RESULTS.md")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HEADER = "# Benchmark results\n\nWritten by the scripts in `benchmarks/` (`make bench`); each section says when and where it ran.\n"


def vector_units(flags: set[str]) -> str:
    """The widest vector instructions among a CPU's ``/proc/cpuinfo`` flags: one host name covers CPUs with and
    without AVX-512 and bfloat16, which build different tiny models, the one without them about half as fast."""
    if flags & {"avx512_bf16", "amx_bf16"}:
        return "AVX-512 with bfloat16"
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("asimd", "NEON")):
        if flag in flags:
            return name
    return "no AVX2"


def machine() -> str:
    """CPU model with its vector instructions, core count and memory, in one line."""
    model = platform.processor() or platform.machine()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        for line in lines:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith(("flags", "Features"))), None)
        if flags is not None:
            model += f" ({vector_units(set(flags))})"
        memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        gib = int(memory.split()[1]) / 2**20
    except (OSError, StopIteration):
        gib = float("nan")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores, {gib:.0f} GiB, Python {platform.python_version()}"


def original_lists() -> tuple[list[str], list[str]] | None:
    """The original Wordle lists from ../shared/data for side-by-side figures, or None when absent."""
    answers, allowed = SHARED_DATA / "wordle_answers.txt", SHARED_DATA / "wordle_allowed.txt"
    if not (answers.exists() and allowed.exists()):
        return None
    return answers.read_text().split(), allowed.read_text().split()


def targets_line(checks: dict[str, bool]) -> str:
    """The targets a section's figures meet and miss, in one line (only the parts that apply)."""
    met = [name for name, ok in checks.items() if ok]
    missed = [name for name, ok in checks.items() if not ok]
    parts = ([f"Met: {'; '.join(met)}."] if met else []) + ([f"**Not met: {'; '.join(missed)}.**"] if missed else [])
    return " ".join(parts) or "No targets."


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or add) the section ``name`` of RESULTS.md with ``body``, stamped with date and machine."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    block = (
        f"<!-- section: {name} -->\n## {title}\n\n"
        f"Measured {date.today().isoformat()} on {machine()}.\n\n{body.strip()}\n<!-- end: {name} -->\n"
    )
    pattern = re.compile(rf"<!-- section: {re.escape(name)} -->.*?<!-- end: {re.escape(name)} -->\n", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")
