"""Private keys in every format the module knows, built here from random keys and seeds with the
formats' own encodings; public keys, xpubs, addresses and transaction hashes must come through."""

# ruff: noqa: RUF001  (full-width punctuation is the point)
from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from watchkeeper.security.redaction import (
    EXTENDED_PRIVATE_KEY,
    PRIVATE_KEY,
    WIF_PRIVATE_KEY,
    Redacted,
    marker,
    redact,
)

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# secp256k1
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
# BIP32 version bytes of each extended private key prefix and of the public keys that pair with them.
PRIVATE_VERSIONS = {
    "xprv": 0x0488ADE4,
    "yprv": 0x049D7878,
    "zprv": 0x04B2430C,
    "tprv": 0x04358394,
    "uprv": 0x044A4E28,
    "vprv": 0x045F18BC,
    "Yprv": 0x0295B005,
    "Zprv": 0x02AA7A99,
}
PUBLIC_VERSIONS = {"xpub": 0x0488B21E, "ypub": 0x049D7CB2, "zpub": 0x04B24746, "tpub": 0x043587CF}


def base58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = BASE58[remainder] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + encoded


def wif(key: bytes, *, testnet: bool, compressed: bool) -> str:
    return base58check(bytes([0xEF if testnet else 0x80]) + key + (b"\x01" if compressed else b""))


def point_multiply(scalar: int) -> tuple[int, int]:
    result: tuple[int, int] | None = None
    addend = G
    while scalar:
        if scalar & 1:
            result = addend if result is None else point_add(result, addend)
        addend = point_add(addend, addend)
        scalar >>= 1
    assert result is not None
    return result


def point_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def compressed_public_key(key: bytes) -> bytes:
    x, y = point_multiply(int.from_bytes(key, "big"))
    return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")


def master_key(seed: bytes) -> tuple[bytes, bytes]:
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    return digest[:32], digest[32:]


def serialize(version: int, chain_code: bytes, key_data: bytes) -> str:
    """BIP32 serialization of a master key: depth 0, no parent fingerprint, child number 0."""
    return base58check(version.to_bytes(4, "big") + b"\0" + b"\0" * 4 + b"\0" * 4 + chain_code + key_data)


def random_keys(count: int) -> list[bytes]:
    generator = random.Random(7)
    keys: list[bytes] = []
    while len(keys) < count:
        key = generator.randbytes(32)
        if 0 < int.from_bytes(key, "big") < N:
            keys.append(key)
    return keys


def test_our_encodings_match_the_published_examples() -> None:
    """The helpers above reproduce published keys, so what the tests feed the module is real."""
    one = (1).to_bytes(32, "big")
    assert wif(one, testnet=False, compressed=False) == "5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf"
    assert wif(one, testnet=False, compressed=True) == "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    # BIP32 test vector 1, master key.
    private, chain_code = master_key(bytes.fromhex("000102030405060708090a0b0c0d0e0f"))
    assert serialize(PRIVATE_VERSIONS["xprv"], chain_code, b"\0" + private) == (
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
    )
    assert serialize(PUBLIC_VERSIONS["xpub"], chain_code, compressed_public_key(private)) == (
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
    )


@pytest.mark.parametrize("testnet", [False, True])
@pytest.mark.parametrize("compressed", [False, True])
def test_wif_keys_are_removed(testnet: bool, compressed: bool) -> None:
    for key in random_keys(25):
        encoded = wif(key, testnet=testnet, compressed=compressed)
        assert encoded[0] in ("9c" if testnet else "5KL")
        result = redact(f"Imported {encoded} into my wallet, is it safe?")
        assert result.text == f"Imported {marker(WIF_PRIVATE_KEY)} into my wallet, is it safe?"
        assert result.kinds == (WIF_PRIVATE_KEY,)


def test_a_wif_shaped_string_with_a_broken_checksum_is_left_alone() -> None:
    encoded = wif(random_keys(1)[0], testnet=False, compressed=True)
    broken = encoded[:-1] + ("2" if encoded[-1] != "2" else "3")
    assert redact(broken).kinds == ()


@pytest.mark.parametrize("prefix", PRIVATE_VERSIONS)
def test_extended_private_keys_are_removed(prefix: str) -> None:
    generator = random.Random(prefix)
    for _ in range(10):
        private, chain_code = master_key(generator.randbytes(64))
        encoded = serialize(PRIVATE_VERSIONS[prefix], chain_code, b"\0" + private)
        assert encoded.startswith(prefix)
        result = redact(f"my {prefix}: {encoded}\nwhat now?")
        assert result.text == f"my {prefix}: {marker(EXTENDED_PRIVATE_KEY)}\nwhat now?"
        assert result.kinds == (EXTENDED_PRIVATE_KEY,)


def test_an_extended_private_key_with_a_mistyped_character_is_still_removed() -> None:
    private, chain_code = master_key(bytes(32))
    encoded = serialize(PRIVATE_VERSIONS["xprv"], chain_code, b"\0" + private)
    mistyped = encoded[:50] + ("a" if encoded[50] != "a" else "b") + encoded[51:]
    assert redact(mistyped).kinds == (EXTENDED_PRIVATE_KEY,)


@pytest.mark.parametrize("prefix", PUBLIC_VERSIONS)
def test_extended_public_keys_pass(prefix: str) -> None:
    for key in random_keys(3):
        private, chain_code = master_key(key)
        encoded = serialize(PUBLIC_VERSIONS[prefix], chain_code, compressed_public_key(private))
        assert encoded.startswith(prefix)
        text = f"Watch-only wallet with {prefix} {encoded} shows no balance"
        assert redact(text) == Redacted(text, ())


HEX_KEY_SENTENCES = [
    "my private key is {}",
    "Private key: {}",
    "here is my privkey {} please check",
    "私钥：{}",
    "這是我的私鑰 {}",
    "秘密鍵は{}です",
    "개인키: {}",
    "mi clave privada es {}",
    "minha chave privada: {}",
    "ma clé privée : {}",
    "la mia chiave privata è {}",
    "mein privater Schlüssel lautet {}",
    "мой закрытый ключ {}",
    "khóa riêng tư của tôi là {}",
    "khoá bí mật: {}",
    "özel anahtarım {}",
    "exported the secret key ({}) from MetaMask",
]


@pytest.mark.parametrize("sentence", HEX_KEY_SENTENCES)
def test_hex_private_keys_with_context_are_removed(sentence: str) -> None:
    for key in random_keys(5):
        for written in (key.hex(), key.hex().upper(), "0x" + key.hex()):
            result = redact(sentence.format(written))
            assert result.text == sentence.format(marker(PRIVATE_KEY)), sentence
            assert result.kinds == (PRIVATE_KEY,)


TRANSACTION_SENTENCES = [
    "txid: {}",
    "TxID {}",
    "Transaction hash 0x{} still pending",
    "my deposit {} has not arrived",
    "{}",
    "交易哈希 {}",
    "トランザクションID：{}",
    "거래 해시 {}",
    "hash de la transacción: {}",
    "Хэш транзакции {}",
    "I never shared my private key, but this withdrawal went out: txid {}",
    "Here is the tx hash {} and I did not give anyone my private key",
]


@pytest.mark.parametrize("sentence", TRANSACTION_SENTENCES)
def test_transaction_hashes_pass(sentence: str) -> None:
    for key in random_keys(3):
        text = sentence.format(key.hex())
        assert redact(text).kinds == (), text
    genesis = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    assert redact(sentence.format(genesis)).kinds == ()


@pytest.mark.parametrize(
    "public",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # the genesis block's address
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # BIP173 example
        "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",  # BIP86 example (Taproot)
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # EIP-55 example
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",  # Tron, the USDT contract
        "So11111111111111111111111111111111111111112",  # Solana, wrapped SOL
        "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",  # compressed public key
    ],
)
def test_addresses_and_public_keys_pass(public: str) -> None:
    for text in (public, f"my deposit address is {public}", f"public key {public}"):
        assert redact(text).kinds == (), text


def test_an_x_only_public_key_with_its_name_passes() -> None:
    x_only = compressed_public_key(random_keys(1)[0])[1:].hex()
    assert redact(f"Taproot public key: {x_only}").kinds == ()
