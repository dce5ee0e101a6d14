"""A real OpenID Connect server on localhost standing in for the Hugging Face hub (oidc-provider-mock, in a thread),
and the steps of a hub log-in driven over HTTP: the site's log-in POST, the hub's consent, the site's callback."""

import base64
import hashlib
import io
import threading
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import requests
import werkzeug.serving

from accounts.hub_oauth import hub_oauth_providers

CLIENT_ID, CLIENT_SECRET = "leaderboard-test", "leaderboard-test-secret"
LOGIN = "/accounts/oidc/huggingface/login/"


def org(name: str) -> dict:
    """One entry of the userinfo's orgs claim, as the hub writes it."""
    return {"sub": f"org-{name}", "name": name.title(), "preferred_username": name, "isEnterprise": False}


class HubServer:
    """The stand-in hub. It records every token request and checks PKCE itself (the mock does not): a token
    request whose code_verifier does not hash to the authorization request's code_challenge gets a 400."""

    def __init__(self):
        self.challenges: dict[str, str] = {}  # authorization code -> the code_challenge of the request it answered
        self.token_requests: list[dict] = []
        self.app = oidc_provider_mock.app(require_nonce=False)
        self.server = werkzeug.serving.make_server("localhost", 0, self._wsgi, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _wsgi(self, environ, start_response):
        if environ["PATH_INFO"] == "/oauth2/authorize":
            challenge = parse_qs(environ.get("QUERY_STRING", "")).get("code_challenge", [""])[0]

            def remember_the_code(status, headers, *args):
                for name, value in headers:
                    if name.lower() == "location" and "code=" in value:
                        self.challenges[parse_qs(urlsplit(value).query)["code"][0]] = challenge
                return start_response(status, headers, *args)

            return self.app(environ, remember_the_code)
        if environ["PATH_INFO"] == "/oauth2/token":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append(form)
            challenge = self.challenges.get(form.get("code", ""))
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not challenge or digest != challenge:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "invalid_grant", "error_description": "PKCE verification failed"}']
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def user_set(self, sub: str, **claims):
        """Create or change a hub user (their claims, orgs included) through the mock's own API."""
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def providers(self, **kwargs) -> dict:
        return hub_oauth_providers(client_id=CLIENT_ID, secret=CLIENT_SECRET, server_url=self.url, **kwargs)

    def consent(self, authorize_url: str, sub: str) -> str:
        """The user says yes on the hub as ``sub``; returns the site callback path the hub sends them back to."""
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        callback = urlsplit(answer.headers["Location"])
        return f"{callback.path}?{callback.query}"


def hub_sign_in(client, hub: HubServer, sub: str, **login_data):
    """A whole hub log-in (``process="connect"`` links the account to the signed-in user); returns the
    site's answer to the callback."""
    start = client.post(LOGIN, login_data)
    assert start.status_code == 302, start.content
    return client.get(hub.consent(start["Location"], sub))
