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
]
