import pytest

from tests.hub_oidc import HubServer


@pytest.fixture(scope="module")
def hub_server():
    server = HubServer().start()
    yield server
    server.stop()


@pytest.fixture
def hub(hub_server, settings):
    """The site's hub log-in pointed at the stand-in hub."""
    settings.SOCIALACCOUNT_PROVIDERS = hub_server.providers()
    hub_server.token_requests.clear()
    return hub_server
