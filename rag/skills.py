"""The skills vocabulary shared by resume parsing and job fit: canonical names with the spellings people write.

Matching is by whole words (case-insensitive, punctuation such as C++, C#, .NET and Node.js kept), so "Java" does
not match "JavaScript" and "Go" needs a word boundary and a capital letter (it is also an English verb).
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical -> (category, aliases). Aliases are matched as whole words; the canonical name is always an alias.
SKILLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Python": ("language", ("python", "python3")),
    "Java": ("language", ("java",)),
    "JavaScript": ("language", ("javascript", "js", "ecmascript", "es6")),
    "TypeScript": ("language", ("typescript", "ts")),
    "C": ("language", ()),
    "C++": ("language", ("c++", "cpp")),
    "C#": ("language", ("c#", "csharp")),
    "Go": ("language", ("golang",)),
    "Rust": ("language", ("rust",)),
    "Ruby": ("language", ("ruby",)),
    "PHP": ("language", ("php",)),
    "Kotlin": ("language", ("kotlin",)),
    "Swift": ("language", ("swift",)),
    "Scala": ("language", ("scala",)),
    "R": ("language", ()),
    "SQL": ("data", ("sql",)),
    "Bash": ("tool", ("bash", "shell scripting", "shell")),
    "HTML": ("web", ("html", "html5")),
    "CSS": ("web", ("css", "css3", "sass", "scss", "tailwind")),
    "React": ("web", ("react", "react.js", "reactjs")),
    "Vue": ("web", ("vue", "vue.js", "vuejs")),
    "Angular": ("web", ("angular", "angularjs")),
    "Node.js": ("web", ("node.js", "nodejs", "node")),
    "Django": ("web", ("django",)),
    "Flask": ("web", ("flask",)),
    "FastAPI": ("web", ("fastapi",)),
    "Spring": ("web", ("spring", "spring boot")),
    "REST APIs": ("web", ("rest", "restful", "rest api", "rest apis")),
    "GraphQL": ("web", ("graphql",)),
    "gRPC": ("web", ("grpc", "protocol buffers", "protobuf")),
    "WebSockets": ("web", ("websocket", "websockets")),
    "PostgreSQL": ("data", ("postgresql", "postgres")),
    "MySQL": ("data", ("mysql", "mariadb")),
    "SQLite": ("data", ("sqlite",)),
    "MongoDB": ("data", ("mongodb", "mongo")),
    "Redis": ("data", ("redis",)),
    "Elasticsearch": ("data", ("elasticsearch", "opensearch")),
    "Cassandra": ("data", ("cassandra",)),
    "Kafka": ("data", ("kafka",)),
    "RabbitMQ": ("data", ("rabbitmq",)),
    "Spark": ("data", ("spark", "pyspark")),
    "Airflow": ("data", ("airflow",)),
    "Pandas": ("data", ("pandas",)),
    "NumPy": ("data", ("numpy",)),
    "Data modeling": ("data", ("data modeling", "data modelling", "schema design")),
    "Indexing": ("data", ("indexing", "indexes", "composite index", "composite indexes", "database index",
                          "database indexes", "covering index", "covering indexes", "query optimization",
                          "query optimisation", "query tuning", "query plans", "explain analyze")),
    "ETL": ("data", ("etl", "elt", "data pipelines", "data pipeline")),
    "Machine learning": ("ml", ("machine learning", "ml")),
    "Deep learning": ("ml", ("deep learning", "neural networks", "neural network")),
    "PyTorch": ("ml", ("pytorch", "torch")),
    "TensorFlow": ("ml", ("tensorflow", "keras")),
    "scikit-learn": ("ml", ("scikit-learn", "sklearn")),
    "NLP": ("ml", ("nlp", "natural language processing")),
    "Computer vision": ("ml", ("computer vision",)),
    "LLMs": ("ml", ("llm", "llms", "large language models", "rag")),
    "Statistics": ("ml", ("statistics", "statistical", "a/b testing", "ab testing")),
    "AWS": ("cloud", ("aws", "amazon web services", "ec2", "s3", "lambda")),
    "GCP": ("cloud", ("gcp", "google cloud")),
    "Azure": ("cloud", ("azure",)),
    "Docker": ("cloud", ("docker", "containers", "containerization")),
    "Kubernetes": ("cloud", ("kubernetes", "k8s", "helm")),
    "Terraform": ("cloud", ("terraform", "infrastructure as code", "iac")),
    "CI/CD": ("cloud", ("ci/cd", "ci", "continuous integration", "continuous delivery", "continuous deployment",
                        "github actions", "jenkins", "gitlab ci", "circleci", "argo cd", "argocd",
                        "deployment pipeline", "deployment pipelines", "build pipeline", "build pipelines")),
    "Linux": ("cloud", ("linux", "unix")),
    "Monitoring": ("cloud", ("monitoring", "observability", "prometheus", "grafana", "datadog", "alerting",
                             "opentelemetry", "distributed tracing", "sentry", "new relic", "slos", "on-call")),
    "Git": ("tool", ("git", "github", "gitlab")),
    "Testing": ("practice", ("testing", "unit testing", "unit tests", "pytest", "jest", "tdd", "test automation",
                             "tests", "automated tests", "integration tests", "test suite")),
    "Microservices": ("design", ("microservices", "microservice", "service-oriented")),
    "System design": ("design", ("system design", "distributed systems", "scalability", "high availability")),
    "Data structures and algorithms": ("cs", ("algorithms", "data structures")),
    "Object-oriented design": ("design", ("oop", "object-oriented", "object oriented", "design patterns")),
    "Concurrency": ("cs", ("concurrency", "multithreading", "asynchronous", "async")),
    "Networking": ("cs", ("networking", "tcp/ip", "tcp", "http", "dns")),
    "Security": ("practice", ("security", "oauth", "authentication", "encryption", "owasp")),
    "Caching": ("design", ("caching", "cache", "cdn")),
    "Agile": ("practice", ("agile", "scrum", "kanban")),
    "Leadership": ("soft", ("leadership", "led a team", "team lead", "mentoring", "mentored", "managed a team")),
    "Communication": ("soft", ("communication", "stakeholder management", "presentations", "stakeholders")),
    "Collaboration": ("soft", ("collaboration", "cross-functional", "teamwork")),
    "Problem solving": ("soft", ("problem solving", "problem-solving", "troubleshooting", "debugging")),
}
# Short or common-word skills that need exact capitalisation to count (the English "go", "c", "r", "rust"...).
CASE_SENSITIVE = {"Go": ("Go",), "C": ("C",), "R": ("R",), "Swift": ("Swift",), "Rust": ("Rust",),
                  "Spring": ("Spring", "Spring Boot"), "Node.js": ("Node.js", "NodeJS", "Node")}


# Evidence of one skill is evidence of another: a resume that says "PostgreSQL" shows SQL, "Django" shows Python.
IMPLIES: dict[str, tuple[str, ...]] = {
    "PostgreSQL": ("SQL",), "MySQL": ("SQL",), "SQLite": ("SQL",), "Indexing": ("SQL",),
    "Django": ("Python",), "Flask": ("Python",), "FastAPI": ("Python",), "Pandas": ("Python",), "NumPy": ("Python",),
    "Spring": ("Java",), "React": ("JavaScript",), "Vue": ("JavaScript",), "Angular": ("JavaScript",),
    "Node.js": ("JavaScript",), "TypeScript": ("JavaScript",), "Kubernetes": ("Docker",),
    "PyTorch": ("Deep learning", "Machine learning"), "TensorFlow": ("Deep learning", "Machine learning"),
    "scikit-learn": ("Machine learning",), "Deep learning": ("Machine learning",),
}


def skills_expand(skills: list[str] | set[str]) -> set[str]:
    """The skills and every skill they imply (IMPLIES), transitively."""
    found = set(skills)
    todo = list(found)
    while todo:
        for implied in IMPLIES.get(todo.pop(), ()):
            if implied not in found:
                found.add(implied)
                todo.append(implied)
    return found


def skill_aliases(skill: str) -> tuple[str, ...]:
    """The spellings of a known skill (the canonical name first)."""
    return (skill, *SKILLS.get(skill, ("", ()))[1])


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for canonical, (_, aliases) in SKILLS.items():
        if canonical in CASE_SENSITIVE:
            exact = CASE_SENSITIVE[canonical]
            loose = [a for a in aliases if a not in {e.lower() for e in exact}]
            parts = [re.escape(a) for a in exact]
            regex = rf"(?<![\w+#./-])(?:{'|'.join(parts)})(?![\w+#]|\.\w)"
            patterns.append((canonical, re.compile(regex)))
            if loose:
                patterns.append((canonical, re.compile(
                    rf"(?<![\w+#./-])(?:{'|'.join(re.escape(a) for a in loose)})(?![\w+#]|\.\w)", re.IGNORECASE)))
            continue
        names = sorted({canonical.lower(), *aliases}, key=len, reverse=True)
        regex = rf"(?<![\w+#./-])(?:{'|'.join(re.escape(n) for n in names)})(?![\w+#]|\.\w)"
        patterns.append((canonical, re.compile(regex, re.IGNORECASE)))
    return patterns


def skills_find(text: str) -> list[str]:
    """Canonical skills mentioned in `text`, in order of first mention."""
    found: dict[str, int] = {}
    for canonical, pattern in _patterns():
        match = pattern.search(text)
        if match and (canonical not in found or match.start() < found[canonical]):
            found[canonical] = match.start()
    return sorted(found, key=found.__getitem__)


def skill_category(skill: str) -> str:
    return SKILLS.get(skill, ("other", ()))[0]


def skill_canonical(name: str) -> str:
    """A user-typed skill -> its canonical name when known, else the trimmed text."""
    found = skills_find(name)
    return found[0] if len(found) == 1 else " ".join(name.split())
