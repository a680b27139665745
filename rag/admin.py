import json

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from rag.models import BankQuestion


@admin.register(BankQuestion)
class BankQuestionAdmin(admin.ModelAdmin):
    list_display = ["ext_id", "short_text", "topic", "subtopic", "difficulty", "is_active", "updated_at"]
    list_filter = ["topic", "difficulty", "is_active"]
    search_fields = ["ext_id", "text", "reference_answer"]
    readonly_fields = ["content_hash", "updated_at"]
    autocomplete_fields = ["subtopic"]
    actions = ["export_bank_json", "load_bank_files", "rebuild_index"]

    @admin.display(description="Question")
    def short_text(self, obj: BankQuestion) -> str:
        return obj.text[:90]

    def save_model(self, request: HttpRequest, obj: BankQuestion, form, change: bool) -> None:  # noqa: ANN001
        from rag.services import bank_question_save

        bank_question_save(question=obj)

    @admin.action(description="Export the selected questions as bank JSON")
    def export_bank_json(self, request: HttpRequest, queryset) -> HttpResponse:  # noqa: ANN001
        from rag.services import bank_export

        files = bank_export(questions=list(queryset.select_related("topic", "subtopic")))
        payload = next(iter(files.values())) if len(files) == 1 else files
        name = f"{next(iter(files))}.json" if len(files) == 1 else "bank-export.json"
        response = HttpResponse(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                                content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description="Import: load the bank files from rag/bank (overwrites those ids)")
    def load_bank_files(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001, ARG002
        from rag.bank_loader import BankError
        from rag.services import bank_load

        try:
            result = bank_load()
        except BankError as exc:
            self.message_user(request, str(exc)[:2000], level=messages.ERROR)
            return
        self.message_user(request, result.summary(), level=messages.SUCCESS)

    @admin.action(description="Rebuild the FAISS bank index")
    def rebuild_index(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001, ARG002
        from rag.services import bank_index_refresh

        bank_index_refresh(force=True)
        self.message_user(request, "The FAISS bank index was rebuilt.", level=messages.SUCCESS)
