"""The ceiling: a WSGI app that does nothing but return a fixed JSON body."""

BODY = b'{"id":1,"name":"Ada Lovelace","email":"ada@example.com","phone":"555-0101"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
