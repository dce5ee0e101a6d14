from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from flags.forms import CommentForm
from flags.models import Flag, FlagStatus
from flags.selectors import flag_shown, flags_public
from flags.services import FlagError, flag_comment_add


def flag_detail(request, pk, form=None):
    flag = flag_shown(pk)
    if flag is None:
        raise Http404("No such flag.")
    org, name = flag.model_id.split("/", 1)
    return render(
        request,
        "flags/flag_detail.html",
        {
            "flag": flag,
            "org": org,
            "name": name,
            "comments": flag.comments.select_related("user"),
            "form": form or CommentForm(),
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def flag_comment(request, pk):
    flag = get_object_or_404(Flag, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            flag_comment_add(flag=flag, user=request.user, text=form.cleaned_data["text"])
        except FlagError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(f"{reverse('flag', args=[pk])}#comments")
    return flag_detail(request, pk, form=form)


def flags(request):
    page = Paginator(flags_public(), 50).get_page(request.GET.get("page"))
    return render(request, "flags/flags.html", {"page": page, "FlagStatus": FlagStatus})
