"""Mastery pages: the overview, the study plan, progress over time, marking plan items done, and the reset.

Interfaces only: parse, authorize (ownership through the selectors), call one service, answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mastery import selectors, services
from mastery.forms import ItemDoneForm, ResetForm


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "mastery/overview.html", selectors.mastery_overview(user=request.user))


@login_required
@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    return render(request, "mastery/plan.html", selectors.plan_page(user=request.user))


@login_required
@require_POST
def plan_refresh(request: HttpRequest) -> HttpResponse:
    services.study_plan_generate(user=request.user, force=True)
    messages.success(request, "Your study plan was rewritten from your latest mastery.")
    return redirect("mastery:plan")


@login_required
@require_POST
def item_done(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.study_item_for_owner(user=request.user, item_id=item_id)
    form = ItemDoneForm(request.POST)
    form.is_valid()  # a single optional checkbox: absent means "not done"
    item = services.study_item_mark_done(item=item, done=form.cleaned_data.get("done", False))
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"id": item.pk, "done": item.done})
    return redirect("mastery:plan")


@login_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    return render(request, "mastery/progress.html", selectors.progress_over_time(user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, topic_slug: str | None = None) -> HttpResponse:
    topic = selectors.topic_by_slug(slug=topic_slug) if topic_slug else None
    form = ResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        removed = services.mastery_reset(user=request.user, topic=topic)
        scope = topic.name if topic else "all topics"
        messages.success(request, f"Mastery of {scope} was reset ({removed} subtopic estimates removed).")
        return redirect("mastery:overview")
    return render(request, "mastery/reset_confirm.html", {
        "form": form, "topic": topic, "scope": selectors.reset_scope(user=request.user, topic=topic)})
