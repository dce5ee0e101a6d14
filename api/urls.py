from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its script from a URL: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", views.Me.as_view(), name="api-me"),
    path("suites/", views.SuiteList.as_view(), name="api-suites"),
    path("suites/<slug:slug>/", views.SuiteDetail.as_view(), name="api-suite"),
    path("leaderboard/<slug:slug>/", views.Leaderboard.as_view(), name="api-leaderboard"),
    path("compare/<slug:slug>/", views.Compare.as_view(), name="api-compare"),
    path("models/<str:org>/<str:name>/", views.ModelDetail.as_view(), name="api-model"),
    path("runs/<int:run_id>/samples/<str:task>/", views.SampleList.as_view(), name="api-samples"),
    path("flags/", views.FlagList.as_view(), name="api-flags"),
    path("flags/<int:pk>/", views.FlagDetail.as_view(), name="api-flag"),
    path("flags/<int:pk>/comments/", views.FlagComments.as_view(), name="api-flag-comments"),
    path("submissions/", views.SubmissionList.as_view(), name="api-submissions"),
    path("submissions/<int:pk>/", views.SubmissionDetail.as_view(), name="api-submission"),
    path("submissions/<int:pk>/cancel/", views.SubmissionCancel.as_view(), name="api-submission-cancel"),
    path("submissions/<int:pk>/vote/", views.SubmissionVote.as_view(), name="api-submission-vote"),
    path("submissions/<int:pk>/approve/", views.SubmissionApprove.as_view(), name="api-submission-approve"),
    path("submissions/<int:pk>/reject/", views.SubmissionReject.as_view(), name="api-submission-reject"),
    path("submissions/<int:pk>/requeue/", views.SubmissionRequeue.as_view(), name="api-submission-requeue"),
]
