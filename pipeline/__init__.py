"""The answer pipeline's bottom layer: what every step shares, and nothing of any one app.

`steps.py` is the base class of every step task (retries, backoff, late ack, and the failure handler that ends an
answer `failed` with a reason), `chain.py` builds the chain from registered task *names* so no app imports another
app's tasks, `payloads.py` holds the typed values that cross step boundaries, and `measures.py` the delivery
measurements and target bands that the coach (`rag`), `mastery` and `sessions` all read, and `figures.py` the
figures every page shows about interviews (answered counts, means, pace), each defined once.

`tasking.py` enqueues tasks in both run modes (Celery in the distributed one, an in-process priority pool in the
embedded one). This package imports only Django, Celery and the standard library, no app and not the project package:
apps and the project core depend on it, never the other way round (tests/architecture/test_app_graph.py checks it).
"""
