from django.urls import path

import interviewprep.converters  # noqa: F401 - registers the <id:...> converter used below
from audio.consumers import InterviewConsumer

websocket_urlpatterns = [
    path("ws/interview/<id:session_id>/", InterviewConsumer.as_asgi()),
]
