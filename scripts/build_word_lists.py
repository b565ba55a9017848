"""Rebuild data/answers.txt and data/allowed.txt from Debian's SCOWL dictionaries and wordfreq.

Dev-time only (``make data``): needs Debian's ``wamerican``, ``wamerican-huge`` and ``wamerican-insane``
packages and the PyPI package ``wordfreq``; neither is needed to use the course. See data/README.md for
the recipe, licences and attribution. The lists are built from these packages alone.

    python scripts/build_word_lists.py [--dict-dir /usr/share/dict] [--out data] [--answers 2300]
"""

from __future__ import annotations

import argparse
import importlib.metadata
from pathlib import Path
import re
import subprocess
import sys

FIVE = re.compile(r"[a-z]{5}")
LOWER = re.compile(r"[a-z]+")
# Reviewed by hand: frequent five-letter words that are vulgar, slurs, or abbreviations/initialisms
# that wordfreq ranks high but that make poor Wordle answers.
BLOCKLIST = frozenset(
    """
    bitch boobs booty crap dildo dicks penis pussy sluts slutty whore horny porno pubes semen sperm boner
    labia panty twink vulva
    nigga niggu spics kikes dykes fagot homos chink squaw
    jesus devil satan allah japan maria
    https trump obama assoc calif illus xviii xxiii
    altho dunno gimme gonna gotta kinda lemme sorta wanna
    """.split()
)
INSANE_MIN_ZIPF = 1.5
PLURAL_KEEP_ENDINGS = ("ss", "us", "is")


def read_dictionary(path: Path) -> set[str]:
    """Lower-case a-z entries of a ``/usr/share/dict`` file (proper nouns and possessives drop out)."""
    if not path.exists():
        sys.exit(f"error: {path} is missing; install it with: apt-get install wamerican wamerican-huge wamerican-insane")
    words = path.read_text(encoding="latin-1").split()
    return {w for w in words if LOWER.fullmatch(w)}


def five_letter(words: set[str]) -> set[str]:
    return {w for w in words if FIVE.fullmatch(w)}


def inflection_stem(word: str, dictionary: set[str]) -> str | None:
    """The dictionary stem if ``word`` is a plural or a past tense of it, else ``None``."""
    stems: list[str] = []
    if word.endswith("s") and not word.endswith(PLURAL_KEEP_ENDINGS):
        stems += [word[:-1]]
        if word.endswith("es"):
            stems += [word[:-2]]
        if word.endswith("ies"):
            stems += [word[:-3] + "y"]
    if word.endswith("ed"):
        stems += [word[:-1], word[:-2]]
        if word.endswith("ied"):
            stems += [word[:-3] + "y"]
    return next((stem for stem in stems if stem in dictionary), None)


def build(dict_dir: Path, answer_count: int) -> tuple[list[str], list[str], dict[str, int]]:
    """Return (answers, allowed, counts) following data/README.md's recipe."""
    import wordfreq

    plain = read_dictionary(dict_dir / "american-english")
    huge = read_dictionary(dict_dir / "american-english-huge")
    insane = read_dictionary(dict_dir / "american-english-insane")
    # Stems are looked up in the largest list so that a plural of a rarer noun still counts as a plural.
    stems_from = plain | huge | insane

    answers: list[str] = []
    dropped = {"inflected": 0, "blocklist": 0}
    for word in wordfreq.iter_wordlist("en", wordlist="best"):
        if not FIVE.fullmatch(word) or word not in plain:
            continue
        if word in BLOCKLIST:
            dropped["blocklist"] += 1
            continue
        if inflection_stem(word, stems_from):
            dropped["inflected"] += 1
            continue
        answers.append(word)
        if len(answers) == answer_count:
            break
    if len(answers) < answer_count:
        sys.exit(f"error: only {len(answers)} answers found; check the dictionaries in {dict_dir}")

    common_insane = {w for w in five_letter(insane) if wordfreq.zipf_frequency(w, "en") >= INSANE_MIN_ZIPF}
    allowed = sorted(five_letter(huge) | common_insane | set(answers))
    counts = {
        "plain": len(five_letter(plain)),
        "huge": len(five_letter(huge)),
        "insane": len(five_letter(insane)),
        "insane_common": len(common_insane),
        **{f"dropped_{k}": v for k, v in dropped.items()},
    }
    return sorted(answers), allowed, counts


def package_version(name: str) -> str:
    """Installed version of a Debian package (or PyPI package for wordfreq)."""
    if name == "wordfreq":
        return importlib.metadata.version("wordfreq")
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dict-dir", type=Path, default=Path("/usr/share/dict"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    parser.add_argument("--answers", type=int, default=2300, help="how many answer words to keep")
    args = parser.parse_args()

    answers, allowed, counts = build(args.dict_dir, args.answers)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "answers.txt").write_text("\n".join(answers) + "\n", encoding="ascii")
    (args.out / "allowed.txt").write_text("\n".join(allowed) + "\n", encoding="ascii")
    versions = {name: package_version(name) for name in ("wamerican", "wamerican-huge", "wamerican-insane", "wordfreq")}
    print(f"answers: {len(answers)} words -> {args.out / 'answers.txt'}")
    print(f"allowed: {len(allowed)} words -> {args.out / 'allowed.txt'}")
    print("counts:", counts)
    print("versions:", versions)


if __name__ == "__main__":
    main()
