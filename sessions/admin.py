from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from sessions.models import Answer, Assignment, InterviewSession, Report, ReportShareLink, SessionQuestion

ANSWER_MEASURED = ["audio_name", "audio_bytes", "audio_deleted_at", "started_at", "ended_at", "duration_s",
                   "speaking_time_s", "signal", "contour", "live_engine", "words", "transcript_engine",
                   "transcript_confidence", "delivery", "similarity", "key_points_covered", "key_points_missed",
                   "scored_at", "mastery_applied_at"]


@admin.action(description="Re-run transcription, scoring and feedback for the selected answers",
              permissions=["change"])
def rerun_feedback(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    from sessions.services import InterviewError, answer_retry

    queued, refused = 0, []
    for answer in queryset:
        try:
            answer_retry(answer=answer)
        except InterviewError as exc:
            refused.append(f"answer {answer.pk}: {exc}")
        else:
            queued += 1
    if queued:
        modeladmin.message_user(request, f"Queued {queued} answer(s) for scoring and feedback again.",
                                messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, "Not queued: " + "; ".join(refused), messages.WARNING)


class QuestionInline(admin.StackedInline):
    model = SessionQuestion
    extra = 0
    fields = ["position", "text", "topic", "subtopic", "difficulty", "source", "status", "parent"]
    readonly_fields = ["parent"]
    show_change_link = True


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["attempt", "status", "input_mode", "duration_s", "content_score", "delivery_score", "feedback_engine"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False


class ReportInline(admin.StackedInline):
    model = Report
    extra = 0
    readonly_fields = ["status", "progress", "engine", "content_score", "delivery_score", "confidence_score",
                       "built_at", "error", "data"]


@admin.register(InterviewSession)
class InterviewSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "mode", "status", "planned_count", "created_at", "finished_at"]
    list_filter = ["mode", "status", "persona"]
    search_fields = ["owner__email", "id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "started_at", "finished_at", "question_engine"]
    inlines = [QuestionInline, ReportInline]


@admin.register(SessionQuestion)
class SessionQuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "session", "position", "short_text", "topic", "source", "status"]
    list_filter = ["source", "status", "topic"]
    search_fields = ["text", "session__owner__email"]
    raw_id_fields = ["session", "parent", "bank_question"]
    inlines = [AnswerInline]

    @admin.display(description="Question")
    def short_text(self, obj: SessionQuestion) -> str:
        return obj.text[:80]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "question", "attempt", "status", "input_mode", "content_score", "delivery_score",
                    "feedback_engine", "started_at"]
    list_filter = ["status", "input_mode", "feedback_engine", "transcript_engine"]
    search_fields = ["user__email", "transcript"]
    date_hierarchy = "started_at"
    raw_id_fields = ["question", "user"]
    readonly_fields = ANSWER_MEASURED
    actions = [rerun_feedback]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["session", "status", "content_score", "delivery_score", "confidence_score", "built_at"]
    list_filter = ["status", "engine"]
    search_fields = ["session__owner__email"]
    raw_id_fields = ["session"]
    readonly_fields = ["data", "built_at"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "mode", "difficulty", "question_count", "due_at"]
    list_filter = ["mode", "cohort"]
    search_fields = ["title", "cohort__name"]
    filter_horizontal = ["topics"]


@admin.register(ReportShareLink)
class ReportShareLinkAdmin(admin.ModelAdmin):
    # The nonce is half of a live credential: listed nowhere, never editable.
    list_display = ("session", "note", "created_at", "expires_at", "revoked_at", "views")
    list_filter = ("revoked_at",)
    exclude = ("nonce",)
    readonly_fields = ("session", "created_at", "views")
