"""The push path of wechatpy, for comparison with `cargo bench -p weixin-tests --bench push`.

Per message, as `push/safe_mode_full` does: WeChatCrypto.decrypt_message (msg_signature check and
AES-256-CBC decryption) -> parse_message -> create_reply(text) -> render ->
WeChatCrypto.encrypt_message. Same token, EncodingAESKey, AppID and message as the Rust bench;
every push has its own MsgId and is encrypted before the timed loop.

Usage: bench/run_wechatpy.sh [N]   (default N = 20000)
"""

import re
import sys
import time

import wechatpy
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
ACCOUNT = "gh_10f6c3c3ac5a"
USER = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
CONTENT = "Hello! 你好，请问今天的营业时间是几点到几点？"
NONCE = "1320562132"
FIRST_MSG_ID = 6054768590064713728


def push_xml(msg_id, timestamp):
    """The decrypted XML of a text push, byte for byte as the Rust bench builds it."""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n"
        f"<FromUserName><![CDATA[{USER}]]></FromUserName>\n"
        f"<CreateTime>{timestamp}</CreateTime>\n"
        f"<MsgType><![CDATA[text]]></MsgType>\n"
        f"<Content><![CDATA[{CONTENT}]]></Content>\n"
        f"<MsgId>{msg_id}</MsgId>\n</xml>"
    )


def field(xml, name):
    """The text of element `name` (CDATA or not) in a flat XML document."""
    found = re.search(rf"<{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</{name}>", xml, re.S)
    if found is None:
        raise ValueError(f"no <{name}> in {xml!r}")
    return found.group(1)


def build_pushes(crypto, n):
    """`n` safe-mode pushes as WeChat sends them: (body, msg_signature, timestamp)."""
    pushes = []
    for i in range(n):
        timestamp = str(int(time.time()))
        sealed = crypto.encrypt_message(push_xml(FIRST_MSG_ID + i, timestamp), NONCE, timestamp)
        body = (
            f"<xml>\n<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n"
            f"<Encrypt><![CDATA[{field(sealed, 'Encrypt')}]]></Encrypt>\n</xml>"
        )
        pushes.append((body, field(sealed, "MsgSignature"), timestamp))
    return pushes


def handle(crypto, body, msg_signature, timestamp):
    """One push, end to end: the encrypted reply envelope."""
    plain = crypto.decrypt_message(body, msg_signature, timestamp, NONCE)
    message = parse_message(plain)
    reply = create_reply(f"echo: {message.content}", message)
    return crypto.encrypt_message(reply.render(), NONCE, str(int(time.time())))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    if n <= 0:
        sys.exit("N must be positive")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    pushes = build_pushes(crypto, n)

    # Check the work is real: the reply decrypts to the echo.
    body, msg_signature, timestamp = pushes[0]
    sealed = handle(crypto, body, msg_signature, timestamp)
    echoed = crypto.decrypt_message(
        sealed, field(sealed, "MsgSignature"), field(sealed, "TimeStamp"), NONCE
    )
    if f"echo: {CONTENT}" not in echoed:
        sys.exit(f"unexpected reply: {echoed!r}")

    started = time.perf_counter()
    for body, msg_signature, timestamp in pushes:
        handle(crypto, body, msg_signature, timestamp)
    elapsed = time.perf_counter() - started
    print(
        f"wechatpy {wechatpy.__version__}, Python {sys.version.split()[0]}: "
        f"{n} pushes in {elapsed:.3f} s = {n / elapsed:,.0f} msgs/s "
        f"({elapsed / n * 1e6:.1f} us/msg)"
    )


if __name__ == "__main__":
    main()
