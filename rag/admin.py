from django.contrib import admin

from rag.models import BankQuestion


@admin.register(BankQuestion)
class BankQuestionAdmin(admin.ModelAdmin):
    list_display = ["ext_id", "short_text", "topic", "subtopic", "difficulty", "is_active", "updated_at"]
    list_filter = ["topic", "difficulty", "is_active"]
    search_fields = ["ext_id", "text", "reference_answer"]
    readonly_fields = ["content_hash", "updated_at"]
    autocomplete_fields = ["subtopic"]

    @admin.display(description="Question")
    def short_text(self, obj: BankQuestion) -> str:
        return obj.text[:90]
