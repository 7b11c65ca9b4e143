"""Pinyin helpers precomputed for kiosks (pypinyin's phrase dictionary picks polyphones)."""

from __future__ import annotations

import pytest

from hall_server.search_helpers import pinyin_of, search_helpers


@pytest.mark.parametrize(
    ("text", "pinyin", "initials"),
    [
        ("营业执照", "ying ye zhi zhao", "yyzz"),
        ("重庆", "chong qing", "cq"),  # 重 as chong, not zhong
        ("银行卡挂失", "yin hang ka gua shi", "yhkgs"),  # 行 as hang
        ("长春市户籍", "chang chun shi hu ji", "ccshj"),  # 长 as chang
        ("社会保障卡（补办）", "she hui bao zhang ka bu ban", "shbzkbb"),  # punctuation dropped
        ("ABC证明2份", "abc zheng ming 2 fen", "abczm2f"),  # Latin and digits stay whole
        ("女儿", "nv er", "ne"),
        ("", "", ""),
    ],
)
def test_pinyin_and_initials(text, pinyin, initials):
    assert pinyin_of(text) == (pinyin, initials)


def test_search_helpers_shape():
    helpers = search_helpers("个体工商户设立登记", ["营业执照", "个体户"])
    assert helpers == {
        "title_pinyin": "ge ti gong shang hu she li deng ji",
        "title_initials": "gtgshsldj",
        "alias_pinyin": ["ying ye zhi zhao", "ge ti hu"],
        "alias_initials": ["yyzz", "gth"],
    }
    from common.wire import SearchHelpers

    SearchHelpers.model_validate(helpers)
