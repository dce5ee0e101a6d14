from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.models import Scope
from accounts.policy import can_create_token
from accounts.services import MODERATE_TOKEN_NEEDS_TWO_FACTOR

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
