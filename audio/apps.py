from django.apps import AppConfig


class AudioConfig(AppConfig):
    name = "audio"
    verbose_name = "Audio and transcription"

    def ready(self) -> None:
        # Registers this app's task names: pipeline/ chains steps by name, and in embedded mode no worker
        # autodiscovers them.
        from audio import tasks  # noqa: F401
        from audio.admission import snapshot
        from interviewprep.health import health_load_register

        health_load_register("streams", snapshot)
