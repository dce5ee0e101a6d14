from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice
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


class TwoFactorAdminSite(admin.AdminSite):
    """The admin, entered through the site's log-in (allauth: the password, then an authenticator's code for whoever
    added one), open to staff whose session passed two-factor where the policy asks for it (always, with
    OTP_ADMIN_REQUIRED). Staff let in without it are sent to add an authenticator, or to log in again with it."""

    def has_permission(self, request):
        return super().has_permission(request) and two_factor_passed(request.user)

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not two_factor_passed(user):
            if is_mfa_enabled(user):
                messages.info(request, "The admin needs your authenticator's code: log out, then log in again with it.")
            else:
                messages.info(request, "The admin needs two-factor log-in: add an authenticator app here first.")
            return redirect("mfa_index")
        return secure_admin_login(super().login)(request, extra_context)


admin.site.__class__ = TwoFactorAdminSite  # the default site, as every app registered its models with it
# django-otp's devices are only the source of the data migration to allauth.mfa (accounts 0006): not edited here.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
