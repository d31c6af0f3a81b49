# Image of every Veille service of docker-compose.yml (init, dashboards, agents, connectors, webhook, web,
# retention). Installs the project as it is in this directory, trained models included; nothing is downloaded
# at run time. watches.yaml is mounted by docker-compose, not baked in. No secret enters the image: only the
# paths below are copied (never .env).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VEILLE_DATA_DIR=/var/lib/veille
WORKDIR /app
COPY pyproject.toml README.md topics.yaml ./
COPY pipeline ./pipeline
COPY agents ./agents
COPY dashboards ./dashboards
COPY data ./data
# The data dir exists and belongs to veille before a volume is mounted on it: Docker copies that ownership into
# a new named volume, so the web app can write the corrections it keeps there.
RUN pip install -e . && useradd --create-home veille \
    && mkdir -p /var/lib/veille && chown -R veille /app /var/lib/veille
USER veille
# The web app and the webhook receiver (docker-compose sets VEILLE_WEB_HOST / VEILLE_WEBHOOK_HOST to 0.0.0.0).
EXPOSE 8765 8088
ENTRYPOINT ["veille"]
CMD ["--help"]
