from django.urls import path

from audio.consumers import InterviewConsumer

websocket_urlpatterns = [
    path("ws/interview/<int:session_id>/", InterviewConsumer.as_asgi()),
]
