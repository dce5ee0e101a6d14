from django import forms

from flags.models import Flag, FlagReason, FlagStatus
from flags.services import MAX_EVIDENCE_LINKS


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=FlagReason.choices, widget=forms.RadioSelect)
    explanation = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What is wrong, and how you know. Shown publicly.",
    )
    evidence = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://..."}),
        help_text=f"Optional links that back the flag (a discussion, a paper, a dataset), one a line; at most "
        f"{MAX_EVIDENCE_LINKS}.",
    )

    def clean_evidence(self):
        return self.cleaned_data["evidence"].splitlines()


class CommentForm(forms.Form):
    text = forms.CharField(label="Add a supporting comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class FlagModerationForm(forms.ModelForm):
    """Staff decide a flag: upheld or dismissed, with a note shown on its public page."""

    status = forms.ChoiceField(
        label="Decision", choices=[(FlagStatus.UPHELD, "uphold"), (FlagStatus.DISMISSED, "dismiss")]
    )
    moderation_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Shown publicly.")

    class Meta:
        model = Flag
        fields = ["status", "moderation_note"]
