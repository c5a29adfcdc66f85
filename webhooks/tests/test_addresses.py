"""The SSRF guard, on the address check itself: every kind of address it must refuse, host names
through a stub resolver (no DNS is asked, no packet is sent)."""

import ipaddress

import pytest

from webhooks.addresses import MAX_URL_LENGTH, UnsafeUrl, check_url, refusal

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "private",  # carrier-grade NAT
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "link-local",  # the cloud metadata address
    "169.254.0.1": "link-local",
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",  # broadcast
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "0.1.2.3": "private",  # "this network"
    "192.0.2.10": "private",  # documentation range
    "198.18.0.1": "private",  # benchmarking range
    "::ffff:127.0.0.1": "loopback address (inside an IPv6 address)",
    "::ffff:10.1.2.3": "private address (inside an IPv6 address)",
    "2002:7f00:1::1": "loopback address (inside an IPv6 address)",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1": "link-local address (inside an IPv6 address)",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe": "link-local address (inside an IPv6 address)",  # NAT64 of 169.254.169.254
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:2800:220:1:248:1893:25c8:1946", "2001:4860:4860::8888"]


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_non_public_addresses_are_refused_with_their_kind(address, kind):
    assert kind in refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.fixture
def guarded(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False


@pytest.mark.parametrize("address", list(REFUSED))
def test_a_host_resolving_to_a_refused_address_is_refused(guarded, resolve_as, address):
    resolve_as({"hooks.example.com": [address]})
    with pytest.raises(UnsafeUrl, match="resolves to"):
        check_url("https://hooks.example.com/in")


def test_one_refused_address_among_public_ones_refuses_the_host(guarded, resolve_as):
    resolve_as({"hooks.example.com": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(UnsafeUrl, match="private"):
        check_url("https://hooks.example.com/in")


def test_a_public_host_is_approved_with_its_addresses(guarded, resolve_as):
    resolve_as({"hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    target = check_url("https://Hooks.Example.com:8443/in?x=1#part")
    assert target.scheme == "https"
    assert target.host == "hooks.example.com"
    assert target.port == 8443
    assert target.path == "/in?x=1"
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://2130706433/hook",  # 127.0.0.1 written as one number
        "https://0x7f.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1%25eth0]/",
    ],
)
def test_address_literals_are_checked_as_their_address(guarded, resolve_as, url):
    resolve_as({})
    with pytest.raises(UnsafeUrl):
        check_url(url)


def test_unresolvable_hosts_are_refused(guarded, resolve_as):
    resolve_as({})
    with pytest.raises(UnsafeUrl, match="could not be resolved"):
        check_url("https://nowhere.invalid/hook")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/in", "https"),
        ("ftp://hooks.example.com/in", "https"),
        ("hooks.example.com/in", "https"),
        ("", "https"),
        ("https:///in", "no host"),
        ("https://user:pw@hooks.example.com/in", "user name"),
        ("https://hooks.example.com:99999/in", "Not a valid"),
        ("https://hooks.example.com:0/in", "Not a valid port"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/\x00", "control"),
        ("https://hööks.example.com/", "non-ASCII"),
        ("https://[::1/", "Not a valid URL"),
        ("https://hooks.example.com/" + "a" * MAX_URL_LENGTH, "at most 2048"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(guarded, resolve_as, url, message):
    resolve_as({"hooks.example.com": ["93.184.216.34"]})
    with pytest.raises(UnsafeUrl, match=message):
        check_url(url)


def test_http_and_private_addresses_when_allowed(settings, resolve_as):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    resolve_as({})
    target = check_url("http://127.0.0.1:8080/hook")
    assert (target.scheme, target.port, target.addresses) == ("http", 8080, ("127.0.0.1",))


def test_a_url_of_exactly_the_limit_is_accepted(guarded, resolve_as):
    resolve_as({"hooks.example.com": ["93.184.216.34"]})
    base = "https://hooks.example.com/"
    assert check_url(base + "a" * (MAX_URL_LENGTH - len(base))).host == "hooks.example.com"


def test_the_offline_resolver_asks_no_dns():
    from webhooks.addresses import offline_resolver

    assert offline_resolver("localhost", 80) == ["127.0.0.1", "::1"]
    assert offline_resolver("10.1.2.3", 80) == ["10.1.2.3"]
    with pytest.raises(OSError):
        offline_resolver("example.com", 80)
