#!/usr/bin/env python3
"""Seeds fuzz/corpus/decrypt/ from runtime/tests/data/push_vectors.toml, and
fuzz/corpus/push_decode/ from the sample pushes of spec/push/*.toml.

Run from anywhere: `python3 fuzz/seed_corpus.py`. The corpus is not committed.

Seeds per vector: the base64 ciphertext alone, `msg_signature\\nciphertext`, the key, and the
message. For the fuzz target's raw-plaintext path it also writes well-formed plaintexts
(random || u32_be(len) || msg || receive_id || PKCS#7-32 padding) for the target's receive ids.
"""

import hashlib
import pathlib
import struct
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent
VECTORS = ROOT.parent / "runtime" / "tests" / "data" / "push_vectors.toml"
OUT = ROOT / "corpus" / "decrypt"
RECEIVE_IDS = ["wx134c8103faa5a59e", ""]
PUSH_SPEC = ROOT.parent / "spec" / "push"
PUSH_OUT = ROOT / "corpus" / "push_decode"


def plaintext(random: bytes, msg: bytes, receive_id: bytes) -> bytes:
    body = random + struct.pack(">I", len(msg)) + msg + receive_id
    pad = 32 - len(body) % 32
    return body + bytes([pad]) * pad


def main() -> None:
    vectors = tomllib.loads(VECTORS.read_text(encoding="utf-8"))
    seeds = []
    for table in vectors.values():
        if not isinstance(table, dict) or not table.get("kind", "").startswith("wxbiz_"):
            continue
        encrypt = table.get("encrypt") or table.get("expected_encrypt")
        signature = table.get("msg_signature") or table.get("expected_msg_signature")
        msg = (table.get("expected_plaintext") or table.get("plaintext")).encode()
        seeds.append(encrypt.encode())
        if signature:
            seeds.append(f"{signature}\n{encrypt}".encode())
        seeds.append(table["encoding_aes_key"].encode())
        seeds.append(msg)
        for receive_id in RECEIVE_IDS:
            seeds.append(plaintext(b"0123456789abcdef", msg, receive_id.encode()))
    OUT.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (OUT / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"wrote {len(set(seeds))} seeds to {OUT}")

    samples = []
    for path in sorted(PUSH_SPEC.glob("*.toml")):
        for message in tomllib.loads(path.read_text(encoding="utf-8")).get("message", []):
            for example in message.get("example", []):
                samples.append((example.get("xml") or example.get("json")).encode())
    PUSH_OUT.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        (PUSH_OUT / hashlib.sha1(sample).hexdigest()).write_bytes(sample)
    print(f"wrote {len(set(samples))} seeds to {PUSH_OUT}")


if __name__ == "__main__":
    main()
