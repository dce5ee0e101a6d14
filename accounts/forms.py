from datetime import timedelta

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Scope
from accounts.policy import can_create_token
from accounts.services import MODERATE_TOKEN_NEEDS_TWO_FACTOR, mail_queue


class SignupForm(UserCreationForm):
    """The email address is not saved here: it is attached once its owner follows the link mailed to it
    (accounts.services.user_email_confirmation_send), so the form never tells whether an address is taken."""

    email = forms.EmailField(
        required=False,
        help_text="Optional, but without it we cannot tell you that an evaluation finished or failed, "
        "nor reset a forgotten password. We send a link to confirm it.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username"]


EXPIRY_CHOICES = [("", "never"), ("7", "in 7 days"), ("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. CI on my laptop"}))
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ, widget=forms.RadioSelect)
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False, label="Expires")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.is_staff:  # the moderate scope is offered to staff only (it could do nothing more for others)
            self.fields["scope"].choices = [c for c in Scope.choices if c[0] != Scope.MODERATE]

    def clean_scope(self):
        scope = self.cleaned_data["scope"]
        if not can_create_token(self.user, scope):
            raise forms.ValidationError(MODERATE_TOKEN_NEEDS_TWO_FACTOR)
        return scope

    def expires_at(self):
        days = self.cleaned_data["expires"]
        return timezone.now() + timedelta(days=int(days)) if days else None


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's, the mail queued (accounts.services.mail_queue) instead of sent in the request: whether the
    address is registered does not show in how long the request takes, whatever the mail server does."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        mail_queue(subject=subject, body=render_to_string(email_template_name, context), to=to_email)
