"""Build the pinyin input method's lexicon (screens/data/pinyin_lexicon.txt).

    .venv/bin/pip install -e .[lexicon]      # jieba + pypinyin, build time only
    .venv/bin/python tools/build_pinyin_lexicon.py [--words 60000]

Word frequencies come from jieba's dictionary (pypinyin has readings but no frequencies);
readings from pypinyin, whose phrase table gives words their contextual reading (银行 → yin
hang). The kiosk process reads only the text file this writes, never jieba or pypinyin.

Output, UTF-8, keys sorted so a prefix search is a bisection:

    @syllables a ai an …        the syllables single characters are read as
    banshi<TAB>办事 2314,班师 126   full pinyin without separators → words with their frequency
    =bs<TAB>不是 …,办事 …          initials (zh/ch/sh abbreviate to z/c/s) → the top words

Kept: every single character GB2312 has (with all its readings, so any character can be
typed) and the most frequent multi-character words of up to 4 characters (Han only).
Service-hall vocabulary from the demo catalog's titles is added so 营业执照 or 公积金 are
never missing whatever the frequency cut.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screens" / "data" / "pinyin_lexicon.txt"
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
SYLLABLE = re.compile(r"^[a-z]+$")
DOMAIN_FREQ = 2000  # frequency given to hall vocabulary absent from jieba's dictionary


def jieba_words() -> dict[str, int]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    freq: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and HAN.match(parts[0]):
                freq[parts[0]] = max(freq.get(parts[0], 0), int(parts[1]))
    return freq


def gb2312_chars() -> list[str]:
    chars = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if HAN.match(ch):
                chars.append(ch)
    return chars


def domain_words() -> set[str]:
    """Titles' and aliases' words from the demo catalog (segmented by jieba)."""
    import jieba

    words: set[str] = set()
    for path in sorted((ROOT / "common" / "defaults" / "demo").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            for text in [item.get("title", ""), *item.get("aliases", [])]:
                for w in jieba.cut(text):
                    if HAN.match(w) and 2 <= len(w) <= 4:
                        words.add(w)
    return words


INITIALS_KEPT = 40  # words kept per initials abbreviation (the candidate bar shows 6 a page)


def build(
    max_words: int,
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, list[tuple[str, int]]]]:
    """(full pinyin → words, initials → words), each list most frequent first."""
    from pypinyin import Style, lazy_pinyin, pinyin

    freq = jieba_words()
    index: dict[str, dict[str, int]] = defaultdict(dict)
    initials: dict[str, dict[str, int]] = defaultdict(dict)

    def add(key: str, word: str, f: int) -> None:
        if SYLLABLE.match(key):
            index[key][word] = max(index[key].get(word, 0), f)

    multi = sorted((w for w in freq if 2 <= len(w) <= 4), key=lambda w: -freq[w])[:max_words]
    extra = domain_words() - set(multi)
    # How often each character is read each way inside words, weighted by word frequency:
    # a heteronym's rare reading (见 as xian) must not outrank the common characters of that
    # syllable, while both readings of 长 (chang, zhang) stay near the top.
    reading_weight: dict[tuple[str, str], int] = defaultdict(int)
    for word in [*multi, *sorted(extra)]:
        syllables = [p.replace("ü", "v") for p in lazy_pinyin(word, style=Style.NORMAL)]
        if len(syllables) != len(word):
            continue
        add("".join(syllables), word, freq.get(word, DOMAIN_FREQ))
        if all(SYLLABLE.match(x) for x in syllables):
            initials["".join(x[0] for x in syllables)][word] = freq.get(word, DOMAIN_FREQ)
        for ch, syl in zip(word, syllables, strict=True):
            reading_weight[(ch, syl)] += freq.get(word, DOMAIN_FREQ)
    for ch in gb2312_chars():
        readings = [r.replace("ü", "v") for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]]
        total = sum(reading_weight[(ch, r)] for r in readings)
        for rank, reading in enumerate(readings):
            share = reading_weight[(ch, reading)] / total if total else (1.0 if rank == 0 else 0.0)
            add(reading, ch, max(1, round(freq.get(ch, 1) * share)))

    def ranked(d: dict[str, int], keep: int | None = None) -> list[tuple[str, int]]:
        return sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]

    return (
        {k: ranked(v) for k, v in index.items()},
        {k: ranked(v, INITIALS_KEPT) for k, v in initials.items() if len(k) >= 2},
    )


def write(
    index: dict[str, list[tuple[str, int]]], initials: dict[str, list[tuple[str, int]]], path: Path
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    single = sorted(k for k, ws in index.items() if any(len(w) == 1 for w, _ in ws))
    lines = [
        "# pinyin lexicon, built by tools/build_pinyin_lexicon.py from jieba 0.42.1 word "
        "frequencies and pypinyin 0.55.0 readings; format in that script's docstring",
        "@syllables " + " ".join(single),
    ]
    for key in sorted(index):
        lines.append(key + "\t" + ",".join(f"{w} {f}" for w, f in index[key]))
    for key in sorted(initials):
        lines.append("=" + key + "\t" + ",".join(f"{w} {f}" for w, f in initials[key]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the pinyin IME lexicon")
    parser.add_argument("--words", type=int, default=60000, help="multi-character words kept")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    index, initials = build(args.words)
    write(index, initials, args.out)
    n_words = sum(len(v) for v in index.values())
    sys.stderr.write(
        f"{args.out}: {len(index)} keys, {n_words} entries, "
        f"{args.out.stat().st_size / 1e6:.2f} MB\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
