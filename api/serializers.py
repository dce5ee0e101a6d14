from rest_framework import serializers

from catalogue.models import Suite
from catalogue.precision import Precision, WeightType
from flags.models import FlagReason
from submissions.errors import SubmissionError
from submissions.hub import check_model_id
from submissions.models import ModelType


class SuiteTaskSerializer(serializers.Serializer):
    task = serializers.CharField()
    name = serializers.CharField()
    num_fewshot = serializers.IntegerField()
    scoring = serializers.CharField(help_text="multiple_choice (log-likelihood) or generative (answer extracted)")
    metric = serializers.CharField()
    filter = serializers.CharField(source="metric_filter", help_text="the lm-eval filter whose metric ranks")
    other_filters = serializers.ListField(child=serializers.CharField(), help_text="filters recorded, not ranked")
    choices = serializers.IntegerField(allow_null=True)


class SuiteSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    tasks = SuiteTaskSerializer(many=True, source="tasks.all")


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    model = serializers.CharField()
    revision = serializers.CharField()
    precision = serializers.CharField()
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Each visible task's accuracy as a fraction in [0, 1], unrounded (the pages write 100 times it "
        "with one decimal, then both ends of its 95% interval: 53.3 [36.1–69.8])",
    )
    average = serializers.FloatField(allow_null=True, help_text="The average, a fraction in [0, 1] like the scores")
    flagged = serializers.BooleanField()
    ci = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True),
        help_text="Each task's 95% interval [low, high], fractions like the scores (null: unknown)",
    )
    average_ci = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="The average's 95% interval",
    )
    rank_band = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="[best, worst] rank the average's interval allows (Chatbot Arena's rule); null: not ranked",
    )
    comparable = serializers.BooleanField(help_text="Obtained in the suite's setting (n-shot, scoring)")
    format_gap = serializers.FloatField(
        allow_null=True,
        help_text="Generative minus log-likelihood accuracy of this model (commit, precision), paired by question, "
        "mean over the datasets it has both scorings of; null where it has not",
    )
    format_gap_ci = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True, help_text="Its 95% interval"
    )
    co2_g = serializers.FloatField(allow_null=True, help_text="The run's estimated emissions, grams of CO2eq")


class RankingSerializer(serializers.Serializer):
    suite = serializers.CharField()
    tasks = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    rows = RankingRowSerializer(many=True)


class TaskResultSerializer(serializers.Serializer):
    task = serializers.CharField()
    metric = serializers.CharField()
    filter = serializers.CharField(source="metric_filter")
    value = serializers.FloatField()
    stderr = serializers.FloatField(allow_null=True)
    num_fewshot = serializers.IntegerField()
    n_samples = serializers.IntegerField(allow_null=True)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()
    record = serializers.DictField(help_text="The reproducibility record: versions, seeds, batch size, commands")
    results = TaskResultSerializer(many=True, source="results.all")


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    model_id = serializers.CharField(max_length=1000, help_text="ORG/NAME on the Hugging Face hub")
    revision = serializers.CharField(max_length=1000, default="main", help_text="Branch, tag or commit sha")
    precision = serializers.ChoiceField(choices=Precision.choices)
    weight_type = serializers.ChoiceField(choices=WeightType.choices, default=WeightType.ORIGINAL)
    base_model = serializers.CharField(
        max_length=1000, default="", allow_blank=True, help_text="Required for Delta and Adapter weights"
    )
    model_type = serializers.ChoiceField(choices=ModelType.choices, default=ModelType.PRETRAINED)
    use_chat_template = serializers.BooleanField(default=False)
    think_end_token = serializers.CharField(
        max_length=32,
        default="",
        allow_blank=True,
        help_text="A reasoning model's end-of-thinking marker, e.g. </think>",
    )
    suite = serializers.SlugRelatedField(slug_field="slug", queryset=Suite.objects.all())
    commit_sha = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    failure_reason = serializers.CharField(read_only=True)
    priority = serializers.IntegerField(read_only=True)
    votes = serializers.IntegerField(
        read_only=True, help_text="The votes that count for its model revision: the queue's order after the priority"
    )
    facts = serializers.DictField(read_only=True, help_text="What the hub checks found")
    submitted_as = serializers.ChoiceField(
        choices=["organisation", "community"],
        read_only=True,
        help_text="organisation: by a member of the model's organisation, as the hub vouched (its quota); "
        "community: by anyone else (their own quota)",
    )
    created_at = serializers.DateTimeField(read_only=True)
    runs = RunSerializer(many=True, read_only=True, source="runs.all")

    def validate_model_id(self, value):
        try:
            return check_model_id(value)
        except SubmissionError as exc:
            raise serializers.ValidationError(exc.message) from None


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    hub_username = serializers.CharField(allow_null=True, help_text="The linked Hugging Face account; null: none")
    organisations = serializers.ListField(
        child=serializers.CharField(),
        help_text="Hub organisations verified at the last hub log-in (within HUB_ORGS_MAX_AGE_DAYS): submissions "
        "of their models count as theirs",
    )
    organisations_read_at = serializers.DateTimeField(allow_null=True, help_text="When the hub said so")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Shown to the submitter")


class VoteSerializer(serializers.Serializer):
    votes = serializers.IntegerField(help_text="The votes that count for the submission's model revision")
    voted = serializers.BooleanField(help_text="Whether you vote for it now")
    counted = serializers.BooleanField(help_text="Whether your votes count (account age, verified address)")


class RankedSuiteSerializer(serializers.Serializer):
    suite = serializers.CharField(source="suite.slug")
    revision = serializers.CharField(source="commit_sha")
    precision = serializers.CharField()
    average = serializers.FloatField(allow_null=True)
    scores = serializers.DictField(child=serializers.FloatField(allow_null=True))
    run = serializers.IntegerField(source="run_id", allow_null=True)


class FlagCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)
    text = serializers.CharField(max_length=5000)
    created_at = serializers.DateTimeField(read_only=True)


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    model_id = serializers.CharField(max_length=1000)
    user = serializers.CharField(source="user.username", read_only=True)
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    explanation = serializers.CharField(max_length=5000)
    evidence = serializers.ListField(child=serializers.CharField(max_length=1000), default=list, max_length=20)
    status = serializers.CharField(read_only=True)
    moderation_note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class FlagDetailSerializer(FlagSerializer):
    comments = FlagCommentSerializer(many=True, read_only=True, source="comments.all")


class ModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    rankings = RankedSuiteSerializer(many=True)
    submissions = SubmissionSerializer(many=True)
    flags = FlagSerializer(many=True)


class SampleSerializer(serializers.Serializer):
    doc_id = serializers.IntegerField()
    filter = serializers.CharField()
    doc = serializers.JSONField()
    arguments = serializers.JSONField(help_text="The requests exactly as the model saw them")
    target = serializers.CharField()
    resps = serializers.JSONField()
    filtered_resps = serializers.JSONField()
    metrics = serializers.DictField()
    doc_hash = serializers.CharField()
    prompt_hash = serializers.CharField()


def _pair(**kwargs):
    return serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, **kwargs)


class TaskComparisonSerializer(serializers.Serializer):
    n = serializers.IntegerField(required=False, help_text="Questions both answered (matched by doc id and hash)")
    a_correct = serializers.IntegerField(required=False)
    b_correct = serializers.IntegerField(required=False)
    only_a = serializers.IntegerField(required=False, help_text="Right by a, wrong by b")
    only_b = serializers.IntegerField(required=False)
    diff = serializers.FloatField(help_text="Accuracy of a minus b, a fraction (the page: percentage points)")
    diff_ci = _pair(help_text="95% interval of diff")
    p_value = serializers.FloatField()
    method = serializers.CharField(help_text="exact McNemar (paired), or unpaired z-test (a model without samples)")


class AverageComparisonSerializer(serializers.Serializer):
    diff = serializers.FloatField(allow_null=True)
    diff_ci = _pair(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    method = serializers.CharField(help_text="sign-flip permutation (paired), or unpaired z-test")


class PairComparisonSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    paired = serializers.BooleanField(help_text="Paired by question: both have logged samples")
    tasks = serializers.DictField(child=TaskComparisonSerializer(allow_null=True))
    average = AverageComparisonSerializer(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    suite = serializers.CharField()
    models = serializers.ListField(child=serializers.CharField())
    runs = serializers.DictField(child=serializers.IntegerField(), help_text="The run compared for each model")
    comparisons = PairComparisonSerializer(many=True, help_text="The first model against each other one")
