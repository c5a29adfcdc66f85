"""Our signatures checked by the Standard Webhooks reference implementation (the
`standardwebhooks` package), not by our own signer."""

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import signing
from webhooks.services import headers_for


def test_a_secret_is_whsec_and_32_random_bytes_in_base64():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert signing.new_secret() != secret


def test_the_reference_implementation_verifies_our_headers():
    secret = signing.new_secret()
    body = '{"id":"e1","type":"ticket.created","data":{"price":19.99,"name":"Ölfilter"}}'.encode()
    headers = headers_for(event_id="e1", secret=secret, body=body, timestamp=int(time.time()))

    assert Webhook(secret).verify(body, headers) is not None


@pytest.mark.parametrize("tamper", ["body", "id", "timestamp", "secret"])
def test_the_reference_implementation_refuses_anything_changed(tamper):
    secret = signing.new_secret()
    body = b'{"id":"e1","data":{}}'
    now = int(time.time())
    headers = headers_for(event_id="e1", secret=secret, body=body, timestamp=now)
    if tamper == "body":
        body = b'{"id":"e1","data":{"x":1}}'
    elif tamper == "id":
        headers["webhook-id"] = "e2"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(now - 1)
    else:
        secret = signing.new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_the_signature_header_is_v1_and_the_base64_hmac():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    value = signing.signature(secret=secret, message_id="msg_1", timestamp=1700000000, body=b"{}")
    version, _, digest = value.partition(",")
    assert version == "v1"
    assert len(base64.b64decode(digest, validate=True)) == 32
