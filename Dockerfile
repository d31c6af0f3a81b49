# Image for the agents, connectors and the init job (docker-compose.yml). Installs the project as it is
# in this directory, trained models included; nothing is downloaded at run time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md topics.yaml ./
COPY pipeline ./pipeline
COPY agents ./agents
COPY dashboards ./dashboards
COPY data ./data
RUN pip install -e . && useradd --create-home veille && chown -R veille /app
USER veille
ENTRYPOINT ["veille"]
CMD ["--help"]
