"""The REST API: thin views over the same services and selectors the site uses."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django_filters import BooleanFilter, MultipleChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from accounts.selectors import hub_identity, hub_organisations
from api import serializers as s
from api.pagination import MAX_PAGE_SIZE
from api.permissions import MatrixPermission, can_moderate
from api.throttling import VoteRateThrottle
from catalogue.models import Suite
from comparisons.selectors import MAX_COMPARED, compare_models_parse, comparison_for
from evaluation.selectors import submissions_of
from flags.models import Flag
from flags.selectors import flags_public, model_flags
from flags.services import flag_comment_add
from model_pages.selectors import model_rankings, model_submissions
from pipeline.intake import submission_approve, submission_cancel, submission_requeue, submission_submit
from rankings.filters import RankingFilter
from rankings.flagging import flag_create
from rankings.ranking import ranking
from rankings.ranking_state import ranking_state
from samples.selectors import OUTCOMES, run_for_samples, samples
from submissions.models import ModelSubmission
from submissions.selectors import voted
from submissions.services import submission_reject
from submissions.votes import vote_cast, vote_withdraw


class MatrixView(APIView):
    permission_classes = [MatrixPermission]
    matrix_name = ""


CONFLICT = {409: inline_serializer("Conflict", {"detail": serializers.CharField()})}


class Me(MatrixView):
    """The signed-in user: their name, their linked Hugging Face account and its verified organisations."""

    matrix_name = "me"

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        identity = hub_identity(request.user)
        me = {
            "username": request.user.get_username(),
            "hub_username": identity.username if identity else None,
            "organisations": hub_organisations(request.user),
            "organisations_read_at": identity.read_at if identity else None,
        }
        return Response(s.MeSerializer(me).data)


# --- Suites and rankings --------------------------------------------------------------------------


class SuiteList(MatrixView, generics.ListAPIView):
    matrix_name = "suites"
    serializer_class = s.SuiteSerializer
    queryset = Suite.objects.prefetch_related("tasks")
    pagination_class = None


class SuiteDetail(MatrixView, generics.RetrieveAPIView):
    matrix_name = "suite"
    serializer_class = s.SuiteSerializer
    queryset = Suite.objects.prefetch_related("tasks")
    lookup_field = "slug"


RANKING_PARAMETERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.BOOL if isinstance(f, BooleanFilter) else OpenApiTypes.STR,
        many=isinstance(f, MultipleChoiceFilter),
        description=str(f.label or name),
    )
    for name, f in RankingFilter.base_filters.items()
] + [
    OpenApiParameter("scores", OpenApiTypes.STR, enum=["raw", "norm"], description="normalise to the random baseline"),
    OpenApiParameter("average", OpenApiTypes.STR, enum=["all", "visible"], description="average over"),
    OpenApiParameter("cols", OpenApiTypes.STR, many=True, description="columns (task names) to show"),
    OpenApiParameter("subject", OpenApiTypes.STR, description="a subject of the suite's breakdowns to sort by"),
    OpenApiParameter("sort", OpenApiTypes.STR, description="column to sort by, '-' for descending"),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=f"rows per page, at most {MAX_PAGE_SIZE}"),
]


class Leaderboard(MatrixView, generics.GenericAPIView):
    """A suite's ranking with the ranking page's filters, sorting and display options, paginated."""

    matrix_name = "leaderboard"

    @extend_schema(parameters=RANKING_PARAMETERS, responses=s.RankingSerializer)
    def get(self, request, slug):
        ranked = ranking(request.query_params, slug)
        rows = self.paginate_queryset(ranked.rows(request, references=False))
        page = self.paginator.page
        data = {
            "suite": ranked.suite.slug,
            "tasks": [t.task for _, t in ranked.visible],
            "count": page.paginator.count,
            "page": page.number,
            "num_pages": page.paginator.num_pages,
            "rows": [
                {
                    "rank": row.entry.rank,  # the stored rank: by the average over all tasks, raw
                    "model": row.model,
                    "revision": row.revision,
                    "precision": row.precision,
                    "scores": row.scores,
                    "average": row.average,
                    "flagged": row.flagged,
                    "ci": row.ci,
                    "average_ci": row.average_ci,
                    "rank_band": row.rank_band,
                    "comparable": row.comparable,
                    "format_gap": row.entry.format_gap,
                    "format_gap_ci": row.entry.format_gap_ci,
                    "co2_g": row.entry.co2_g,
                }
                for row in rows
            ],
        }
        return Response(s.RankingSerializer(data).data)


class Compare(MatrixView):
    """Two to four models of a suite, the first against each other one: per task and for the average, the
    difference of their accuracies with a 95% interval and a p-value, paired by question (exact McNemar per
    task, a sign-flip permutation test for the average) where both have logged samples, else unpaired from the
    stored stderrs. A model is named by its hub id (its best ranked submission on the suite)."""

    matrix_name = "compare"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "models", OpenApiTypes.STR, required=True, description=f"2 to {MAX_COMPARED} hub ids, comma-separated"
            ),
        ],
        responses=s.ComparisonSerializer,
    )
    def get(self, request, slug):
        model_ids = compare_models_parse(request.query_params.get("models", ""))
        compared = comparison_for(ranking_state(slug), model_ids, settings.RANKING_CACHE_SECONDS)  # CompareError: 400
        return Response(compared.result)


# --- Models and samples ---------------------------------------------------------------------------


class ModelDetail(MatrixView):
    """A model: its rankings, every submission with its runs, results and reproducibility records, its flags."""

    matrix_name = "model"

    @extend_schema(responses=s.ModelSerializer)
    def get(self, request, org, name):
        model_id = f"{org}/{name}"
        submissions = model_submissions(model_id)
        if not submissions:
            raise NotFound(f"{model_id} has never been submitted.")
        data = {
            "model": model_id,
            "rankings": [ranked.entry for ranked in model_rankings(model_id)],
            "submissions": submissions,
            "flags": model_flags(model_id),
        }
        return Response(s.ModelSerializer(data).data)


class SampleCursor(CursorPagination):
    ordering = "doc_id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class SampleList(MatrixView, generics.ListAPIView):
    """The logged samples of one task of a run, in document order."""

    matrix_name = "samples"
    serializer_class = s.SampleSerializer
    pagination_class = SampleCursor

    @extend_schema(
        parameters=[
            OpenApiParameter("outcome", OpenApiTypes.STR, enum=list(OUTCOMES)),
            OpenApiParameter("q", OpenApiTypes.STR, description="search in the prompt"),
            OpenApiParameter("filter", OpenApiTypes.STR, description="lm-eval filter (default: the suite's)"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        found = run_for_samples(self.kwargs["run_id"])
        if found is None:
            raise NotFound("No such run.")
        run, suite_tasks = found
        suite_task = next((t for t in suite_tasks if t.task == self.kwargs["task"]), None)
        if suite_task is None:
            raise NotFound(f"run {run.pk} has no task {self.kwargs['task']!r}")
        params = self.request.query_params
        outcome = params.get("outcome", "")
        if outcome not in ("", *OUTCOMES):
            raise ValidationError({"outcome": "Use 'correct', 'incorrect' or 'no_answer'."})
        return samples(
            run, suite_task, params.get("filter", suite_task.metric_filter), outcome=outcome, query=params.get("q", "")
        )


# --- Flags ----------------------------------------------------------------------------------------


class FlagList(MatrixView, generics.ListAPIView):
    matrix_name = "flags"
    serializer_class = s.FlagSerializer

    def get_queryset(self):
        return flags_public()

    @extend_schema(request=s.FlagSerializer, responses={201: s.FlagSerializer})
    def post(self, request):
        payload = s.FlagSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        flag = flag_create(user=request.user, **payload.validated_data)
        return Response(s.FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


class FlagDetail(MatrixView, generics.RetrieveAPIView):
    matrix_name = "flag"
    serializer_class = s.FlagDetailSerializer
    queryset = Flag.objects.select_related("user").prefetch_related("comments__user")


class FlagComments(MatrixView):
    matrix_name = "flag-comments"

    @extend_schema(request=s.FlagCommentSerializer, responses={201: s.FlagCommentSerializer})
    def post(self, request, pk):
        flag = get_object_or_404(Flag, pk=pk)
        payload = s.FlagCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = flag_comment_add(flag=flag, user=request.user, text=payload.validated_data["text"])
        return Response(s.FlagCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


# --- Submissions ----------------------------------------------------------------------------------


def _submissions_for(request):
    if policy.can_moderate(request.user):  # seeing every submission is a read: any token scope
        return ModelSubmission.objects.select_related("suite").prefetch_related("runs__results").order_by("-created_at")
    return submissions_of(request.user).prefetch_related("runs__results")


class SubmissionList(MatrixView, generics.ListAPIView):
    """Your submissions (staff: everyone's), newest first; POST submits a model, with the form's checks."""

    matrix_name = "submissions"
    serializer_class = s.SubmissionSerializer

    def get_queryset(self):
        return _submissions_for(self.request)

    @extend_schema(
        request=s.SubmissionSerializer,
        responses={
            201: s.SubmissionSerializer,
            503: inline_serializer("HubUnavailable", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request):
        payload = s.SubmissionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # SubmissionError: a 400 naming the field; HubUnavailable (nothing wrong with the request): a 503 (api.errors)
        submission = submission_submit(user=request.user, **payload.validated_data)
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetail(MatrixView, generics.RetrieveAPIView):
    matrix_name = "submission"
    serializer_class = s.SubmissionSerializer

    def get_queryset(self):
        return _submissions_for(self.request)


class SubmissionAction(MatrixView):
    """A POST that moves a submission; 409 when its status does not allow the move."""

    payload_class: type[serializers.Serializer] = s.NoteSerializer

    def act(self, submission, actor, payload: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk):
        submission = get_object_or_404(_submissions_for(request), pk=pk)
        payload = self.payload_class(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            self.act(submission, request.user, payload.validated_data)  # TransitionError: a 409 (api.errors)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        submission.refresh_from_db()
        return Response(s.SubmissionSerializer(submission).data)


@extend_schema(request=s.NoteSerializer, responses={200: s.SubmissionSerializer, **CONFLICT})
class SubmissionCancel(SubmissionAction):
    """Cancel: the submitter while it waits for review or in the queue; staff at any time."""

    matrix_name = "submission-cancel"

    def act(self, submission, actor, payload):
        if submission.user_id != actor.pk and not can_moderate(self.request):
            raise PermissionDenied("Cancelling another user's submission needs the moderation permission.")
        submission_cancel(submission, actor=actor, note=payload["note"])


@extend_schema(request=None, responses={200: s.VoteSerializer, 201: s.VoteSerializer, **CONFLICT})
class SubmissionVote(MatrixView):
    """Upvote the model revision of a submission that waits (POST) or take the vote back (DELETE): one vote per
    user per revision; 409 when it does not wait, on a second vote, or a withdrawal without a vote."""

    matrix_name = "submission-vote"
    throttle_classes = [*MatrixView.throttle_classes, VoteRateThrottle]

    def post(self, request, pk):
        return self.vote(request, pk, vote_cast, status.HTTP_201_CREATED)

    def delete(self, request, pk):
        return self.vote(request, pk, vote_withdraw, status.HTTP_200_OK)

    def vote(self, request, pk, service, success: int) -> Response:
        submission = get_object_or_404(ModelSubmission, pk=pk)
        count = service(user=request.user, submission=submission)  # VoteError: 409 (api.errors)
        data = {
            "votes": count,
            "voted": bool(voted(request.user, [submission])),
            "counted": policy.vote_counts(request.user),
        }
        return Response(s.VoteSerializer(data).data, status=success)


@extend_schema(request=s.NoteSerializer, responses={200: s.SubmissionSerializer, **CONFLICT})
class SubmissionApprove(SubmissionAction):
    matrix_name = "submission-approve"

    def act(self, submission, actor, payload):
        submission_approve(submission, actor=actor, note=payload["note"])


@extend_schema(request=s.RejectSerializer, responses={200: s.SubmissionSerializer, **CONFLICT})
class SubmissionReject(SubmissionAction):
    matrix_name = "submission-reject"
    payload_class = s.RejectSerializer

    def act(self, submission, actor, payload):
        submission_reject(submission, actor=actor, reason=payload["reason"])


@extend_schema(request=s.NoteSerializer, responses={200: s.SubmissionSerializer, **CONFLICT})
class SubmissionRequeue(SubmissionAction):
    matrix_name = "submission-requeue"

    def act(self, submission, actor, payload):
        submission_requeue(submission, actor=actor, note=payload["note"])
