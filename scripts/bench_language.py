"""Language benchmark: the guesser's build time and memory, time per text, and its accuracy."""

from __future__ import annotations

import time
from pathlib import Path

from bench import BenchLine, percentiles

from ivr.language import UNLISTED_MIN_LETTERS, LanguageGuesser

LANGUAGE_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "language_set.tsv"
ROUNDS = 20  # timed passes over the whole set, after one pass of warm-up


def run(line: BenchLine) -> None:
    """Print build cost, median and p99 ms per guess over the labelled set, then accuracy."""
    content = line.app.extensions["ivr"].content
    before, start = _resident_mb(), time.perf_counter()
    guesser = LanguageGuesser.build(content)
    built, grown = time.perf_counter() - start, _resident_mb() - before
    print(f"build: {built:.2f} s, resident memory +{grown:.0f} MB")

    rows = _labelled_set()
    texts = [text for text, _ in rows]
    for text in texts:
        guesser.guess(text)
    samples: dict[str, list[float]] = {text: [] for text in texts}
    for _ in range(ROUNDS):
        for text in texts:
            start = time.perf_counter()
            guesser.guess(text)
            samples[text].append(time.perf_counter() - start)
    asks_lingua = {text for text in texts if _asks_lingua(guesser, text)}
    groups = {
        f"all {len(texts)} texts": texts,
        f"decided by words ({len(texts) - len(asks_lingua)})": [
            t for t in texts if t not in asks_lingua
        ],
        f"left to lingua ({len(asks_lingua)})": sorted(asks_lingua),
    }
    for name, members in groups.items():
        median, p99 = percentiles([s for text in members for s in samples[text]])
        print(f"guess, {name:26} median {median:.4f} ms, p99 {p99:.4f} ms")

    clear = [(text, label) for text, label in rows if label != "either"]
    either = [text for text, label in rows if label == "either"]
    right = sum(guesser.guess(text) == label for text, label in clear)
    none = sum(guesser.guess(text) is None for text in either)
    print(f"clear rows read right: {right}/{len(clear)} ({right / len(clear):.1%})")
    print(f"either rows given None: {none}/{len(either)} ({none / len(either):.1%})")


def _asks_lingua(guesser: LanguageGuesser, text: str) -> bool:
    """Whether guess would ask lingua about text: the words tie and one is nobody's."""
    votes = guesser.votes(text)
    return votes.en == votes.es and any(len(w) >= UNLISTED_MIN_LETTERS for w in votes.unlisted)


def _labelled_set() -> list[tuple[str, str]]:
    """(text, label) rows of tests/data/language_set.tsv."""
    lines = LANGUAGE_SET.read_text(encoding="utf-8").split("\n")[1:]
    return [
        (text, label)
        for text, label in (line.split("\t") for line in lines if line and line[0] != "#")
    ]


def _resident_mb() -> float:
    """This process's resident memory in MB (Linux), or 0 where /proc does not say."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), "0")
    return int(kb) / 1024
