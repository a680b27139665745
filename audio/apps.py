from django.apps import AppConfig


class AudioConfig(AppConfig):
    name = "audio"
    verbose_name = "Audio and transcription"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        # Registers this app's task names: pipeline/ chains steps by name, and in embedded mode no worker
        # autodiscovers them.
        from audio import tasks  # noqa: F401
        from audio.dsp.endpoint import validate_silence_s

        # A bad end-of-answer silence stops startup: found mid-interview it would cut candidates off or never end.
        try:
            validate_silence_s(settings.HANDS_FREE_SILENCE_S)
        except ValueError as exc:
            raise ImproperlyConfigured(f"HANDS_FREE_SILENCE_S: {exc}") from exc

        from audio.admission import snapshot
        from interviewprep.health import health_load_register

        health_load_register("streams", snapshot)
