"""Running the whole course headless: ``make course`` / ``python -m wordle_helpers course``.

Executes ``notebooks/NN_*.ipynb`` in order with the chosen profile, keeps the executed copies under
``outputs/<profile>/notebooks/`` (the source notebooks stay stripped) and ends with a summary table.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
import re
import time
from typing import TYPE_CHECKING

from wordle_helpers.profiles import OUTPUT_DIR, Profile, get_profile

if TYPE_CHECKING:
    from traitlets.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def course_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks (``01_…`` to ``06_…``) in course order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def _solver_baseline() -> list[tuple[str, str]]:
    from wordle_helpers.solver import EntropySolver
    from wordle_helpers.words import load_allowed, load_answers

    answers = load_answers()
    solver = EntropySolver(load_allowed(answers=answers), answers)
    report = solver.play_all()
    return [
        ("solver opener", report.opener.upper()),
        ("solver win rate", f"{report.win_rate:.1%}"),
        ("solver mean guesses", f"{report.mean_guesses:.3f}"),
        ("solver seconds", f"{report.seconds:.1f}"),
    ]


def _machine_speed(profile: Profile, seconds: float) -> tuple[float, str]:
    """Steps a second of the tiny base model's pretraining now, and what was measured, in words."""
    import torch

    from wordle_helpers.modeling import pretraining_speed

    tiny = profile if profile.model.is_tiny else get_profile("laptop")
    speed, precision = pretraining_speed(tiny, seconds)
    threads = torch.get_num_threads()
    return speed, f"the {tiny.name} base model's pretraining step, {precision}, {threads} threads"


def training_times(profile: Profile, since: float, folder: Path) -> list[tuple[str, str]]:
    """Summary lines for the trainings saved under ``folder`` (``outputs/<profile>``): the tiny base model's
    build, SFT and GRPO, each with its steps, wall time and steps a second, and whether this run trained it
    (its log written after ``since``, a ``time.time()``) or an earlier one did (``make course``)."""
    import json

    # (line, log file, steps): the build's steps are the profile's; a trainer's are its last logged step.
    stages = [("sft training", folder / "sft" / "loss_log.json", None),
              ("grpo training", folder / "grpo" / "log.json", None)]
    if profile.model.is_tiny:
        stages.insert(0, ("base model build", folder / "base" / "build.json", profile.model.pretrain_steps))
    lines = []
    for name, path, steps in stages:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):  # not there (not trained), or cut short: the summary goes on without it
            continue
        if isinstance(record, list):  # GRPO's log: the trainer's entries, then the times
            log, times = record, (record[-1] if record else {})
        else:
            log, times = record.get("log", []), record
        seconds = times.get("train_seconds", times.get("seconds"))
        steps = steps or max((entry["step"] for entry in log if "step" in entry), default=0)
        if not seconds or not steps:
            continue
        when = "this run" if path.stat().st_mtime >= since else "an earlier run"
        lines.append((name, f"{steps:,} steps, {seconds / 60:.1f} min, {steps / seconds:.1f} steps/s ({when})"))
    return lines


def evaluation_summary(path: Path) -> list[tuple[str, str]]:
    """Test-set win rates from notebook 05's ``eval.json``, one summary line per player."""
    import json

    if not path.exists():
        return []
    report = json.loads(path.read_text())
    lines = []
    for name, metrics in report["players"].items():
        low, high = metrics["win_rate_ci"]
        lines.append((f"test wins: {name}", f"{metrics['win_rate']:.1%} ({low:.1%}-{high:.1%}), {metrics['games']} games"))
    paired = report.get("paired_sft_grpo")
    if paired:
        lines.append(("sft -> grpo (paired)", f"{100 * paired['difference']:+.1f} points, p = {paired['p_value']:.3g}"))
    runs = (report.get("yardstick") or {}).get("runs", [])
    noise = [run for run in runs if "scale" in run]
    if noise and runs[0].get("change") == "GRPO":  # the largest random change beside GRPO's (notebook 05)
        top = max(run["scale"] for run in noise)
        largest = [run for run in noise if run["scale"] == top]
        points = ", ".join(f"{100 * run['difference']:+.1f}" for run in largest)
        played = ", ".join(str(run["played_differently"]) for run in largest)
        lines.append((f"sft -> noise x{top:g} (paired)",
                      f"{points} points; games played differently {played} (grpo {runs[0]['played_differently']})"))
    return lines


def kernel_config() -> Config:
    """Settings for the kernels that ``make course`` starts (notebook runs of the course CLI).

    The kernel and the course run on one machine and talk over local TCP; ipykernel 7.3 and later warn at every
    start that this traffic is not encrypted. Where pyzmq has CurveZMQ, the kernel manager provisions keys, which
    encrypts it and silences the warning; elsewhere the settings are left as they are.
    """
    from traitlets.config import Config

    config = Config()
    if _has_curve():
        config.KernelManager.transport_encryption = "auto"
    return config


def _has_curve() -> bool:
    import zmq

    return bool(zmq.has("curve"))


def voila_command(port: int = 8866, ip: str = "127.0.0.1", notebook: Path = NOTEBOOK_DIR / "06_play_wordle.ipynb") -> list[str]:
    """The command that serves the Wordle board (notebook 06) with Voilà: ``make play``.

    Its kernel gets CurveZMQ keys where pyzmq has them, as the course's kernels do (:func:`kernel_config`); the
    setting is left out elsewhere, since Voilà would refuse to start with it.
    """
    import sys

    command = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser", f"--Voila.ip={ip}"]
    return command + (["--KernelManager.transport_encryption=auto"] if _has_curve() else [])


# transformers' notebook bar: <progress …></progress> [ 10/100 00:05 < 00:45, 1.92 it/s, Epoch 0.10/1]
_TRAINER_LABEL = re.compile(r"</progress>\s*\[\s*(\d+/\d+[^\]]*)\]")
# tqdm's right-hand text: 450/1000 [00:10<00:12, 40.1it/s]
_TQDM_COUNT = re.compile(r"\d+/\d+\s*\[[\d:]+<[\d:?]+")
_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """Widget or HTML text as one plain line (tqdm pads with figure spaces and escapes ``&``)."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).replace("\u2007", " ").split())


class CellProgress:
    """What ``make course`` prints while a notebook runs: each section's heading as its first code cell
    starts, the latest progress bar's state once a minute while a section runs long (a trainer's steps, a
    tqdm bar's count and time left), and how long a slow section took, so a run of most of an hour is never
    silent for long."""

    def __init__(self, notebook, slow_seconds: float = 30.0, every_seconds: float = 60.0, out=print) -> None:
        self.slow_seconds, self.every_seconds, self.out = slow_seconds, every_seconds, out
        self.sections: dict[int, str] = {}  # index of a section's first code cell -> its heading
        heading = None
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "markdown":
                lines = [line for line in cell.source.splitlines() if line.startswith("## ")]
                heading = lines[-1][3:].strip() if lines else heading
            elif cell.cell_type == "code" and heading is not None:
                self.sections[index], heading = heading, None
        self.began: float | None = None
        self.reported = time.perf_counter()  # when the last line was printed
        self.bar_left = ""  # a tqdm widget's left-hand text ("words: 45%"), sent just before its count

    def on_cell_execute(self, cell, cell_index: int, **_) -> None:
        if cell_index in self.sections:
            self.finish()
            self.out(f"  {self.sections[cell_index]} …", flush=True)
            self.began = self.reported = time.perf_counter()

    def on_message(self, msg: dict) -> None:
        """Note a kernel message; print the progress it carries if nothing was printed for a while."""
        text = self.progress_text(msg)
        if text and time.perf_counter() - self.reported >= self.every_seconds:
            self.out(f"    {text}", flush=True)
            self.reported = time.perf_counter()

    def progress_text(self, msg: dict) -> str | None:
        """The progress a kernel message shows, as one line, or ``None``: a trainer's notebook bar (HTML
        display), a tqdm widget's count (widget update) or a tqdm line written to a stream."""
        kind, content = msg.get("msg_type"), msg.get("content") or {}
        if kind in ("display_data", "update_display_data"):
            found = _TRAINER_LABEL.search(str((content.get("data") or {}).get("text/html", "")))
            return f"step {_plain(found.group(1))}" if found else None
        if kind == "comm_msg":
            value = ((content.get("data") or {}).get("state") or {}).get("value")
            if not isinstance(value, str):
                return None
            text = _plain(value)
            if _TQDM_COUNT.search(text):
                return f"{self.bar_left} {text}".strip()
            self.bar_left = text
            return None
        if kind == "stream":
            lines = re.split(r"[\r\n]", str(content.get("text", "")))  # a bar redraws after a carriage return
            pieces = [piece for piece in lines if _TQDM_COUNT.search(piece)]
            return _plain(pieces[-1]) if pieces else None
        return None

    def finish(self) -> None:
        """Report the section that just ended, if it was slow (also the notebook's last one)."""
        if self.began is not None and (seconds := time.perf_counter() - self.began) >= self.slow_seconds:
            self.out(f"    {seconds / 60:.1f} min" if seconds >= 60 else f"    {seconds:.0f} s", flush=True)
        self.began = None


def _reporting_client(notebook, progress: CellProgress, **kwargs):
    """nbclient's ``NotebookClient`` that shows ``progress`` every kernel message it processes."""
    from nbclient import NotebookClient

    class ReportingClient(NotebookClient):
        def process_message(self, msg, cell, cell_index):
            progress.on_message(msg)
            return super().process_message(msg, cell, cell_index)

    return ReportingClient(notebook, on_cell_execute=progress.on_cell_execute, **kwargs)


def run_course(
    profile: str | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    output_dir: Path = OUTPUT_DIR,
    baseline: bool = True,
    progress_every: float = 60.0,
    speed_seconds: float = 1.0,
) -> int:
    """Run the solver baseline, then every notebook in order; print a summary; return an exit code.

    Executed copies go to ``output_dir/<profile>/notebooks``; the first failing notebook stops the run.
    An unknown profile raises :class:`~wordle_helpers.profiles.UnknownProfileError` before anything runs.
    A long section shows its progress bar's state every ``progress_every`` seconds. The machine's speed at
    the tiny base model's pretraining step (:func:`~wordle_helpers.modeling.pretraining_speed`, for
    ``speed_seconds`` each time; the laptop model's for the gpu profile) is measured at the start and the end.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    chosen = get_profile(profile)  # $WORDLE_PROFILE or laptop when None; an unknown name stops here
    profile = chosen.name
    kernel_env = {**os.environ, "WORDLE_PROFILE": profile}  # the notebooks read the profile from here
    summary: list[tuple[str, str]] = [("profile", profile)]
    start, started_at = time.perf_counter(), time.time()
    speed_before, measured = _machine_speed(chosen, speed_seconds)  # the steps the build takes
    print(f"machine speed: {speed_before:.1f} steps/s ({measured})", flush=True)
    if baseline:
        print("solver baseline: every answer …", flush=True)
        summary += _solver_baseline()
    out_dir = output_dir / profile / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = course_notebooks(notebook_dir)
    if not notebooks:
        print(f"no notebooks in {notebook_dir} yet; ran the solver baseline only")
    status = 0
    config = kernel_config()
    for path in notebooks:
        print(f"running {path.name} …", flush=True)
        notebook = nbformat.read(path, as_version=4)
        began = time.perf_counter()
        progress = CellProgress(notebook, every_seconds=progress_every)
        client = _reporting_client(notebook, progress, timeout=None, kernel_name="python3", config=config,
                                   resources={"metadata": {"path": str(notebook_dir)}})
        try:
            client.execute(env=kernel_env)
            outcome = "ok"
        except CellExecutionError as error:
            outcome, status = "FAILED", 1
            print(error)
        finally:
            progress.finish()
            nbformat.write(notebook, out_dir / path.name)
        summary.append((path.stem, f"{outcome}, {time.perf_counter() - began:.0f} s"))
        if status:
            break
    summary += training_times(chosen, started_at, output_dir / profile)
    report = output_dir / profile / "eval.json"
    if report.exists() and report.stat().st_mtime >= started_at:  # only what this run's notebook 05 wrote
        summary += evaluation_summary(report)
    summary.append(("total", f"{time.perf_counter() - start:.0f} s"))
    speed_after, _ = _machine_speed(chosen, speed_seconds)
    summary.insert(1, ("machine speed",
                       f"{speed_before:.1f} steps/s at the start, {speed_after:.1f} at the end ({measured})"))
    width = max(len(name) for name, _ in summary)
    print("\n".join(f"{name:<{width}}  {value}" for name, value in summary))
    return status
