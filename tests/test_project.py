"""The project's own set-up: one dependency list, the course runner, the CI entry point."""

from __future__ import annotations

from pathlib import Path
import re
import time
import tomllib

import nbformat
import pytest
import yaml

from wordle_helpers.course import run_course

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_agrees_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pins.update({_name(r): r.replace(" ", "") for r in extra})
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))

    python = next(d for d in conda if _name(d) == "python")
    version = python.split("=", 1)[1]
    assert f">={version}" in project["requires-python"], (python, project["requires-python"])

    installs_package = [p for p in pip if re.fullmatch(r"-e \.(\[[a-z,]+\])?", p)]
    assert installs_package, "environment.yml must install this package with pip (-e .[extras])"
    extras = re.findall(r"[a-z]+", installs_package[0].split("[", 1)[-1]) if "[" in installs_package[0] else []
    assert set(extras) <= set(project["optional-dependencies"])

    # Anything else named in environment.yml must carry exactly pyproject's pin (dependencies live there).
    others = [d for d in conda if _name(d) not in ("python", "pip")] + [p for p in pip if p not in installs_package]
    for requirement in others:
        name = _name(requirement)
        assert name in pins, f"{requirement} is in environment.yml but not in pyproject.toml"
        assert requirement.replace(" ", "") == pins[name], f"{requirement} disagrees with pyproject's {pins[name]}"


def test_dependencies_are_pinned_and_torch_is_cpu_pin() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert all("==" in r for r in requirements), [r for r in requirements if "==" not in r]
    assert "torch==2.13.0" in project["dependencies"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make course" in readme and "make test" in readme


def test_course_runner_executes_notebooks_in_order(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for number, code in [("02", "open('order.txt', 'a').write('2')"),
                         ("01", "import os\nopen('order.txt', 'a').write(os.environ['WORDLE_PROFILE'] + '1')")]:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nbformat.write(notebook, notebooks / f"{number}_step.ipynb")
    status = run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "outputs", baseline=False)
    assert status == 0
    assert (notebooks / "order.txt").read_text() == "smoke12"
    executed = nbformat.read(tmp_path / "outputs" / "smoke" / "notebooks" / "01_step.ipynb", as_version=4)
    assert executed.cells[0].execution_count == 1
    # Source notebooks stay stripped.
    assert nbformat.read(notebooks / "01_step.ipynb", as_version=4).cells[0].execution_count is None


def test_course_runner_names_each_section_as_it_starts(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``make course`` runs for most of an hour; it prints each section's heading as the section starts."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    cells = [nbformat.v4.new_markdown_cell("# 01 · Title\n\nIntro."), nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_markdown_cell("## 1. Data"), nbformat.v4.new_code_cell("y = 2"),
             nbformat.v4.new_markdown_cell("Narration."), nbformat.v4.new_code_cell("z = 3"),
             nbformat.v4.new_markdown_cell("## 2. Training\n\nWhy."), nbformat.v4.new_code_cell("w = 4")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebooks / "01_step.ipynb")
    assert run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "out", baseline=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("machine speed: ")
    assert lines[1:4] == ["running 01_step.ipynb …", "  1. Data …", "  2. Training …"]


def test_course_runner_shows_progress_bars_inside_a_long_section(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Within a section, ``make course`` echoes the bars the kernel draws: a tqdm widget's count and a
    transformers trainer's notebook bar (here every message; once a minute in a course run)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    code = ("import time\nfrom tqdm.auto import tqdm\n"
            "from transformers.utils.notebook import NotebookProgressBar\n"
            "for _ in tqdm(range(3), desc='games'):\n    time.sleep(0.2)\n"
            "bar = NotebookProgressBar(3)\nfor step in range(1, 4):\n    time.sleep(0.2)\n"
            "    bar.update(step, force_update=True)\nprint('12/40 [not a bar]', 'done')")
    cells = [nbformat.v4.new_markdown_cell("## 1. Train"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebooks / "01_step.ipynb")
    assert run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "out", baseline=False,
                      progress_every=0.0) == 0
    lines = capsys.readouterr().out.splitlines()
    bars = [line.strip() for line in lines if line.startswith("    ")]
    assert any(line.startswith("games: 100%") and "3/3 [" in line for line in bars), bars
    assert any(line.startswith("step 2/3 ") and " < " in line for line in bars), bars  # with the time left
    assert not any("not a bar" in line for line in lines)  # the notebook's own print is not a bar
    assert lines.index("  1. Train …") < lines.index(next(line for line in lines if "games:" in line))


def test_cell_progress_prints_a_bar_only_after_a_quiet_spell() -> None:
    from wordle_helpers.course import CellProgress

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## 1. Build"),
                                               nbformat.v4.new_code_cell("a")])
    # A tqdm widget's update as tqdm sends it: the left-hand text, then the count (figure spaces, escapes).
    tqdm_update = [{"msg_type": "comm_msg",
                    "content": {"data": {"method": "update", "state": {"value": text}}}}
                   for text in ("words:\u2007\u200745%",
                                "\u2007450/1000\u2007[00:10&lt;00:12,\u200740.1it/s]")]
    stream = {"msg_type": "stream", "content": {"name": "stdout", "text": "no bar here\n"}}
    bar = "    words: 45% 450/1000 [00:10<00:12, 40.1it/s]"
    for every_seconds, expected in [(0.0, ["  1. Build …", bar]),
                                    (float("inf"), ["  1. Build …"])]:
        lines: list[str] = []
        progress = CellProgress(notebook, every_seconds=every_seconds,
                                out=lambda line, **_: lines.append(line))
        progress.on_cell_execute(cell=notebook.cells[1], cell_index=1)
        for msg in [stream, *tqdm_update]:
            progress.on_message(msg)
        assert lines == expected


def test_cell_progress_reports_the_time_of_slow_sections_only() -> None:
    from wordle_helpers.course import CellProgress

    cells = [nbformat.v4.new_markdown_cell("## 1. Build"), nbformat.v4.new_code_cell("a"),
             nbformat.v4.new_code_cell("b"),
             nbformat.v4.new_markdown_cell("## 2. Train"), nbformat.v4.new_code_cell("c")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    for slow_seconds, expected in [(0.0, ["  1. Build …", "    0 s", "  2. Train …", "    0 s"]),
                                   (float("inf"), ["  1. Build …", "  2. Train …"])]:
        lines: list[str] = []
        progress = CellProgress(notebook, slow_seconds=slow_seconds, out=lambda line, **_: lines.append(line))
        for index, cell in enumerate(cells):
            if cell.cell_type == "code":
                progress.on_cell_execute(cell=cell, cell_index=index)
        progress.finish()
        assert lines == expected


def test_course_runner_stops_at_a_failing_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1/0")]), notebooks / "01_bad.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("open('ran', 'w')")]), notebooks / "02_after.ipynb")
    assert run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "out", baseline=False) == 1
    assert not (notebooks / "ran").exists()
    assert "FAILED" in capsys.readouterr().out


def test_course_rejects_an_unknown_profile_before_running_anything(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from wordle_helpers.__main__ import main
    from wordle_helpers.course import run_course
    from wordle_helpers.profiles import UnknownProfileError

    with pytest.raises(UnknownProfileError, match="'laptp'.*smoke, laptop, gpu"):
        run_course("laptp", output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # no solver baseline, no notebook, no folder for the typo
    assert main(["course", "--profile", "laptp"]) == 2
    captured = capsys.readouterr()
    assert "unknown profile 'laptp'" in captured.err and "solver" not in captured.out


def test_course_kernels_encrypt_their_traffic(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Where pyzmq has CurveZMQ, the course's kernels get keys, so ipykernel has no plain-TCP warning to print."""
    import zmq

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    code = ("from ipykernel.kernelapp import IPKernelApp\n"
            "open('curve.txt', 'w').write(str(IPKernelApp.instance().curve_secretkey is not None))")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), notebooks / "01_kernel.ipynb")
    assert run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "out", baseline=False) == 0
    assert (notebooks / "curve.txt").read_text() == str(zmq.has("curve"))
    if zmq.has("curve"):
        assert "without encryption" not in capfd.readouterr().err


def test_course_summary_shows_the_evaluation_this_run_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    report = {"players": {"sft": {"win_rate": 0.25, "win_rate_ci": [0.2, 0.31], "games": 200}},
              "paired_sft_grpo": {"difference": 0.07, "p_value": 0.012},
              "yardstick": {"runs": [{"change": "GRPO", "played_differently": 40, "difference": 0.07},
                                     {"scale": 1.0, "played_differently": 9, "difference": 0.0},
                                     {"scale": 6.0, "played_differently": 38, "difference": -0.02},
                                     {"scale": 6.0, "played_differently": 45, "difference": 0.015}]}}
    target = tmp_path / "outputs" / "smoke" / "eval.json"
    code = f"import pathlib, json\npathlib.Path({str(target)!r}).write_text(json.dumps({report!r}))"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), notebooks / "05_eval.ipynb")
    assert run_course("smoke", notebook_dir=notebooks, output_dir=tmp_path / "outputs", baseline=False) == 0
    out = capsys.readouterr().out
    assert "test wins: sft" in out and "25.0% (20.0%-31.0%), 200 games" in out
    assert "+7.0 points, p = 0.012" in out
    assert "sft -> noise x6 (paired)" in out and "-2.0, +1.5 points; games played differently 38, 45 (grpo 40)" in out
    assert json.loads(target.read_text())["players"]["sft"]["games"] == 200
    # The machine's speed at both ends, right under the profile: which kind of hour the times come from.
    summary = out[out.index("profile "):].splitlines()
    assert re.fullmatch(r"machine speed +[\d.]+ steps/s at the start, [\d.]+ at the end "
                        r"\(the smoke base model's pretraining step, (bf16 mixed|float32), \d+ threads\)",
                        summary[1]), summary[:2]


def test_course_summary_gives_each_trainings_steps_and_time(tmp_path: Path) -> None:
    import json
    import os

    from wordle_helpers.course import training_times
    from wordle_helpers.profiles import GPU, SMOKE

    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "build.json").write_text(json.dumps({"seconds": 4.0, "log": [{"loss": 5.1, "step": 4}]}))
    (tmp_path / "sft").mkdir()
    (tmp_path / "sft" / "loss_log.json").write_text(json.dumps(
        {"train_seconds": 90.0, "log": [{"loss": 1.0, "step": 5}, {"train_runtime": 89.0, "step": 6}]}))
    (tmp_path / "grpo").mkdir()
    (tmp_path / "grpo" / "log.json").write_text('[{"reward": 0.5, "step": 2}, {"train_ru')  # cut short
    old = time.time() - 3600
    os.utime(tmp_path / "base" / "build.json", (old, old))  # built by an earlier run
    lines = dict(training_times(SMOKE, since=time.time() - 60, folder=tmp_path))
    assert lines == {"base model build": f"{SMOKE.model.pretrain_steps} steps, 0.1 min, 2.0 steps/s (an earlier run)",
                     "sft training": "6 steps, 1.5 min, 0.1 steps/s (this run)"}
    (tmp_path / "grpo" / "log.json").write_text(json.dumps(
        [{"reward": 0.5, "step": 2}, {"train_runtime": 11.0, "step": 4}, {"prepare_seconds": 3.0, "train_seconds": 12.0}]))
    assert dict(training_times(SMOKE, since=old - 1, folder=tmp_path))["grpo training"] == \
        "4 steps, 0.2 min, 0.3 steps/s (this run)"
    assert "base model build" not in dict(training_times(GPU, since=0.0, folder=tmp_path))  # a hub model: no build


def test_output_dir_moves_caches_and_quick_figures(tmp_path: Path) -> None:
    """WORDLE_OUTPUT_DIR moves every run artefact: the solver's cache and a non-default profile's figures."""
    import subprocess
    import sys

    code = ("from wordle_helpers.figures import figure_dir; from wordle_helpers.solver import DEFAULT_CACHE_DIR; "
            "print(figure_dir('smoke')); print(figure_dir('laptop')); print(DEFAULT_CACHE_DIR)")
    env = {"PATH": "/usr/bin:/bin", "WORDLE_OUTPUT_DIR": str(tmp_path)}
    lines = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    assert lines == [str(tmp_path / "smoke" / "figures"), str(ROOT / "figures"), str(tmp_path / "cache")]


def test_results_name_the_cpus_vector_instructions(benchmark_module) -> None:
    """A host's name alone hides whether its CPU has AVX-512 and bfloat16, which change the tiny model's build."""
    results = benchmark_module("results")
    assert results.vector_units({"fpu", "avx2", "avx512f", "avx512_bf16"}) == "AVX-512 with bfloat16"
    assert results.vector_units({"avx2", "amx_bf16", "avx512f"}) == "AVX-512 with bfloat16"
    assert results.vector_units({"avx2", "avx512f"}) == "AVX-512"
    assert results.vector_units({"sse4_2", "avx2", "fma"}) == "AVX2"
    assert results.vector_units({"sse4_2"}) == "no AVX2"
    assert re.search(r" \((AVX-512 with bfloat16|AVX-512|AVX2|NEON|no AVX2)\), \d+ cores, ", results.machine())
    assert results.targets_line({"a": True, "b": False, "c": True}) == "Met: a; c. **Not met: b.**"
    assert results.targets_line({"a": True}) == "Met: a."
    assert results.targets_line({"b": False}) == "**Not met: b.**"


def test_play_serves_notebook_06_with_the_course_kernel_settings() -> None:
    """`make play` runs Voilà on notebook 06, on this machine only by default, with encrypted kernel traffic
    where pyzmq can encrypt it (Voilà refuses the setting where it cannot)."""
    import zmq

    from wordle_helpers.course import voila_command

    command = voila_command(8899)
    assert command[1:3] == ["-m", "voila"] and command[3].endswith("notebooks/06_play_wordle.ipynb")
    assert "--port=8899" in command and "--Voila.ip=127.0.0.1" in command
    assert ("--KernelManager.transport_encryption=auto" in command) == zmq.has("curve")


def test_play_rejects_an_unknown_profile_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    from wordle_helpers.__main__ import main

    assert main(["play", "--profile", "laptp"]) == 2
    err = capsys.readouterr().err
    assert "laptp" in err and "laptop" in err


@pytest.mark.parametrize("port", ["70000", "0", "-5", "web"])
def test_play_rejects_a_port_out_of_range_before_serving(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    from wordle_helpers.__main__ import main

    with pytest.raises(SystemExit) as exit_info:  # argparse's usage error: Voilà is never started
        main(["play", "--profile", "smoke", "--port", port])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --port: {port!r}" in err or f"argument --port: {port} is not a port" in err
    assert "from 1 to 65535" in err


def test_relative_links_in_the_docs_point_at_files_that_exist() -> None:
    """The README sends newcomers to other pages and figures: a moved file must leave no dead link."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "data" / "README.md"]
    checked = 0
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"
            checked += 1
    assert checked >= 5  # the README's figures and pages are among them
