"""bot/webhooks/flatxml.py: WeCom's flat XML read safely (no DTD, no entities), the same fields as an ElementTree."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from bot.simulator import wecom_xml
from bot.webhooks.flatxml import UnsafeXml, read_flat_xml

MESSAGE = wecom_xml(corp_id="wwcorp", sender="u1", text="3栋 <楼道> & 漏水 ]]", msg_id="9")
EVENT = (
    "<xml><ToUserName><![CDATA[ww]]></ToUserName><FromUserName><![CDATA[u2]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[scancode_push]]></Event><EventKey><![CDATA[k]]></EventKey>"
    "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>"
    "<AgentID>1</AgentID></xml>"
)


@pytest.mark.parametrize("document", [MESSAGE, EVENT, "<xml><A>x &amp; y &lt;z&gt;</A><B/></xml>"])
def test_the_same_fields_as_an_element_tree(document: str) -> None:
    expected = {child.tag: (child.text or "") for child in fromstring(document)}
    assert read_flat_xml(document) == expected


def test_message_text_survives_cdata_and_escapes() -> None:
    fields = read_flat_xml(MESSAGE)
    assert fields["Content"] == "3栋 <楼道> & 漏水 ]]"
    assert (fields["FromUserName"], fields["MsgId"], fields["MsgType"]) == ("u1", "9", "text")


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><A>&lol2;</A></xml>',
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><A>&xxe;</A></xml>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><xml><A>a</A></xml>',
        "<!DOCTYPE xml><xml><A>a</A></xml>",
    ],
)
def test_any_dtd_is_refused(document: str) -> None:
    with pytest.raises(UnsafeXml):
        read_flat_xml(document)


@pytest.mark.parametrize(
    "document", ["", "<xml>", "<xml><A>a</B></xml>", "not xml", "<xml><A>&undeclared;</A></xml>", "<a/><b/>"]
)
def test_malformed_documents_are_value_errors(document: str) -> None:
    with pytest.raises(ValueError):
        read_flat_xml(document)
