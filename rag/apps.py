from django.apps import AppConfig


class RagConfig(AppConfig):
    name = "rag"
    verbose_name = "Knowledge: question bank, retrieval, feedback"

    def ready(self) -> None:
        # Registers this app's task names (pipeline/ chains steps by name and in embedded mode no worker
        # autodiscovers them) and its share of a user's data export and delete (accounts does not import it).
        from accounts.user_data import user_data_part_register
        from rag import tasks  # noqa: F401
        from rag.user_data import PART

        user_data_part_register(PART)
