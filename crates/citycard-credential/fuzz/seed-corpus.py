#!/usr/bin/env python3
"""Seeds the fuzz corpora from the test vectors in tests/vectors/.

Usage (from crates/citycard-credential/fuzz): python3 seed-corpus.py
Writes corpus/<target>/<vector> files; existing corpus files are kept.
"""
import json
import pathlib

here = pathlib.Path(__file__).resolve().parent
vectors = here.parent.parent.parent / "tests" / "vectors"
corpus = here / "corpus"



def bstr(data, at):
    """Reads a definite-length CBOR byte string at `at`: (content, next offset)."""
    info = data[at] & 0x1F
    if info < 24:
        return data[at + 1 : at + 1 + info], at + 1 + info
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    n = int.from_bytes(data[at + 1 : at + 1 + size], "big")
    start = at + 1 + size
    return data[start : start + n], start + n


def item(data, at):
    """Skips one CBOR uint, nint, bstr or tstr at `at`: (value or content, next offset)."""
    major, info = data[at] >> 5, data[at] & 0x1F
    if info < 24:
        value, start = info, at + 1
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        value, start = int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size
    if major in (2, 3):
        return data[start : start + value], start + value
    return value, start


def v2_codes(p):
    """The codes (key 7) of a version 2 revocation-list payload, or None."""
    if p[0] != 0xA6:
        return None
    at = 1
    for _ in range(6):
        key, at = item(p, at)
        value, at = item(p, at)
        if key == 7:
            return value
    return None


def payload(cose):
    """The payload of a well-formed tagged COSE_Sign1 (D2 84 ...)."""
    _, at = bstr(cose, 2)  # protected header
    return bstr(cose, at + 1)[0]  # skip the empty unprotected map (A0)


count = 0
for path in sorted(vectors.glob("*.json")):
    v = json.loads(path.read_text(encoding="utf-8"))
    seeds = {
        "qr_text": v["text"].encode("utf-8"),
        "trust_list": bytes.fromhex(v["trust_list"]),
    }
    if v["cose_hex"]:
        seeds["cose"] = bytes.fromhex(v["cose_hex"])
    if v["inputs"]["payload_hex"]:
        seeds["cose-payload"] = bytes.fromhex(v["inputs"]["payload_hex"])
    seeds["trust_list-payload"] = payload(seeds["trust_list"])
    if v["revocations"]:
        seeds["revocation_list"] = bytes.fromhex(v["revocations"])
        seeds["revocation_list-payload"] = payload(seeds["revocation_list"])
    for target, data in seeds.items():
        name, _, suffix = target.partition("-")
        folder = corpus / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{path.stem}{'-' + suffix if suffix else ''}").write_bytes(data)
        count += 1
# Revocation-list vectors (tests/vectors/revocations/): the signed lists, their
# payloads, and for version 2 the codes target's input (head, count, codes).
for path in sorted((vectors / "revocations").glob("*.json")):
    v = json.loads(path.read_text(encoding="utf-8"))
    signed = bytes.fromhex(v["revocations"])
    seeds = {"revocation_list": signed, "revocation_list-payload": bytes.fromhex(v["inputs"]["payload_hex"])}
    n = v["inputs"]["count"]
    if n is not None and 0 <= n <= 127 + 255 and v["inputs"]["content_type"].endswith("-v2+cbor"):
        codes = v2_codes(bytes.fromhex(v["inputs"]["payload_hex"]))
        if codes is not None:
            head = min(n, 127) & 0x1F  # bits 5 and 6 clear: the right parameter
            seeds["revocation_codes"] = bytes([head, n - head]) + codes
    for target, data in seeds.items():
        if data is None:
            continue
        name, _, suffix = target.partition("-")
        folder = corpus / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"list-{path.stem}{'-' + suffix if suffix else ''}").write_bytes(data)
        count += 1
print(f"wrote {count} seed files under {corpus}")
