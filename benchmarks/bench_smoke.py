"""The smoke profile's time targets, measured as CI meets them: base build + SFT ≤ 60 s, GRPO ≤ 60 s,
notebooks 03 and 04 under nbmake ≤ 2 min each, all six notebooks ≤ 5 min, a full CI run ≤ 25 min.

    python benchmarks/bench_smoke.py [--no-ci]   # writes the "smoke" section (about 8 minutes with CI)

Every part starts from an empty output folder, as on a fresh clone: the CLI runs build and train the smoke
model, and each notebook runs alone under nbmake, in course order (notebook 03 builds its base model and
trains SFT, notebook 04 trains GRPO). The CI run is `.ci/run` on a fresh `git clone` of the committed HEAD,
set-up included.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

from results import write_section

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LIMITS = {"03_sft": 120, "04_grpo_from_sft": 120}  # seconds, per notebook under nbmake


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    """Run ``command`` and return its wall time; a failure stops the benchmark with the command's output."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{(done.stdout + done.stderr)[-4000:]}")
    print(f"{seconds:7.1f} s  {' '.join(command)}", flush=True)
    return seconds


def smoke_env(output_dir: str) -> dict[str, str]:
    """This process's environment with the smoke profile and its own output folder."""
    return {**os.environ, "WORDLE_PROFILE": "smoke", "WORDLE_OUTPUT_DIR": output_dir}


def cli_times() -> dict[str, float]:
    """Build + SFT and GRPO through the CLI, from an empty output folder; the build's own share from its log."""
    with tempfile.TemporaryDirectory() as out:
        env = smoke_env(out)
        sft = timed([sys.executable, "-m", "wordle_helpers", "sft", "--profile", "smoke"], env)
        grpo = timed([sys.executable, "-m", "wordle_helpers", "grpo", "--profile", "smoke"], env)
        build = json.loads(next(Path(out).rglob("build.json")).read_text())["seconds"]
    return {"sft": sft, "grpo": grpo, "build": build}


def notebook_times() -> dict[str, float]:
    """Each notebook alone under nbmake, in course order, sharing one output folder that starts empty."""
    with tempfile.TemporaryDirectory() as out:
        env = smoke_env(out)
        return {nb.stem: timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(nb)], env)
                for nb in NOTEBOOKS}


def ci_time() -> tuple[float, str]:
    """`.ci/run` on a fresh clone of the committed HEAD, and that commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    env = {k: v for k, v in os.environ.items() if k not in ("WORDLE_PROFILE", "WORDLE_OUTPUT_DIR", "VIRTUAL_ENV")}
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        return timed([str(clone / ".ci" / "run")], env, cwd=clone), commit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-ci", action="store_true", help="skip the fresh-clone CI run (about 4 minutes)")
    args = parser.parse_args()
    cli = cli_times()
    notebooks = notebook_times()
    ci = None if args.no_ci else ci_time()

    def verdict(seconds: float, limit: float) -> str:
        return "met" if seconds <= limit else "**not met**"

    total = sum(notebooks.values())
    rows = [
        f"| base model build + SFT (`python -m wordle_helpers sft --profile smoke`; build {cli['build']:.1f} s) "
        f"| {cli['sft']:.1f} s | ≤ 60 s | {verdict(cli['sft'], 60)} |",
        f"| GRPO (`python -m wordle_helpers grpo --profile smoke`) | {cli['grpo']:.1f} s | ≤ 60 s "
        f"| {verdict(cli['grpo'], 60)} |",
    ]
    for name, seconds in notebooks.items():
        limit = LIMITS.get(name)
        rows.append(f"| `{name}.ipynb` under nbmake | {seconds:.1f} s | "
                    + (f"≤ {limit // 60} min | {verdict(seconds, limit)} |" if limit else "| |"))
    rows.append(f"| all {len(notebooks)} notebooks under nbmake | {total / 60:.1f} min | ≤ 5 min | {verdict(total, 300)} |")
    if ci is not None:
        rows.append(f"| full CI run (`.ci/run` on a fresh clone of {ci[1]}: set-up and the whole test suite) "
                    f"| {ci[0] / 60:.1f} min | ≤ 25 min | {verdict(ci[0], 25 * 60)} |")
    body = ("Each part from an empty output folder, as on a fresh clone; the CLI times include starting Python and "
            "loading the libraries. Notebook 03 builds the base model and trains SFT, notebook 04 trains GRPO.\n\n"
            "| part | wall time | target | |\n| --- | --- | --- | --- |\n" + "\n".join(rows))
    write_section("smoke", "The smoke profile: the times CI depends on", body)


if __name__ == "__main__":
    main()
