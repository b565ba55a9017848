"""Scale-out paths on the CPU: SFT and GRPO as two data-parallel processes under `accelerate launch`, and
the GPU memory and gpu course-path benchmarks' dry runs, and the GRPO seeds benchmark on the smoke profile."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
import shutil
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-4000:] + "\n" + result.stderr[-6000:]
    return result


def test_sft_and_grpo_train_as_two_processes_under_accelerate_launch(smoke_base, tmp_path: Path) -> None:
    from wordle_helpers.modeling import base_dir
    from wordle_helpers.profiles import get_profile

    # A separate output folder holding a copy of the smoke base model, so the notebooks' runs are untouched.
    shutil.copytree(base_dir(get_profile("smoke")), tmp_path / "smoke" / "base")
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path), "WORDLE_PROFILE": "smoke", "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
              str(ROOT / "configs" / "accelerate" / "cpu_2proc.yaml"), "-m", "wordle_helpers"]
    for stage in ("sft", "grpo"):
        _run(launch + [stage, "--profile", "smoke"], env)
        out = tmp_path / "smoke" / stage
        ranks = [json.loads(p.read_text()) for p in sorted((out / "ranks").glob("rank-*.json"))]
        assert [r["rank"] for r in ranks] == [0, 1] and all(r["world_size"] == 2 for r in ranks)
        assert ranks[0]["steps"] == ranks[1]["steps"] == getattr(get_profile("smoke"), stage).max_steps
        # Data-parallel: both ranks end with the same weights, and one adapter is written, once.
        assert abs(ranks[0]["trainable_checksum"] - ranks[1]["trainable_checksum"]) < 1e-6
        assert [p.name for p in out.glob("final/*.safetensors")] == ["adapter_model.safetensors"]
        assert not (out / "final" / "training_args.bin").exists()  # no pickles next to the adapter


def test_gpu_memory_benchmark_dry_run(smoke_base, tmp_path: Path) -> None:
    from wordle_helpers.modeling import base_dir
    from wordle_helpers.profiles import get_profile

    results = ROOT / "benchmarks" / "RESULTS.md"
    before = results.read_text()
    figures = tmp_path / "gpu_memory.json"
    shutil.copytree(base_dir(get_profile("smoke")), tmp_path / "outputs" / "smoke" / "base")
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs")}
    _run([sys.executable, "benchmarks/gpu_memory.py", "--dry-run", "--json", str(figures)], env)
    rows = json.loads(figures.read_text())
    assert len(rows) == 8 and not [r for r in rows if "error" in r]
    assert all(r["seconds_per_step"] > 0 and r["tokens_per_second"] > 0 and r["peak_gib"] > 0 for r in rows)
    sft = {(r["lora"], r["gc"]): r for r in rows if r["stage"] == "sft"}
    # (At the dry run's width, rank 64 is nearly full rank; at 3B, LoRA trains about 1% of the weights.)
    assert sft[(True, False)]["trainable_parameters"] < sft[(False, False)]["trainable_parameters"]
    grpo = sorted(r["generations"] for r in rows if r["stage"] == "grpo")
    assert grpo == [2, 2, 8, 8]
    assert results.read_text() == before  # a dry run writes nothing to RESULTS.md


def test_gpu_memory_benchmark_needs_a_gpu_or_dry_run() -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # as on a machine without a GPU
    result = subprocess.run([sys.executable, "benchmarks/gpu_memory.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "--dry-run" in result.stdout


def test_gpu_memory_figures_merge_setting_by_setting(benchmark_module) -> None:
    """A later GPU run replaces only the rows of the settings it measured; the table names the missing ones."""
    gpu_memory = benchmark_module("gpu_memory")
    keys = [run["key"] for run in gpu_memory.settings()]
    assert keys[:2] == ["sft-lora-gc", "grpo-8-gc"]  # the gpu profile's own settings first
    assert len(set(keys)) == 8
    row = {"peak_gib": 8.0, "tokens_per_second": 100.0, "seconds_per_step": 0.5, "trainable_parameters": 10}
    earlier = [{**run, **row} for run in gpu_memory.settings() if run["key"] in ("sft-full-gc", "sft-lora-gc")]
    new = [{**run, **row, "peak_gib": 9.5} for run in gpu_memory.settings() if run["key"] == "sft-lora-gc"]
    figures = gpu_memory.merged(earlier, new)
    assert [(gpu_memory.key(r), r["peak_gib"]) for r in figures] == [("sft-lora-gc", 9.5), ("sft-full-gc", 8.0)]
    table = gpu_memory.table(figures, "a GPU").splitlines()[2:]
    assert len(table) == 8 and sum("not measured" in line for line in table) == 6
    assert "9.5 GiB" in table[0]


def test_gpu_memory_only_names_the_settings() -> None:
    only = ["--only", "sft-lora-gc,grpo-9"]
    result = subprocess.run([sys.executable, "benchmarks/gpu_memory.py", "--dry-run", *only], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown setting(s) grpo-9" in result.stderr and "grpo-8-gc" in result.stderr
    result = subprocess.run([sys.executable, "benchmarks/gpu_memory.py", "--dry-run", "--only", " , "], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "no setting named in --only" in result.stderr and "sft-lora-gc" in result.stderr


def test_gpu_memory_dry_run_of_some_settings_leaves_the_figures_alone(smoke_base, tmp_path: Path) -> None:
    from wordle_helpers.modeling import base_dir
    from wordle_helpers.profiles import get_profile

    shutil.copytree(base_dir(get_profile("smoke")), tmp_path / "outputs" / "smoke" / "base")
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs")}
    figures, raw = tmp_path / "figures.json", tmp_path / "raw.json"
    _run([sys.executable, "benchmarks/gpu_memory.py", "--dry-run", "--only", "grpo-8-gc,sft-lora-gc",
          "--json", str(raw), "--figures", str(figures)], env)
    assert [r["key"] for r in json.loads(raw.read_text())] == ["sft-lora-gc", "grpo-8-gc"]
    assert not figures.exists()  # a dry run's CPU figures never join the GPU's


def test_grpo_seeds_benchmark_trains_each_seed_apart_and_pairs_it_with_sft(smoke_base, tmp_path: Path) -> None:
    """benchmarks/grpo_seeds.py: one GRPO run per trainer seed, each in its own folder, from the same SFT adapter;
    each seed's games paired with the SFT model's in a section of the results file it is pointed at."""
    from wordle_helpers.modeling import base_dir
    from wordle_helpers.profiles import get_profile

    repo_results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    shutil.copytree(base_dir(get_profile("smoke")), tmp_path / "outputs" / "smoke" / "base")
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs"), "WORDLE_RESULTS": str(results),
           "OMP_NUM_THREADS": "1"}
    _run([sys.executable, "-m", "wordle_helpers", "sft", "--profile", "smoke"], env)
    _run([sys.executable, "benchmarks/grpo_seeds.py", "--profile", "smoke", "--seeds", "0", "1",
          "--validation-games", "12"], env)
    for seed in (0, 1):
        run = tmp_path / "outputs" / "smoke" / f"grpo-seed{seed}"
        assert (run / "final" / "adapter_model.safetensors").exists()
        assert json.loads((run / "run.json").read_text())["grpo"]["seed"] == seed
    assert not (tmp_path / "outputs" / "smoke" / "grpo").exists()  # the course's own GRPO run is left alone
    section = results.read_text()
    assert "<!-- section: grpo-seeds-smoke -->" in section and "12 of the 230" in section
    assert re.search(r"^\| 0 \| .* → .*p = .*\|$", section, re.M) and re.search(r"^\| 1 \| ", section, re.M)
    assert "Mean change over the 2 seeds" in section
    assert (ROOT / "benchmarks" / "RESULTS.md").read_text() == repo_results


def test_loss_head_benchmark_times_each_loss_and_cleans_up(tmp_path: Path) -> None:
    """benchmarks/bench_loss_head.py: short pretraining and SFT runs with TRL's fused head and with the loss
    computed directly (its head in float32, and in bfloat16 where pretraining runs in bf16), a row per stage
    in the results file it is pointed at, no training folders left."""
    from wordle_helpers.modeling import cpu_has_native_bf16

    repo_results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs"), "WORDLE_RESULTS": str(results),
           "OMP_NUM_THREADS": "1"}
    script = "benchmarks/bench_loss_head.py"
    _run([sys.executable, script, "--profile", "smoke", "--steps", "25", "--rounds", "1"], env)
    section = results.read_text()
    assert "<!-- section: loss-head-smoke -->" in section and "one run each" in section
    for stage in ("pretraining (all parameters)", "SFT (LoRA)"):
        cells = rf"^\| {re.escape(stage)} \| (\d+) ms \| (\d+) ms \([+−]\d+%\) \| ([^|]*) \|"
        row = re.search(cells, section, re.M)
        assert row and int(row[1]) > 0 and int(row[2]) > 0, section
        # SFT trains in float32, where the two heads are the same: the bfloat16 head runs in pretraining only
        assert (re.fullmatch(r"\d+ ms \([+−]\d+%\)", row[3].strip()) is not None) == (
            stage.startswith("pretraining") and cpu_has_native_bf16()), row[3]
    assert not (tmp_path / "outputs" / "bench-loss-head-smoke").exists()
    assert (ROOT / "benchmarks" / "RESULTS.md").read_text() == repo_results


def test_benchmark_scripts_refuse_bad_arguments_before_any_work(tmp_path: Path) -> None:
    """A mistyped profile or a negative count stops a benchmark script with a usage line naming what is
    wrong, before it trains or writes anything."""
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs"), "WORDLE_RESULTS": str(tmp_path / "R.md")}
    bad = [(script, ["--profile", "laptp"], "invalid choice: 'laptp'")
           for script in ("bench_eval", "bench_grpo", "bench_sft", "grpo_seeds", "bench_loss_head")]
    bad += [("grpo_seeds", ["--profile", "smoke", "--seeds", "0", "-1"], "numbers of 0 or more"),
            ("grpo_seeds", ["--profile", "smoke", "--validation-games", "-5"], "numbers of 0 or more"),
            ("bench_loss_head", ["--profile", "smoke", "--steps", "0"], "numbers of 1 or more"),
            ("bench_loss_head", ["--profile", "gpu"], "invalid choice: 'gpu'")]
    for script, args, message in bad:
        result = subprocess.run([sys.executable, f"benchmarks/{script}.py", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and message in result.stderr, (script, args, result.stderr[-2000:])
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "R.md").exists()


def test_gpu_course_path_dry_run(smoke_base, tmp_path: Path) -> None:
    from wordle_helpers.modeling import base_dir
    from wordle_helpers.profiles import get_profile

    results = ROOT / "benchmarks" / "RESULTS.md"
    before = results.read_text()
    figures = tmp_path / "gpu_course_path.json"
    shutil.copytree(base_dir(get_profile("smoke")), tmp_path / "outputs" / "smoke" / "base")
    # A hub address that refuses at once, so the real model id's failure is the offline one on any machine.
    env = {**os.environ, "WORDLE_OUTPUT_DIR": str(tmp_path / "outputs"), "HF_ENDPOINT": "http://127.0.0.1:9",
           "HF_HUB_OFFLINE": "0"}
    _run([sys.executable, "benchmarks/gpu_course_path.py", "--dry-run", "--games", "8", "--json", str(figures)], env)
    result = json.loads(figures.read_text())
    assert result["base"]["device"] == "cpu" and result["base"]["dtype"] == "float32"  # bfloat16 on a GPU only
    assert len(result["sft"]["losses"]) == 4 and len(result["grpo"]["rewards"]) == 2
    for stage in ("sft", "grpo"):
        assert "adapter_model.safetensors" in result[stage]["adapter"]
        assert not [name for name in result[stage]["adapter"] if name.endswith((".bin", ".pt", ".pkl"))]
        games = result[f"games_{stage}"]
        assert games["games"] == 8 and games["device"] == "cpu" and sum(games["failures"].values()) <= 8 * 6
    offline = result["offline"]
    assert offline["raised"] and offline["seconds"] < 10
    assert "huggingface-cli download Qwen/Qwen2.5-3B-Instruct" in offline["message"]
    assert "WORDLE_PROFILE=laptop" in offline["message"]
    assert results.read_text() == before  # a dry run writes nothing to RESULTS.md
