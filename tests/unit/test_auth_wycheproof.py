"""Project Wycheproof's RSA PKCS#1 v1.5 SHA-256 vectors against our verifier, and the same
inputs against `cryptography`'s (tests/data/wycheproof/README.md says where they come from).

"valid" must verify and "invalid" must not; "acceptable" (legacy encodings a
verifier may take) must be refused by ours, which compares the whole re-encoded
block and so accepts exactly one encoding. Whatever the vector says, our answer
must never be more lenient than `cryptography`'s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.auth import RsaPublicKey, rs256_signature_is_valid

VECTORS = Path(__file__).resolve().parents[1] / "data" / "wycheproof"
FILES = ("rsa_signature_2048_sha256_test.json", "rsa_signature_3072_sha256_test.json")


def _cases(name: str) -> list[tuple[RsaPublicKey, dict[str, Any]]]:
    document = json.loads((VECTORS / name).read_text())
    assert document["schema"] == "rsassa_pkcs1_verify_schema_v1.json"
    cases = []
    for group in document["testGroups"]:
        assert group["sha"] == "SHA-256"
        public = group["publicKey"]
        key = RsaPublicKey(n=int(public["modulus"], 16), e=int(public["publicExponent"], 16))
        cases += [(key, test) for test in group["tests"]]
    assert len(cases) == document["numberOfTests"]
    return cases


def _cryptography_verifies(key: RsaPublicKey, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    public = RSAPublicNumbers(key.e, key.n).public_key()
    try:
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", FILES)
def test_every_wycheproof_vector_gets_the_expected_answer(name: str) -> None:
    wrong = []
    for key, case in _cases(name):
        message, signature = bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"])
        ours = rs256_signature_is_valid(key, message, signature)
        expected = case["result"] == "valid"
        if ours != expected or (ours and not _cryptography_verifies(key, message, signature)):
            wrong.append((case["tcId"], case["result"], case["flags"], ours))
    assert wrong == []
