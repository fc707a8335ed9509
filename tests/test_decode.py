"""extract.decode: bytes -> text, never silently wrong."""

from __future__ import annotations

import codecs
import random

import pytest

from extract.decode import Decoded, UndecodableError, decode_html, normalize_label

# 镕 (as in 朱镕基) and 堃 are GBK-only: not in GB2312
BODY = ("关于公布2023年度政府信息公开工作年度报告的通知。朱镕基同志曾视察本县民政工作，"
        "王堃同志汇报了社会救助情况。本年度共受理行政复议申请3件。")


def page(body: str = BODY, meta: str = "", repeat: int = 20) -> str:
    paras = "".join(f"<p>{body}</p>\n" for _ in range(repeat))
    return (f"<!DOCTYPE html>\n<html><head>{meta}<title>青川县民政局</title></head>"
            f"<body><div class=\"TRS_Editor\">{paras}</div></body></html>")


META_GB2312 = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
META_UTF8 = '<meta charset="utf-8">'
META_GBK = '<meta charset="GBK" />'


def test_gb2312_label_with_gbk_only_char_decodes_as_gb18030():
    html = page(meta=META_GB2312)
    raw = html.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")  # the declared codec, taken literally, fails on 镕/堃
    d = decode_html(raw, "text/html")
    assert isinstance(d, Decoded)
    assert d.text == html
    assert d.encoding == "gb18030"
    assert d.declared_meta == "gb2312" and d.declared_http is None
    assert d.detected is False
    assert "朱镕基" in d.text and "王堃" in d.text


@pytest.mark.parametrize("label", ["gb2312", "GBK", "gb_2312-80", "x-gbk", "GB2312", "cp936", "gb18030"])
def test_gb_labels_normalise_to_gb18030(label):
    assert normalize_label(label) == "gb18030"
    d = decode_html(page().encode("gbk"), f"text/html; charset={label}")
    assert d.encoding == "gb18030" and d.text == page()


def test_header_gbk_meta_utf8_body_gbk():
    html = page(meta=META_UTF8)
    d = decode_html(html.encode("gbk"), "text/html; charset=GBK")
    assert d.text == html
    assert d.encoding == "gb18030"
    assert d.declared_http == "gbk" and d.declared_meta == "utf-8"
    assert "disagree" in d.note


def test_header_utf8_meta_gb2312_body_gbk():
    # the header is wrong (server default), the meta is right: the one that decodes strictly wins
    html = page(meta=META_GB2312)
    d = decode_html(html.encode("gbk"), "text/html;charset=UTF-8")
    assert d.text == html
    assert d.encoding == "gb18030"
    assert d.declared_http == "utf-8" and d.declared_meta == "gb2312"
    assert "disagree" in d.note


def test_header_gbk_meta_utf8_body_utf8():
    html = page(meta=META_UTF8)
    d = decode_html(html.encode("utf-8"), "text/html; charset=gbk")
    assert d.text == html and d.encoding == "utf-8"


def test_meta_gb2312_but_body_utf8_migrated_template():
    html = page(meta=META_GB2312)
    d = decode_html(html.encode("utf-8"))
    assert d.text == html and d.encoding == "utf-8"
    assert "valid UTF-8" in d.note


def test_both_declare_same():
    html = page(meta=META_GBK)
    d = decode_html(html.encode("gbk"), "text/html; charset=gbk")
    assert d.text == html and d.encoding == "gb18030" and not d.detected


def test_latin1_header_default_on_gbk_page():
    # Tomcat/Apache default charset on a legacy GBK page: the Latin label is weak
    html = page()
    d = decode_html(html.encode("gbk"), "text/html; charset=ISO-8859-1")
    assert d.text == html and d.encoding == "gb18030"
    assert d.note


def test_undeclared_utf8():
    html = page()
    d = decode_html(html.encode("utf-8"))
    assert d.text == html
    assert d.encoding == "utf-8"
    assert d.detected is True
    assert d.declared_http is None and d.declared_meta is None


def test_undeclared_gbk():
    html = page()
    d = decode_html(html.encode("gbk"), "text/html")
    assert d.text == html
    assert d.encoding == "gb18030"
    assert d.detected is True


def test_undeclared_short_gbk():
    html = "<html><body><p>民政局年度报告</p></body></html>"
    assert decode_html(html.encode("gbk")).text == html


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                       (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_wins(bom, codec):
    html = page(meta=META_GBK)  # the meta lies; the BOM does not
    d = decode_html(bom + html.encode(codec), "text/html; charset=gbk")
    assert d.text == html
    assert d.encoding == codec
    assert not d.text.startswith("\ufeff")
    assert "BOM" in d.note


def test_ascii_only():
    html = "<html><head><title>index</title></head><body><p>hello</p></body></html>"
    d = decode_html(html.encode("ascii"), "text/html; charset=gb2312")
    assert d.text == html and d.encoding == "gb18030"
    d = decode_html(html.encode("ascii"))
    assert d.text == html and d.encoding == "utf-8"


def test_empty():
    d = decode_html(b"")
    assert d.text == "" and d.encoding == "utf-8"


def test_utf8_with_one_truncated_character_is_tolerated_and_noted():
    html = page(meta=META_UTF8, repeat=60)
    raw = html.encode("utf-8")
    cut = raw.index("民政".encode()) + 1  # break one character in the middle
    raw = raw[:cut] + raw[cut + 2:]
    d = decode_html(raw, "text/html; charset=utf-8")
    assert d.encoding == "utf-8"
    assert d.text.count("\ufffd") == 1
    assert "invalid" in d.note and "U+FFFD" in d.note


def test_garbage_raises_with_reason():
    rng = random.Random(7)
    junk = bytes(rng.choice(range(1, 256)) for _ in range(9000))
    raw = page(meta=META_UTF8, repeat=1).encode("utf-8") + junk
    with pytest.raises(UndecodableError) as ei:
        decode_html(raw, "text/html; charset=utf-8")
    msg = str(ei.value)
    assert "utf-8 (header)" in msg and "utf-8 (meta)" in msg
    assert "invalid sequences" in msg and "kB" in msg
    assert "gb18030" in msg
    assert ei.value.reason == msg


def test_garbage_with_gb_declaration_raises():
    rng = random.Random(8)
    junk = bytes(rng.choice(range(0x80, 0x100)) for _ in range(5000))
    raw = page(meta=META_GB2312, repeat=1).encode("gbk") + junk
    with pytest.raises(UndecodableError) as ei:
        decode_html(raw)
    assert "gb2312 (meta)" in str(ei.value)


@pytest.mark.parametrize("blob,kind", [(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
                                       (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "ZIP"),
                                       (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "OLE2")])
def test_binary_raises(blob, kind):
    with pytest.raises(UndecodableError) as ei:
        decode_html(blob, "text/html; charset=utf-8")
    assert kind in str(ei.value)


def test_nul_heavy_raises():
    raw = page().encode("utf-8") + bytes(500)
    with pytest.raises(UndecodableError) as ei:
        decode_html(raw)
    assert "NUL" in str(ei.value)


def test_big5_undeclared_not_mistaken_for_gbk():
    html = page("中華民國政府資訊公開條例說明，請各機關依規辦理。", repeat=10).replace("青川县民政局", "青川縣")
    d = decode_html(html.encode("big5"))
    assert d.text == html
    assert d.encoding.startswith("big5")
    assert d.detected


def test_unknown_label_is_noted_and_ignored():
    html = page(meta='<meta charset="utf8mb4x">')
    d = decode_html(html.encode("utf-8"))
    assert d.text == html and d.encoding == "utf-8"
    assert "unknown label" in d.note


def test_nothing_is_normalised():
    html = page("全角空格\u3000与不换行空格\u00a0保持原样。\r\n")
    assert decode_html(html.encode("gb18030")).text == html
    assert decode_html(html.encode("utf-8")).text == html
