"""Assertions on API responses shared by several apps' test modules (not a test module itself)."""


def assert_error(response, status: int, *fields: str) -> dict:
    """The API's error shape: {"error": sentence, "fields": {field: [messages]}}."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    if fields:
        assert set(fields) <= set(body["fields"]), body
    for messages in body.get("fields", {}).values():
        assert messages and all(isinstance(message, str) and message for message in messages)
    return body


def error_fields(response) -> dict:
    """The "fields" of a 400 response, which must carry an error sentence."""
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["error"]
    return body["fields"]
