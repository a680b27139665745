from django.contrib import admin

from mastery.models import (
    MasteryEvent,
    StudyPlan,
    StudyPlanItem,
    Subtopic,
    SubtopicMastery,
    Topic,
    TopicMastery,
)


class SubtopicInline(admin.TabularInline):
    model = Subtopic
    extra = 0


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    inlines = [SubtopicInline]


@admin.register(Subtopic)
class SubtopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "topic"]
    list_filter = ["topic"]
    search_fields = ["name", "slug", "topic__name"]


@admin.register(SubtopicMastery)
class SubtopicMasteryAdmin(admin.ModelAdmin):
    list_display = ["user", "subtopic", "rating", "variance", "evidence_count", "next_review_at"]
    list_filter = ["subtopic__topic"]
    search_fields = ["user__email", "subtopic__name"]
    readonly_fields = ["updated_at"]
    autocomplete_fields = ["user", "subtopic"]


@admin.register(TopicMastery)
class TopicMasteryAdmin(admin.ModelAdmin):
    list_display = ["user", "topic", "rating", "variance", "evidence_count", "updated_at"]
    list_filter = ["topic"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]


@admin.register(MasteryEvent)
class MasteryEventAdmin(admin.ModelAdmin):
    list_display = ["user", "subtopic", "score", "rating_before", "rating_after", "created_at"]
    list_filter = ["subtopic__topic"]
    search_fields = ["user__email", "subtopic__name"]
    readonly_fields = [f.name for f in MasteryEvent._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - history is written by the mastery rule
        return False


class StudyPlanItemInline(admin.TabularInline):
    model = StudyPlanItem
    extra = 0


@admin.register(StudyPlan)
class StudyPlanAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "is_current", "engine"]
    list_filter = ["is_current", "engine"]
    search_fields = ["user__email"]
    inlines = [StudyPlanItemInline]
    autocomplete_fields = ["user"]


@admin.register(StudyPlanItem)
class StudyPlanItemAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "kind", "priority", "due_date", "done_at"]
    list_filter = ["kind"]
    search_fields = ["title", "plan__user__email"]
