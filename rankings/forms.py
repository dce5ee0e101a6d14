import json

from django import forms

from catalogue.models import Suite
from rankings.models import LeaderboardEntry
from rankings.references import RankingError, random_baseline_scores, reference_scores_check
from submissions.models import ModelType


class ReferenceEntryForm(forms.ModelForm):
    """A reference row in the admin: a name, where the scores come from, and the scores themselves."""

    scores = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
        help_text='JSON: {"lm-eval task": score from 0 to 1, ...}; tasks without a published score may be left '
        "out (the row then has no average). Leave empty with “random baseline” ticked to fill in 1/choices.",
    )
    random_baseline = forms.BooleanField(
        required=False, help_text="Fill in what answering at random scores on every task with fixed choices."
    )
    model_type = forms.ChoiceField(choices=[("", "—")] + ModelType.choices, required=False)

    class Meta:
        model = LeaderboardEntry
        fields = [
            "suite",
            "model_id",
            "reference_source",
            "num_fewshot",
            "scoring",
            "model_type",
            "params_billions",
            "license",
        ]
        labels = {"model_id": "Name", "reference_source": "Source", "num_fewshot": "n-shot"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suite"].queryset = Suite.objects.all()
        if self.instance.pk:
            self.initial["scores"] = json.dumps(self.instance.scores, indent=2)

    def clean_scores(self):
        text = self.cleaned_data["scores"].strip()
        if not text:
            return {}
        try:
            scores = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None
        if not isinstance(scores, dict):
            raise forms.ValidationError('Give an object: {"task": score, ...}.')
        return scores

    def clean(self):
        data = super().clean()
        suite = data.get("suite")
        if suite is None or "scores" not in data:
            return data
        if data.get("random_baseline"):
            data["scores"] = {**random_baseline_scores(suite), **data["scores"]}
        try:
            reference_scores_check(list(suite.tasks.all()), data["scores"])
        except RankingError as exc:
            self.add_error("scores", exc.message)
        return data
