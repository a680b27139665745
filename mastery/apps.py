from django.apps import AppConfig


class MasteryConfig(AppConfig):
    name = "mastery"
    verbose_name = "Mastery and study plans"

    def ready(self) -> None:
        # Registers this app's task names (pipeline/ chains steps by name and in embedded mode no worker
        # autodiscovers them) and its share of a user's data export and delete (accounts does not import it).
        from accounts.user_data import user_data_part_register
        from mastery import tasks  # noqa: F401
        from mastery.user_data import PART

        user_data_part_register(PART)
