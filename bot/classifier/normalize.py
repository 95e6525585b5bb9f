"""Text normalisation applied to every message before matching.

Residents type on phones: full-width digits and punctuation, emoji, ``@楼栋长`` mentions,
voice-to-text without punctuation, and several spellings of a building number
(``3号楼``, ``3幢``, ``三栋``). Rules are normalised with the same function, so a rule
written as ``３号楼`` matches ``3栋``.
"""

from __future__ import annotations

import re
import unicodedata

from bot.classifier.hanzi import to_simplified

# WeChat renders its own emoji as bracketed names: [捂脸] [强] [Facepalm].
_WECHAT_EMOJI = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]")
# Laughter is kept as the word residents type for it (哈哈): in the labelled corpora a message with
# a laughing emoji, 哈哈 or 笑死 is a joke or a story 97% of the time (791 of 815), and the rules and
# the model read words, not emoji. 😅 (awkward) and [捂脸] (facepalm) also close complaints; dropped.
_LAUGH = " 哈哈 "
_LAUGH_EMOJI = frozenset("😂🤣😆😹😄😁")
_WECHAT_LAUGH = frozenset(
    {"[笑哭]", "[破涕为笑]", "[偷笑]", "[呲牙]", "[奸笑]", "[坏笑]", "[憨笑]", "[Joyful]", "[Grin]"}
)
# @mentions end at whitespace (WeChat inserts U+2005 after the name) or punctuation.
_MENTION = re.compile(r"@[^\s\u2005,，。.!！?？:：;；]{1,20}[\s\u2005]?")
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\u2600-\u27bf"  # misc symbols and dingbats
    "\u2b00-\u2bff"
    "\ufe0f\u200d\u20e3"  # variation selector, zero-width joiner, keycap
    "]+"
)
# Emoji that residents use as the whole report ("🔥 3-2-501", "🆘电梯 10栋", "🚑 河边") become
# words before the rest are dropped: 🆘 and 🚑 as what they say, a run of 🔥 or 🚒 as one marker
# FIRE, which only counts next to a place (a combo in the rules, written there as 🔥), since 🔥
# also decorates adverts. The marker is upper case and the rest of the text is lower-cased
# before it is inserted, so no typed word ("fire", "Firefox") can spell it.
_ALARM_EMOJI = {"🆘": " 救命 ", "🚑": " 救护车 ", "🔥": " FIRE ", "🚒": " FIRE "}
_ALARM_EMOJI_RE = re.compile("[🔥🚒]+|🆘|🚑")
# 3-2-501 is building 3, unit 2, room 501 (not a date: at most two digits before the room, and
# a room is not a year such as 2024 in 05-12-2024).
_ADDRESS = re.compile(r"(?<![\d-])(\d{1,2})-(\d{1,2})-(?!(?:19|20)\d\d(?!\d))(\d{3,4})(?![\d-])")
# Voice input and elderly typists space every character out: "我 孙 子 不 见 了". A run of three
# or more single Chinese characters separated by spaces is one word run; pairs ("晕 倒") stay.
_SPACED = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff]){2,}(?![\u4e00-\u9fff])")
_REPEATED_PUNCT = re.compile(r"([!?.,~…。，！？、])\1+")
_CN_DIGITS = "零一二三四五六七八九十"
# 3号楼 / 3幢 / 3栋楼 / 三栋 → 3栋; digits or Chinese numerals, not a mix. The 楼 of 3栋楼道 (楼梯,
# 楼顶, 楼下 ...) belongs to the next word and stays.
_BUILDING = re.compile(
    r"([0-9]{1,3}|[零一二三四五六七八九十]{1,3})\s*(?:号楼|幢|栋楼(?![道梯顶上下里前后门口])|栋|号栋)"
)
_PUNCT_PAIRS = (("。", "."), ("，", ","), ("！", "!"), ("？", "?"), ("、", ","), ("～", "~"), ("…", "."))
# After the punctuation above is unified only these can repeat: _REPEATED_PUNCT needs one doubled.
_DOUBLED_PUNCT = ("!!", "??", "..", ",,", "~~")


def _cn_number(text: str) -> str | None:
    """Convert a small Chinese numeral (一..九十九) to Arabic digits; digits pass through.

    Returns None for what is not a well-formed numeral (十十, 二十十): the text is then left as typed.
    """
    if text.isdigit():
        return text
    if "十" not in text:
        return "".join(str(_CN_DIGITS.index(ch)) for ch in text)
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones or tens == "零" or ones == "零":
        return None
    value = (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(ones) if ones else 0)
    return str(value)


def _building(match: re.Match[str]) -> str:
    number = _cn_number(match.group(1))
    return match.group(0) if number is None else f"{number}栋"


def normalize(text: str) -> str:
    """Normalise a message for keyword matching.

    Steps: NFKC (full-width to half-width), traditional characters to simplified (``hanzi.py``:
    電梯 to 电梯, one character for one), drop WeChat emoji codes and @mentions, turn alarm
    emoji into words and drop the other Unicode emoji, lower-case Latin letters, unify Chinese
    punctuation, collapse repeated punctuation and whitespace to one, join characters typed
    one by one with spaces, and rewrite building numbers to ``N栋`` (``3-2-501`` to
    ``3栋2单元501``).

    Args:
        text: The raw message text.

    Returns:
        The normalised text. Positions in it are what ``Verdict.matched`` refers to.
    """
    # Each step runs only when its trigger is present: most messages need few of them, and the
    # classifier's speed target counts every microsecond (same output; a test compares).
    text = to_simplified(unicodedata.normalize("NFKC", text))
    if "[" in text:
        text = _WECHAT_EMOJI.sub(_wechat_emoji_word, text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    text = text.lower()  # before the emoji: the FIRE marker stays upper case
    if _EMOJI.search(text) is not None:
        text = _EMOJI.sub(_emoji_word, text)
    for chinese, ascii_ in _PUNCT_PAIRS:
        if chinese in text:
            text = text.replace(chinese, ascii_)
    if any(pair in text for pair in _DOUBLED_PUNCT):
        text = _REPEATED_PUNCT.sub(r"\1", text)
    # str.split() splits on exactly the characters `\s` matches (str.isspace), U+3000 and U+2005 too.
    text = " ".join(text.split())
    if " " in text:
        text = _SPACED.sub(_joined, text)
    if "-" in text:
        text = _ADDRESS.sub(r"\1栋\2单元\3", text)
    if "栋" in text or "幢" in text or "号" in text:
        text = _BUILDING.sub(_building, text)
    return text


def _emoji_word(match: re.Match[str]) -> str:
    """A run of emoji: dropped, except alarm emoji, which become words (upper case: see above),
    and laughter, which becomes 哈哈 (once per run)."""
    run = match.group()
    words = [_ALARM_EMOJI[m.group()[0]] for m in _ALARM_EMOJI_RE.finditer(run)]
    if not _LAUGH_EMOJI.isdisjoint(run):
        words.append(_LAUGH)
    return "".join(words) if words else " "


def _wechat_emoji_word(match: re.Match[str]) -> str:
    """A WeChat emoji code: dropped, except laughter, which becomes 哈哈."""
    return _LAUGH if match.group() in _WECHAT_LAUGH else " "


def _joined(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")
