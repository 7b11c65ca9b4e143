"""The on-screen keyboard's state: the text being edited, the pinyin composition and its
candidate bar, the key layout of the current mode. Plain Python, used inside a screen's
view-model (search box, form field, application number).

Modes: `pinyin` (letters compose Chinese through the candidate bar), `abc` (letters as typed),
`digits`, `idcard` (digits and X), `alnum` (digits and capital letters, for application
numbers). The owner gets `on_change(text)` after every edit; `render()` is what the keyboard
widget draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from screens.i18n import _
from screens.viewmodels.pinyin import Candidate, lexicon

BACKSPACE, SPACE, CLEAR, MODE, DONE = "<BS>", "<SPACE>", "<CLEAR>", "<MODE>", "<DONE>"
LETTER_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
DIGIT_ROWS = ["123", "456", "789"]
CANDIDATES_PER_PAGE = 6
MODES = ("pinyin", "abc", "digits", "idcard", "alnum")


class Keyboard:
    def __init__(
        self,
        mode: str = "pinyin",
        *,
        on_change: Callable[[str], None] | None = None,
        on_done: Callable[[], None] | None = None,
        max_length: int = 200,
        switchable: bool = True,
        done_key: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"keyboard mode {mode!r} not in {MODES}")
        self.mode = mode
        self.on_change = on_change
        self.on_done = on_done
        self.max_length = max_length
        self.switchable = switchable  # pinyin ⇄ abc allowed (not for numbers)
        # a panel with its own 确定 button (the SMS number) shows no second one on the keypad
        self.done_key = done_key
        self.text = ""
        self.composition = ""
        self.candidates: list[Candidate] = []
        self.cand_page = 0

    # --- actions (bound to the keys) ---------------------------------------------------------
    def press(self, value: str) -> None:
        if value == BACKSPACE:
            self.backspace()
        elif value == SPACE:
            self.space()
        elif value == CLEAR:
            self.clear()
        elif value == MODE:
            self.toggle_mode()
        elif value == DONE:
            self.commit_composition()
            if self.on_done:
                self.on_done()
        elif self.mode == "pinyin" and value.isalpha() and value.isascii():
            if len(self.composition) < 30:
                self.composition += value.lower()
                self._lookup()
            self._changed()
        else:
            self._insert(value)

    def backspace(self) -> None:
        if self.composition:
            self.composition = self.composition[:-1]
            self._lookup()
        else:
            self.text = self.text[:-1]
        self._changed()

    def space(self) -> None:
        if self.composition:
            if self.candidates:
                self.choose(0)
                return
            self.commit_composition()
        else:
            self._insert(" ")

    def clear(self) -> None:
        self.text = ""
        self.composition = ""
        self.candidates = []
        self._changed()

    def choose(self, index: int) -> None:
        """A candidate on the bar (index on the current page) was tapped."""
        absolute = self.cand_page * CANDIDATES_PER_PAGE + index
        if not 0 <= absolute < len(self.candidates):
            return
        cand = self.candidates[absolute]
        self.text = (self.text + cand.word)[: self.max_length]
        self.composition = self.composition[cand.consumed :]
        self._lookup()
        self._changed()

    def next_candidates(self) -> None:
        if (self.cand_page + 1) * CANDIDATES_PER_PAGE < len(self.candidates):
            self.cand_page += 1
            self._changed()

    def prev_candidates(self) -> None:
        if self.cand_page > 0:
            self.cand_page -= 1
            self._changed()

    def toggle_mode(self) -> None:
        if not self.switchable:
            return
        self.commit_composition(notify=False)
        self.mode = "abc" if self.mode == "pinyin" else "pinyin"
        self._changed()

    def commit_composition(self, notify: bool = True) -> None:
        """Letters left uncomposed go in as typed (a name in Latin letters, a pinyin query)."""
        if self.composition:
            self._insert(self.composition, notify=False)
            self.composition = ""
            self.candidates = []
        if notify:
            self._changed()

    def set_text(self, text: str) -> None:
        self.text = text[: self.max_length]
        self.composition = ""
        self.candidates = []
        self.cand_page = 0

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"keyboard mode {mode!r} not in {MODES}")
        self.mode = mode
        self.composition = ""
        self.candidates = []

    # --- internals ---------------------------------------------------------------------------
    def _insert(self, chars: str, notify: bool = True) -> None:
        if self.mode in ("alnum", "idcard"):
            chars = chars.upper()
        self.text = (self.text + chars)[: self.max_length]
        if notify:
            self._changed()

    def _lookup(self) -> None:
        self.cand_page = 0
        self.candidates = lexicon().candidates(self.composition) if self.composition else []

    def _changed(self) -> None:
        if self.on_change:
            self.on_change(self.text)

    # --- rendering ---------------------------------------------------------------------------
    def query(self) -> str:
        """What a search should look for: the text plus letters still being composed (the
        catalog matches pinyin and initials itself)."""
        return self.text + self.composition

    def layout(self) -> list[list[dict[str, Any]]]:
        def key(label: str, value: str | None = None, width: float = 1.0) -> dict[str, Any]:
            return {"label": label, "value": value if value is not None else label, "width": width}

        if self.mode in ("digits", "idcard"):
            rows = [[key(c) for c in row] for row in DIGIT_ROWS]
            last = key("X") if self.mode == "idcard" else key(_("清空"), CLEAR)
            rows.append([last, key("0"), key(_("删除"), BACKSPACE)])
            if self.done_key:
                rows.append([key(_("确定"), DONE, 3)])
            return rows
        letters = [
            [key(c.upper() if self.mode == "alnum" else c) for c in row] for row in LETTER_ROWS
        ]
        if self.mode == "alnum":
            letters.insert(0, [key(c) for c in "1234567890"])
            letters[-1].append(key(_("删除"), BACKSPACE, 1.5))
            letters.append([key(_("清空"), CLEAR, 2), key(_("确定"), DONE, 2)])
            return letters
        letters[-1].append(key(_("删除"), BACKSPACE, 1.5))
        bottom = []
        if self.switchable:
            bottom.append(key(_("英文") if self.mode == "pinyin" else _("中文"), MODE, 1.5))
        bottom += [key(_("空格"), SPACE, 4), key(_("清空"), CLEAR, 1.5), key(_("确定"), DONE, 1.5)]
        letters.append(bottom)
        return letters

    def render(self) -> dict[str, Any]:
        start = self.cand_page * CANDIDATES_PER_PAGE
        page = self.candidates[start : start + CANDIDATES_PER_PAGE]
        return {
            "mode": self.mode,
            "layout": self.layout(),
            "text": self.text,
            "composition": lexicon().display(self.composition) if self.composition else "",
            "candidates": [{"word": c.word, "index": i} for i, c in enumerate(page)],
            "has_more_candidates": start + CANDIDATES_PER_PAGE < len(self.candidates),
            "has_prev_candidates": self.cand_page > 0,
        }


class KeyboardOwner:
    """Mixin for a view-model that shows the keyboard widget: the widget's bindings (keys,
    candidates, candidate pages) go to `active_keyboard()` — `self.keyboard` unless the
    view-model has several and says which one is in use."""

    keyboard: Keyboard

    def active_keyboard(self) -> Keyboard:
        return self.keyboard

    def press(self, value: str) -> None:
        self.active_keyboard().press(value)

    def choose(self, index: int) -> None:
        self.active_keyboard().choose(index)

    def next_candidates(self) -> None:
        self.active_keyboard().next_candidates()

    def prev_candidates(self) -> None:
        self.active_keyboard().prev_candidates()
