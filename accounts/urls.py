from allauth.urls import build_provider_urlpatterns
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("email/<str:token>/", views.email_confirm, name="email-confirm"),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.token_delete, name="api-token-delete"),
    # Django's own, with API tokens revoked on a new password:
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("", include("django.contrib.auth.urls")),
    # Sign in with Hugging Face (django-allauth): /accounts/oidc/huggingface/login/ and its callback, the
    # connections page (unlink) and the sign-up form a hub log-in falls back to.
    path("oidc/<str:provider_id>/login/", views.hub_login, name="hub-login"),
    path("oidc/<str:provider_id>/login/callback/", views.hub_callback, name="hub-callback"),
    path("3rdparty/", include("allauth.socialaccount.urls")),
    *build_provider_urlpatterns(),
    # The name allauth's views send people to log in (the log-in page above).
    path("login/", auth_views.LoginView.as_view(), name="account_login"),
]
