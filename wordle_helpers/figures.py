"""Figures: one helper saves every figure with a fixed size and DPI, and the course's plots.

The default profile's figures go to ``figures/`` (committed, shown in the README); other profiles write
to ``outputs/<profile>/figures/`` (``WORDLE_OUTPUT_DIR`` moves it) so that a quick run never overwrites them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from wordle_helpers.notebook import DEFAULT_PROFILE, profile_name
from wordle_helpers.profiles import OUTPUT_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]
FIGSIZE = (8.0, 4.5)
DPI = 120


def figure_dir(profile: str | None = None) -> Path:
    """Where figures of ``profile`` are saved."""
    profile = profile or profile_name()
    return REPO_ROOT / "figures" if profile == DEFAULT_PROFILE else OUTPUT_DIR / profile / "figures"


def new_figure(ncols: int = 1, nrows: int = 1) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure of the course's fixed size with ``nrows`` × ``ncols`` axes, listed row by row."""
    fig, axes = plt.subplots(nrows, ncols, figsize=FIGSIZE, dpi=DPI, squeeze=False)
    return fig, list(axes.ravel())


def save_figure(fig: plt.Figure, name: str, profile: str | None = None) -> Path:
    """Save ``fig`` as ``<name>.png`` (name says what it shows, e.g. ``01_letter_frequencies``)."""
    folder = figure_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.set_size_inches(*FIGSIZE)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path


def letter_frequencies(words: Sequence[str]) -> dict[str, float]:
    """Share of words containing each letter a-z (notebook 01)."""
    counts = Counter(letter for word in words for letter in set(word))
    return {chr(97 + i): counts.get(chr(97 + i), 0) / max(len(words), 1) for i in range(26)}


def plot_letter_frequencies(lists: Mapping[str, Sequence[str]]) -> plt.Figure:
    """Bars: share of words in each list that contain each letter (notebook 01)."""
    fig, (ax,) = new_figure()
    width = 0.8 / max(len(lists), 1)
    for k, (label, words) in enumerate(lists.items()):
        shares = letter_frequencies(words)
        ax.bar(np.arange(26) + k * width, list(shares.values()), width=width, label=f"{label} ({len(words):,})")
    ax.set_xticks(np.arange(26) + width * (len(lists) - 1) / 2, [c.upper() for c in "abcdefghijklmnopqrstuvwxyz"])
    ax.set_ylabel("share of words containing the letter")
    ax.set_title("Letter frequencies in the word lists")
    ax.legend()
    return fig


def plot_histograms(samples: Mapping[str, Sequence[float]], title: str, xlabel: str, bins: int = 30) -> plt.Figure:
    """Overlaid histograms, one per labelled sample (notebooks 01 and 02)."""
    fig, (ax,) = new_figure()
    values = [v for sample in samples.values() for v in sample]
    edges = np.histogram_bin_edges(values or [0.0], bins=bins)
    for label, sample in samples.items():
        ax.hist(sample, bins=edges, alpha=0.55, label=f"{label} (n={len(sample):,})")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend()
    return fig


def plot_reward_distributions(table: Mapping[str, Mapping[str, Sequence[float]]]) -> plt.Figure:
    """One panel per reward, one box per player: ``table[reward][player] -> scores`` (notebook 02)."""
    ncols = 2 if len(table) > 2 else len(table)
    fig, axes = new_figure(ncols=ncols, nrows=-(-len(table) // ncols))
    for ax, (reward, by_player) in zip(axes, table.items()):
        ax.boxplot(list(by_player.values()), orientation="horizontal", showmeans=True)
        ax.set_yticks(range(1, len(by_player) + 1), list(by_player))
        ax.set_title(reward, fontsize=10)
    for ax in axes[len(table):]:
        ax.set_visible(False)
    fig.suptitle("Rewards of each player's guess on the same game states (triangle: mean)")
    return fig


def plot_bars(values: Mapping[str, float], title: str, ylabel: str) -> plt.Figure:
    """A simple labelled bar chart (notebook 01: turn distribution and more)."""
    fig, (ax,) = new_figure()
    ax.bar(list(map(str, values)), list(values.values()))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    return fig


def plot_loss_curve(log: Sequence[Mapping[str, float]], title: str = "SFT loss") -> plt.Figure:
    """Training loss against step, from a trainer's log history (notebook 03)."""
    fig, (ax,) = new_figure()
    points = [(entry["step"], entry["loss"]) for entry in log if "loss" in entry and "step" in entry]
    if points:
        steps, losses = zip(*points)
        ax.plot(steps, losses, marker=".")
    ax.set_xlabel("step")
    ax.set_ylabel("loss on answer tokens")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig


def plot_rates(results: Mapping[str, Mapping[str, float]], keys: Sequence[str], title: str) -> plt.Figure:
    """Grouped bars: for each model (``results`` key) its rates ``keys`` in percent (notebooks 03-05)."""
    fig, (ax,) = new_figure()
    width = 0.8 / max(len(results), 1)
    for k, (label, values) in enumerate(results.items()):
        heights = [100 * float(values.get(key) or 0.0) for key in keys]
        bars = ax.bar(np.arange(len(keys)) + k * width, heights, width=width, label=label)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(np.arange(len(keys)) + width * (len(results) - 1) / 2, [key.replace("_", " ") for key in keys])
    ax.set_ylabel("%")
    ax.set_ylim(0, 110)
    ax.set_title(title)
    ax.legend()
    return fig


def running_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Each value averaged with its neighbours: the ``window`` values centred on it, fewer at the ends
    (notebook 04: the trend of a noisy training log)."""
    data, window = np.asarray(values, dtype=float), max(window, 1)
    half = window // 2
    return np.array([data[max(0, i - half):i - half + window].mean() for i in range(len(data))])


def plot_training_curves(logs: Mapping[str, Sequence[Mapping[str, float]]], keys: Sequence[str], title: str,
                         ylabel: str = "value", smooth: int = 1) -> plt.Figure:
    """Lines of logged values against step: one line per (run, key) (notebook 04). With ``smooth`` > 1 the
    logged values are drawn faintly and their running mean over ``smooth`` logged steps as the line."""
    fig, (ax,) = new_figure()
    for run, log in logs.items():
        for key in keys:
            points = [(entry["step"], entry[key]) for entry in log if key in entry and "step" in entry]
            if points:
                steps, values = zip(*points)
                label = key.replace("rewards/", "").replace("/mean", "")
                label = f"{run}: {label}" if len(logs) > 1 else label
                if smooth > 1:
                    raw, = ax.plot(steps, values, marker=".", alpha=0.25, linewidth=0.8)
                    mean = running_mean(values, smooth)
                    ax.plot(steps, mean, color=raw.get_color(), linewidth=2, label=label)
                else:
                    ax.plot(steps, values, marker=".", label=label)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    note = f"\n(faint: each logged step; line: running mean of {smooth})" if smooth > 1 else ""
    ax.set_title(title + note)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_win_rates(results: Mapping[str, Mapping[str, object]], title: str = "Wins on held-out secrets") -> plt.Figure:
    """Win rate per player with its 95% interval as an error bar (notebook 05)."""
    fig, (ax,) = new_figure()
    names = list(results)
    rates = np.array([100 * float(results[n]["win_rate"]) for n in names])
    low = np.array([100 * float(results[n]["win_rate_ci"][0]) for n in names])
    high = np.array([100 * float(results[n]["win_rate_ci"][1]) for n in names])
    ax.bar(names, rates, yerr=[rates - low, high - rates], capsize=4, color="#6aaa64")
    for x, rate in enumerate(rates):
        ax.annotate(f"{rate:.1f}%", (x, rate), textcoords="offset points", xytext=(0, 3), ha="center")
    ax.set_ylabel("games won (%)")
    ax.set_ylim(0, 105)
    ax.set_title(title)
    return fig


def plot_guess_histograms(results: Mapping[str, Mapping[str, object]]) -> plt.Figure:
    """Grouped bars: share of games won in 1…6 guesses, and lost, per player (notebook 05)."""
    fig, (ax,) = new_figure()
    buckets = [str(n) for n in range(1, 7)] + ["fail"]
    width = 0.8 / max(len(results), 1)
    for k, (name, metrics) in enumerate(results.items()):
        histogram = metrics["histogram"]
        total = max(sum(histogram.values()), 1)
        ax.bar(np.arange(len(buckets)) + k * width, [100 * histogram.get(b, 0) / total for b in buckets],
               width=width, label=name)
    ax.set_xticks(np.arange(len(buckets)) + 0.4 - width / 2, buckets)
    ax.set_xlabel("guesses to win")
    ax.set_ylabel("games (%)")
    ax.set_title("How many guesses each player needed")
    ax.legend(fontsize=8)
    return fig


def plot_boards(games: Mapping[str, Mapping[str, object]], title: str = "") -> plt.Figure:
    """Games drawn as coloured Wordle boards, one per label; a lost turn (unplayable answer) is a row of
    ``?`` (notebook 05). ``games`` maps a label to a game as :func:`~wordle_helpers.evaluation.record_dict`."""
    from wordle_helpers.board import TILE_COLOURS

    fig, axes = new_figure(ncols=max(len(games), 1))
    for ax, (label, game) in zip(axes, games.items()):
        ax.set_xlim(0, 5)
        ax.set_ylim(-6, 0)
        ax.set_aspect("equal")
        ax.axis("off")
        for row in range(6):
            turn = game["turns"][row] if row < len(game["turns"]) else None
            for spot in range(5):
                if turn is None:
                    face, text, edge = "white", "", "#d3d6da"
                elif turn["word"] is None:
                    face, text, edge = "#f4f4f4", "?", "#9a9a9a"
                else:
                    colour = TILE_COLOURS[turn["pattern"][spot]]
                    face, text, edge = colour, turn["word"][spot].upper(), colour
                ax.add_patch(plt.Rectangle((spot + 0.05, -row - 0.95), 0.9, 0.9, facecolor=face, edgecolor=edge))
                ax.text(spot + 0.5, -row - 0.5, text, ha="center", va="center", fontsize=10, fontweight="bold",
                        color="white" if turn is not None and turn["word"] is not None else "#555555")
        outcome = f"won in {game['guesses']}" if game["won"] else "not solved"
        ax.set_title(f"{label}\n{game['secret'].upper()}: {outcome}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
