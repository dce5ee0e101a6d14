from django import forms

from catalogue.models import Suite
from catalogue.offline import hub_offline, suite_runs_offline
from catalogue.precision import Precision, WeightType
from submissions.errors import SubmissionError
from submissions.hub import check_model_id
from submissions.models import ModelType

FIELDS = [
    "model_id",
    "revision",
    "precision",
    "weight_type",
    "base_model",
    "model_type",
    "use_chat_template",
    "think_end_token",
    "suite",
]


class SubmissionForm(forms.Form):
    """The fields of a submission, by the names the API uses too. It checks types, choices and the model id's
    form: every other check is submissions.services.submission_prepare's, so the API gets the same ones."""

    model_id = forms.CharField(
        label="Model", max_length=200, help_text="The model's id on the Hugging Face hub, as organisation/name."
    )
    revision = forms.CharField(max_length=200, initial="main", help_text="Branch, tag or commit sha.")
    precision = forms.ChoiceField(choices=Precision.choices, initial=Precision.BFLOAT16)
    weight_type = forms.ChoiceField(choices=WeightType.choices, initial=WeightType.ORIGINAL)
    base_model = forms.CharField(
        max_length=200, required=False, help_text="For delta and adapter weights: the model they apply to."
    )
    model_type = forms.ChoiceField(choices=ModelType.choices)
    use_chat_template = forms.BooleanField(
        required=False,
        help_text="Wrap prompts in the tokenizer's chat template (generative suites: the model answers as a chat).",
    )
    think_end_token = forms.CharField(
        label="End-of-thinking marker",
        max_length=32,
        required=False,
        help_text="Reasoning models only: the text that ends their thinking, e.g. </think>. The thinking is kept "
        "apart and never searched for an answer.",
    )
    suite = forms.ModelChoiceField(queryset=Suite.objects.all(), to_field_name="slug", empty_label=None)

    field_order = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model_id"].widget.attrs.update(placeholder="organisation/name")
        if hub_offline():  # say which suites need the hub's datasets, which this server cannot fetch
            self.fields["suite"].label_from_instance = lambda suite: (
                suite.name if suite_runs_offline(suite) else f"{suite.name} (cannot run here: needs the hub's datasets)"
            )

    def clean_model_id(self):
        try:
            return check_model_id(self.cleaned_data["model_id"])
        except SubmissionError as exc:
            raise forms.ValidationError(exc.message) from None
