"""The client's address behind NUM_PROXIES proxies (core.client_ip): the rule on its edge cases, and django-ipware's
answer where the two agree (a library cannot say the rule whole: see the module's docstring)."""

import ipaddress

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import strategies as st
from ipware import get_client_ip

from core.client_ip import client_ip

PROXY = "192.0.2.100"  # REMOTE_ADDR: the last proxy, or the client itself without one


def address(num_proxies: int, forwarded: str | None) -> str:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    with override_settings(NUM_PROXIES=num_proxies):
        return client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY, **extra))


@pytest.mark.parametrize(
    "num_proxies,forwarded,client",
    [
        (0, None, PROXY),
        (0, "203.0.113.9", PROXY),  # no proxy counted: the header is anyone's, never read
        (1, None, PROXY),  # a request that did not pass the proxy (a health check from its host)
        (1, "", PROXY),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1, 203.0.113.9", "203.0.113.9"),  # what the client sent stays left of the proxy's entry
        (1, '1.2.3.4, "x, 203.0.113.9', "203.0.113.9"),  # ... whatever it sent (django-ipware: 1.2.3.4)
        (1, "1.2.3.4, unknown", "unknown"),  # the proxy's entry, whatever it says (django-ipware: 1.2.3.4)
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two proxies: the second from the end
        (2, "203.0.113.9", "203.0.113.9"),  # fewer entries than proxies: the first (django-ipware: none)
        (3, "203.0.113.9,10.0.0.2", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "203.0.113.9, 2001:db8::1 ", "2001:db8::1"),
        (1, "127.0.0.1", "127.0.0.1"),  # private and loopback addresses are clients like any other
        (1, "203.0.113.9, 10.0.0.5", "10.0.0.5"),  # (django-ipware without proxies would pick the public one)
    ],
)
def test_the_client_is_the_entry_num_proxies_from_the_end(num_proxies, forwarded, client):
    assert address(num_proxies, forwarded) == client


def clean(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address django-ipware returns as it is written: no IPv4 inside an IPv6 one (it unwraps those) and none
    that cannot be a client's (it refuses unspecified, multicast, reserved and 0.0.0.0/8 ones)."""
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip in ipaddress.ip_network("64:ff9b::/96")):
        return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("0.0.0.0/8"):
        return False
    return not (ip.is_unspecified or ip.is_multicast or ip.is_reserved)


addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).filter(clean).map(str)


@given(chain=st.lists(addresses, min_size=1, max_size=6), data=st.data())
def test_django_ipware_agrees_on_every_chain_at_least_as_long_as_the_proxies(chain, data):
    """Public, private, loopback, IPv4 and IPv6 entries, spoofed ones in front: our NUM_PROXIES is django-ipware's
    proxy_count + 1 (it counts the proxies whose address is in the header, ours the last one too)."""
    num_proxies = data.draw(st.integers(min_value=1, max_value=len(chain)))
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=", ".join(chain))
    expected, _ = get_client_ip(
        request, proxy_count=num_proxies - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
    )
    with override_settings(NUM_PROXIES=num_proxies):
        assert client_ip(request) == expected == chain[-num_proxies]
