from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions" (Channels' auth needs that app).
    label = "interviews"
    verbose_name = "Interviews"
