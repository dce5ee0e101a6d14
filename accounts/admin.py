from django.conf import settings
from django.contrib import admin
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_q.models import Failure, OrmQ, Schedule, Success

from accounts.models import ApiToken, HubIdentity
from accounts.policy import two_factor_passed


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are created by their owner, who alone sees them once


@admin.register(HubIdentity)
class HubIdentityAdmin(admin.ModelAdmin):
    """What the hub said at each user's last hub log-in: read only (it changes at their next one)."""

    list_display = ["username", "orgs", "read_at"]
    search_fields = ["username", "uid"]
    readonly_fields = ["uid", "username", "orgs", "read_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SuperuserOnly:
    """django-q2's task admin runs a dotted function path with arguments: superusers only, whatever a staff
    user's permissions say."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_delete_permission(request, obj)


# django_q precedes accounts in INSTALLED_APPS, so its admin is registered by the time this runs.
for _model in (Schedule, Success, Failure, OrmQ):
    if admin.site.is_registered(_model):
        _base = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(_model, type(_base.__name__, (SuperuserOnly, _base), {}))


class TwoFactorAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """The admin's log-in: a code from the user's TOTP device where they have one (always, with
    OTP_ADMIN_REQUIRED)."""

    def clean_otp(self, user):
        if settings.OTP_ADMIN_REQUIRED or user is None or user_has_device(user):
            super().clean_otp(user)


class TwoFactorAdminSite(OTPAdminSite):
    """django-otp's admin site, optional per user: staff who added a TOTP device (in the admin, under "TOTP
    devices") must have given its code in this session; staff without one are let in as before, unless
    OTP_ADMIN_REQUIRED, which lets in no one unverified."""

    login_form = TwoFactorAdminAuthenticationForm

    def has_permission(self, request):
        return admin.AdminSite.has_permission(self, request) and two_factor_passed(request.user)


admin.site.__class__ = TwoFactorAdminSite  # django-otp's documented way to switch the default site
