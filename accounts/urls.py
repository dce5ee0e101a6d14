from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.token_delete, name="api-token-delete"),
    # Sign in with Hugging Face: allauth's openid_connect views, the hub not answering told as such.
    path("oidc/<str:provider_id>/login/", views.hub_login, name="hub-login"),
    path("oidc/<str:provider_id>/login/callback/", views.hub_callback, name="hub-callback"),
    # django-allauth: log-in, log-out, sign-up, email confirmation, password change, set and reset, the hub account
    # (3rdparty/: unlink) and the rest of the hub log-in.
    path("", include("allauth.urls")),
]
