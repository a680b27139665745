from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.admin_actions import delete_user_data, export_user_data
from accounts.models import Cohort, CohortMembership, JobDescription, Resume, User


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = CohortMembership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["cohort"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "target_role", "seniority", "is_active", "date_joined"]
    list_filter = ["role", "seniority", "is_active", "is_staff"]
    search_fields = ["email", "full_name", "target_role"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role", "target_role", "seniority", "years_experience", "skills")}),
        ("Interview room", {"fields": ("persona", "speak_questions", "show_avatar")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "role", "password1",
                                                             "password2")}),)
    inlines = [MembershipInline]
    actions = [export_user_data, delete_user_data]


@admin.register(Resume)
class ResumeAdmin(admin.ModelAdmin):
    list_display = ["original_name", "user", "file_type", "size_bytes", "status", "progress", "created_at"]
    list_filter = ["status", "file_type"]
    search_fields = ["original_name", "user__email"]
    readonly_fields = ["file", "file_type", "size_bytes", "text", "parsed", "status", "progress", "error",
                       "chunk_count", "created_at", "updated_at"]
    autocomplete_fields = ["user"]


@admin.register(JobDescription)
class JobDescriptionAdmin(admin.ModelAdmin):
    list_display = ["title", "company", "user", "created_at"]
    search_fields = ["title", "company", "user__email"]
    readonly_fields = ["parsed", "created_at"]
    autocomplete_fields = ["user"]


class CohortMemberInline(admin.TabularInline):
    model = CohortMembership
    fk_name = "cohort"
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "invite_code", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "owner__email", "invite_code"]
    autocomplete_fields = ["owner"]
    inlines = [CohortMemberInline]


@admin.register(CohortMembership)
class CohortMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "joined_at", "left_at"]
    list_filter = ["cohort"]
    search_fields = ["user__email", "cohort__name"]
    autocomplete_fields = ["user", "cohort"]
