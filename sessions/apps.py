from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions" (Channels' auth needs that app).
    label = "interviews"
    verbose_name = "Interviews"

    def ready(self) -> None:
        # Registers this app's task names (pipeline/ chains steps by name); since answers live here, the models
        # the lower apps' steps read (pipeline.records) and the handler that ends an answer `failed` with a reason
        # when one of its steps runs out of retries; its share of a user's data export and delete, and of
        # their storage quota (the answers' audio).
        from accounts.storage import storage_source_register
        from accounts.user_data import user_data_part_register
        from pipeline.records import records_register
        from pipeline.steps import step_failure_handler_register
        from sessions import tasks  # noqa: F401
        from sessions.models import Answer, InterviewSession
        from sessions.selectors import answer_audio_bytes_held
        from sessions.services import answer_step_failed
        from sessions.user_data import PART

        records_register(answer=Answer, session=InterviewSession)
        step_failure_handler_register(answer_step_failed)
        user_data_part_register(PART)
        storage_source_register("answer_audio", answer_audio_bytes_held)
