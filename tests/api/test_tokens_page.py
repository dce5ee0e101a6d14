from django.urls import reverse

from accounts.models import ApiToken


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(client, people):
    client.force_login(people["user"])
    assert reverse("api-tokens") in client.get(reverse("profile")).content.decode()
    page = client.post(
        reverse("api-tokens"), {"name": "laptop <script>", "scope": "read", "expires": "30"}
    ).content.decode()
    token = ApiToken.objects.get(user=people["user"])
    raw = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert raw.startswith(token.prefix) and token.digest not in page and "<script>" not in page
    assert raw not in client.get(reverse("api-tokens")).content.decode()  # shown once only
    ok = client.get(reverse("api-submissions"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ok.status_code == 200

    client.force_login(people["other"])  # another user cannot revoke it
    client.post(reverse("api-token-delete", args=[token.pk]))
    assert ApiToken.objects.filter(pk=token.pk).exists()
    client.force_login(people["user"])
    client.post(reverse("api-token-delete", args=[token.pk]))
    assert not ApiToken.objects.exists()
    client.logout()
    assert client.get(reverse("api-submissions"), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_the_token_page_needs_a_login(client, db):
    response = client.get(reverse("api-tokens"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_only_staff_are_offered_the_moderate_scope_and_a_new_token_has_a_copy_button(client, people):
    client.force_login(people["user"])
    assert 'value="moderate"' not in client.get(reverse("api-tokens")).content.decode()
    page = client.post(reverse("api-tokens"), {"name": "ci", "scope": "submit"}).content.decode()
    assert 'data-copy="new-token"' in page and "/static/js/copy" in page
    client.force_login(people["staff"])
    assert 'value="moderate"' in client.get(reverse("api-tokens")).content.decode()
