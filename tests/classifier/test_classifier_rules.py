"""Rules file validation, hot reload, and the cue logic of the engine on small rule sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classifier import Category, Classifier, ClassifierHolder, RulesError, Subtype, normalize, parse_rules

BASE = """\
threshold: 2.0
negation: {window: 4, terms: [没有, 不是]}
modifiers:
  reminder: {factor: 0.2, unless: [here_now], terms: [记得, 提醒]}
  here_now: {factor: 1.0, terms: [刚才]}
  maybe: {factor: 0.1, scope: clause, terms: [万一]}
  alarm: {factor: 1.0, urgent: true, categories: [security], terms: [救命]}
categories:
  dispute: {keywords: {吵架: 3}}
  hazard: {keywords: {电动车: 1.5}, urgent: {着火: 5, 煤气味: 5}}
  security: {keywords: {打架: 3}}
  service:
    subtypes:
      repair: {keywords: {打不着火: 4, 坏了: 2}}
      assistance: {keywords: {老人: 2, 买菜: 2}}
"""


def make(text: str = BASE) -> Classifier:
    return Classifier(parse_rules(text, "test.yaml"))


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        parse_rules(text, "test.yaml")
    return info.value.problems


def test_normalize_folds_width_mentions_emoji_and_buildings() -> None:
    assert normalize("@楼栋长 ３号楼２单元 漏水了！！！😱[捂脸]") == "3栋2单元 漏水了!"
    assert normalize("十二幢 和 5号栋") == "12栋 和 5栋"
    assert normalize("   ") == ""


def test_normalize_reads_spaced_out_voice_input_alarm_emoji_and_room_addresses() -> None:
    # Three or more characters typed one by one are joined; a pair of words is left alone.
    assert normalize("我 孙 子 不 见 了 在 广 场") == "我孙子不见了在广场"
    assert normalize("三 栋 一 单 元 漏 水") == "3栋一单元漏水"
    assert normalize("3栋 有人 晕 倒") == "3栋 有人 晕 倒"
    # 🆘 and 🚑 say what they mean; 🔥 is a marker the rules count only next to a place.
    assert normalize("🆘电梯 10栋") == "救命 电梯 10栋"
    assert normalize("🚑 河边") == "救护车 河边"
    assert normalize("🔥 3-2-501") == "FIRE 3栋2单元501"
    assert normalize("火锅团购🔥🔥") == "火锅团购 FIRE"  # a run of 🔥 is one marker
    assert normalize("Fire 3栋 Firefox") == "fire 3栋 firefox"  # no typed word spells the marker
    # Dates, phone numbers and ranges are not addresses.
    assert normalize("2024-11-28 开会 136-1234-5678 1-2天") == "2024-11-28 开会 136-1234-5678 1-2天"
    assert normalize("05-12-2024 12-31-2024") == "05-12-2024 12-31-2024"


def test_normalize_writes_laughter_as_the_word_for_it() -> None:
    # A laughing emoji or WeChat code is 哈哈 (once per run), so the rules and the model can read a joke.
    assert normalize("今晚吃火锅😂😂🤣") == "今晚吃火锅 哈哈"
    assert normalize("[笑哭]娃又拆家") == "哈哈 娃又拆家"
    assert normalize("火灾🔥😂") == "火灾 FIRE 哈哈"
    # Awkwardness and facepalms close complaints as often as jokes: dropped, as other emoji are.
    assert normalize("楼上又漏水了😅[捂脸]") == "楼上又漏水了"


def test_longer_phrase_hides_the_keyword_inside_it() -> None:
    verdict = make().classify("燃气灶打不着火")
    assert (verdict.category, verdict.subtype, verdict.urgent) == (Category.SERVICE, Subtype.REPAIR, False)


def test_negation_in_same_clause_only() -> None:
    c = make()
    assert c.classify("没有闻到煤气味").category is Category.NONE
    assert c.classify("没有人管,煤气味").category is Category.HAZARD  # comma ends the negation scope


def test_reminder_damps_unless_here_and_now() -> None:
    c = make()
    assert c.classify("记得不要吵架").category is Category.NONE
    assert c.classify("提醒一下 刚才楼下吵架").category is Category.DISPUTE


def test_clause_scoped_cue_scales_only_what_follows() -> None:
    c = make()
    assert c.classify("万一着火").category is Category.NONE
    assert c.classify("着火了 万一电动车").urgent is True


def test_alarm_cue_makes_its_categories_urgent() -> None:
    c = make()
    assert c.classify("打架 救命").urgent is True
    assert c.classify("打架").urgent is False


def test_normalize_writes_traditional_characters_simplified() -> None:
    # One character for one: positions in the text are kept.
    assert normalize("電梯大堂煤氣味好濃 幾個人") == "电梯大堂煤气味好浓 几个人"
    # Left as typed: the Cantonese copula 係 (an alias reads it), 睏 (to sleep, not 困: trapped), and
    # Cantonese characters OpenCC writes as rare variants (嗰, 𨋢).
    assert normalize("係咪 睏覺 嗰個 𨋢") == "係咪 睏觉 嗰个 𨋢"
    # Terms are normalised the same way: a traditional spelling of a simplified term is the same term.
    same = BASE.replace("{打架: 3}", "{打架: 3, 煤氣: 2}").replace("{吵架: 3}", "{吵架: 3, 煤气: 1}")
    assert any("conflicting term '煤氣' (normalised '煤气')" in p for p in problems(same))


def test_pattern_in_traditional_characters_is_refused() -> None:
    # The text is matched simplified, so a pattern with 電 could never match: refused, with the fix.
    bad = BASE.replace("terms: [记得, 提醒]}", "terms: [记得, 提醒], patterns: ['電梯']}")
    assert any("write it in simplified characters ('电梯')" in p for p in problems(bad))


def test_combo_stands_down_when_a_group_it_names_was_seen() -> None:
    rules = BASE.replace(
        "categories:\n",
        "combos:\n"
        "  trapped: {category: hazard, urgent: true, weight: 5, all: [[电梯], [不动了]], unless: [empty]}\n"
        "categories:\n",
    ).replace(
        "  here_now: {factor: 1.0, terms: [刚才]}",
        "  here_now: {factor: 1.0, terms: [刚才]}\n  empty: {factor: 1.0, terms: [里面没人]}",
    )
    classifier = make(rules)
    trapped = classifier.classify("电梯不动了 3栋")
    assert trapped.category is Category.HAZARD and trapped.urgent and "电梯+不动了" in trapped.matched
    assert "电梯+不动了" not in classifier.classify("电梯不动了 里面没人").matched
    unknown = rules.replace("unless: [empty]", "unless: [nobody]")
    assert any("combos.trapped.unless: unknown group 'nobody'" in p for p in problems(unknown))
    assert any(
        "expected a list of cue group names" in p
        for p in problems(rules.replace("unless: [empty]", "unless: 3"))
    )


def test_urgent_combo_outranks_another_emergency_only_when_it_pages() -> None:
    # Round 23: a person overcome by fumes is a hazard, however many of the health team's
    # emergency words the message has (晕倒 + 叫不醒 outweigh the fumes combo on their own).
    rules = BASE.replace(
        "categories:\n",
        "combos:\n"
        "  fumes: {category: hazard, urgent: true, weight: 5, all: [[煤炉], [叫不醒]], outranks: [service]}\n"
        "categories:\n",
    ).replace(
        "assistance: {keywords: {老人: 2, 买菜: 2}}",
        "health: {keywords: {医生: 2}, urgent: {晕倒: 5, 叫不醒: 5}}",
    )
    text = "我妈晕倒了 屋里煤炉还烧着 叫不醒"
    without = make(rules.replace(", outranks: [service]", "")).classify(text)
    assert without.category is Category.SERVICE and without.urgent
    verdict = make(rules).classify(text)
    assert verdict.category is Category.HAZARD and verdict.urgent and "煤炉+叫不醒" in verdict.matched
    # Without the combo's cues the health team's emergency stands.
    alone = make(rules).classify("我妈晕倒了 叫不醒")
    assert alone.category is Category.SERVICE and alone.subtype is Subtype.HEALTH and alone.urgent
    # The combo fires but does not page (its weight is under the threshold): the health team's
    # emergency stands.
    weak = make(rules.replace("weight: 5, all: [[煤炉]", "weight: 1, all: [[煤炉]")).classify(text)
    assert weak.category is Category.SERVICE and weak.urgent
    for bad in ("[hazard]", "[police]", "service", "[[service]]", "[null]"):
        assert any(
            "combos.fumes.outranks: expected a list of other report categories" in p
            for p in problems(rules.replace("outranks: [service]", f"outranks: {bad}"))
        ), bad
    assert any(
        "combos.fumes.outranks: only an urgent combo outranks others" in p
        for p in problems(rules.replace("urgent: true, weight: 5, all: [[煤炉]", "weight: 5, all: [[煤炉]"))
    )


def test_term_holding_an_alias_source_is_refused() -> None:
    # The aliases rewrite the text before any rule reads it: 冇人应 could never match once 冇 -> 没.
    rules = BASE.replace("categories:\n", "aliases: {冇: 没}\ncategories:\n")
    make(rules)  # no term holds 冇: fine
    # A term equal to an alias source is one problem (the conflict), not two.
    same = problems(rules.replace("吵架: 3", "冇: 3"))
    assert len([p for p in same if "'冇'" in p]) == 1 and any("conflicting" in p for p in same)
    for bad, where in (
        (rules.replace("吵架: 3", "冇人应: 3"), "categories.dispute"),
        (rules.replace("terms: [刚才]", "terms: [刚才, 冇人理]"), "modifiers.here_now"),
        (rules.replace("terms: [万一]", "terms: [万一], patterns: ['冇(事|人)']"), "modifiers.maybe"),
    ):
        assert any(
            f"{where}: " in p and "holds '冇', which the aliases rewrite to '没'" in p for p in problems(bad)
        ), where


def test_verdict_to_dict_shape() -> None:
    data = make().classify("老人要买菜").to_dict()
    assert data["category"] == "service" and data["subtype"] == "assistance"
    assert set(data) == {"category", "subtype", "urgent", "confidence", "matched"}
    assert 0.0 <= data["confidence"] <= 1.0 and "老人" in data["matched"]


def test_unknown_category_and_subtype_are_reported_with_lines() -> None:
    bad = BASE.replace("  dispute:", "  disputes:").replace("      repair:", "      plumbing:")
    found = problems(bad)
    assert any("test.yaml:" in p and "unknown category 'disputes'" in p for p in found)
    assert any("unknown subtype 'plumbing'" in p for p in found)
    assert any("missing category 'dispute'" in p for p in found)


def test_duplicate_and_conflicting_terms() -> None:
    dup = BASE.replace("{吵架: 3}", "{吵架: 3, 吵架: 2}")
    assert any("duplicate key '吵架'" in p for p in problems(dup))
    conflict = BASE.replace("{打架: 3}", "{打架: 3, 吵架: 2}")
    assert any("conflicting term '吵架'" in p for p in problems(conflict))
    # terms that only differ in width or building spelling are the same term after normalising
    same = BASE.replace("{打架: 3}", "{打架: 3, 3号楼漏水: 2}").replace("{吵架: 3}", "{吵架: 3, ３栋漏水: 1}")
    assert any("conflicting term '3号楼漏水' (normalised '3栋漏水')" in p for p in problems(same))


@pytest.mark.parametrize("weight", ["0", "-1", "11", "abc", ".nan", "true"])
def test_bad_weights(weight: str) -> None:
    found = problems(BASE.replace("{吵架: 3}", f"{{吵架: {weight}}}"))
    assert any("吵架" in p and "weight" in p for p in found)


def test_empty_file_and_empty_sections() -> None:
    assert problems("") == ["test.yaml: empty rules file"]
    assert any("no keywords" in p for p in problems(BASE.replace("{吵架: 3}", "{}")))
    assert any("non-empty list" in p for p in problems(BASE.replace("terms: [刚才]", "terms: []")))
    assert any(
        "unknown group 'nope'" in p for p in problems(BASE.replace("unless: [here_now]", "unless: [nope]"))
    )


def test_holder_reload_keeps_old_rules_when_new_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BASE, encoding="utf-8")
    holder = ClassifierHolder(path)
    assert holder.classify("吵架").category is Category.DISPUTE
    path.write_text(BASE.replace("{吵架: 3}", "{吵架: 3, 噪音: 3}"), encoding="utf-8")
    holder.reload()
    assert holder.classify("噪音").category is Category.DISPUTE
    before = holder.current
    path.write_text(BASE.replace("threshold: 2.0", "threshold: -1"), encoding="utf-8")
    with pytest.raises(RulesError):
        holder.reload()
    assert holder.current is before
    assert holder.classify("噪音").category is Category.DISPUTE
    # A file saved in another encoding (GBK from a Windows editor) is refused the same way.
    path.write_bytes(BASE.replace("{吵架: 3}", "{吵架: 3, 漏水: 3}").encode("gbk"))
    with pytest.raises(RulesError, match="not a UTF-8 text file"):
        holder.reload()
    assert holder.current is before


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        Classifier.from_path(tmp_path / "nope.yaml")
