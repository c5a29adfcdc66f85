import pytest

from webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def resolve_as(settings, monkeypatch):
    """Make host names resolve as the test says ({name: [addresses]}), without DNS; names not
    listed are unknown. IP addresses and localhost resolve as themselves (offline_resolver)."""
    from webhooks import addresses

    table: dict[str, list[str]] = {}

    def stub(host: str, port: int) -> list[str]:
        if host in table:
            return list(table[host])
        return addresses.offline_resolver(host, port)

    monkeypatch.setattr(addresses, "stub_resolver_for_tests", stub, raising=False)
    settings.WEBHOOK_RESOLVER = "webhooks.addresses.stub_resolver_for_tests"

    def set_table(mapping: dict[str, list[str]]) -> None:
        table.clear()
        table.update(mapping)

    return set_table


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test at any attempt to connect a socket to an address outside 127.0.0.0/8 and
    ::1, before a packet leaves: for tests of the guard that must not reach such an address."""
    import ipaddress
    import socket

    attempts: list[tuple] = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            attempts.append(address)
            raise AssertionError(f"tried to connect to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts
