"""SMS text as SMPP parts: GSM 7-bit when every character fits, else UCS-2; long texts
become concatenated parts with a User Data Header (3GPP TS 23.040, 8-bit reference)."""

import secrets
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>"
    "?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
    "\f": 0x0A,
}
DATA_CODING_GSM7 = 0x00
DATA_CODING_UCS2 = 0x08
ESM_CLASS_UDHI = 0x40
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsParts:
    data_coding: int
    esm_class: int
    parts: list[bytes]


def gsm7_char(char: str) -> bytes | None:
    """The unpacked septets of one character (SMPP default alphabet), None if it has none."""
    index = GSM7_BASIC.find(char)
    if index >= 0 and char != "\x1b":
        return bytes([index])
    if char in GSM7_EXTENSION:
        return bytes([0x1B, GSM7_EXTENSION[char]])
    return None


def is_gsm7(text: str) -> bool:
    return all(gsm7_char(char) is not None for char in text)


def _gsm7_chunks(text: str, limit: int) -> list[bytes]:
    chunks, current = [], b""
    for char in text:
        septets = gsm7_char(char) or b""
        if len(current) + len(septets) > limit:  # an escape pair is never split
            chunks.append(current)
            current = b""
        current += septets
    return [*chunks, current]


def _ucs2_chunks(text: str, limit: int) -> list[bytes]:
    chunks, current = [], b""
    for char in text:
        units = char.encode("utf-16-be")  # a surrogate pair stays in one part
        if len(current) + len(units) > limit * 2:
            chunks.append(current)
            current = b""
        current += units
    return [*chunks, current]


def split_sms(text: str) -> SmsParts:
    """The submit_sm bodies for `text`: one part when it fits, else concatenated parts."""
    if is_gsm7(text):
        coding, single, part, chunker = DATA_CODING_GSM7, GSM7_SINGLE, GSM7_PART, _gsm7_chunks
    else:
        coding, single, part, chunker = DATA_CODING_UCS2, UCS2_SINGLE, UCS2_PART, _ucs2_chunks
    whole = chunker(text, single)
    if len(whole) == 1:
        return SmsParts(coding, 0, whole)
    chunks = chunker(text, part)
    if len(chunks) > 255:
        raise ValueError("SMS text too long")
    reference = secrets.randbelow(256)
    parts = [
        bytes([0x05, 0x00, 0x03, reference, len(chunks), number]) + chunk
        for number, chunk in enumerate(chunks, start=1)
    ]
    return SmsParts(coding, ESM_CLASS_UDHI, parts)


def decode_part(data: bytes, data_coding: int, esm_class: int) -> str:
    """The text of one received part (used by tests and the capture mailbox)."""
    if esm_class & ESM_CLASS_UDHI:
        data = data[1 + data[0] :]
    if data_coding == DATA_CODING_UCS2:
        return data.decode("utf-16-be")
    reverse_ext = {code: char for char, code in GSM7_EXTENSION.items()}
    chars, escape = [], False
    for byte in data:
        if escape:
            chars.append(reverse_ext.get(byte, " "))
            escape = False
        elif byte == 0x1B:
            escape = True
        else:
            chars.append(GSM7_BASIC[byte])
    return "".join(chars)
